/**
 * Writes the measured part of BENCHMARKS.md, between its `results` markers; the hand-written
 * analysis around them (where the time goes) is kept as it is. Also renders the tables the run prints.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { round } from './stats.mjs';

const START = '<!-- results:start (written by npm run bench) -->';
const END = '<!-- results:end -->';
const PW = 'Playwright page.evaluate';
const TS = 'any (TypeScript client)';
const IN = 'any (server in the same process)';

export function writeReport(results, path, plotPath) {
  const measured = [START, render(results, relative(dirname(path), plotPath)), END].join('\n');
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const [before, rest = ''] = previous.split(START);
  const after = rest.includes(END) ? rest.split(END)[1] : rest;
  writeFileSync(path, `${before}${measured}${after}`);
}

/** The targets table (Markdown); each ratio is the median over the rounds, with its range. */
export function renderTargets(results) {
  const lat = results.latency;
  const tp64 = results.throughput[64][TS].vsPlaywright.callsPerSecond;
  const mark = (ok) => (ok ? '✅' : '❌');
  const targets = [
    ['TypeScript client warm p50 ≤ 1.2× Playwright', lat[TS].vsPlaywright.p50, (r) => r <= 1.2],
    ['(for reference) server in the same process, `server.call`, warm p50 ≤ 1.2× Playwright', lat[IN].vsPlaywright.p50, (r) => r <= 1.2],
    ['TypeScript client warm p99 ≤ 1.5× Playwright', lat[TS].vsPlaywright.p99, (r) => r <= 1.5],
    ['throughput at 64 in flight ≥ 1.2× Playwright', tp64, (r) => r >= 1.2],
    ...Object.entries(results.payload).map(([label, by]) => [`${label} payload p50 ≤ 2× Playwright`, by[TS].vsPlaywright.p50, (r) => r <= 2]),
  ].map(([what, ratio, meets]) => [what, spread(ratio), meets(ratio.median)]);
  targets.push(
    ['cold first call ≤ 1.5 s + page load', `${results.cold.median.totalMs} ms (page load ${results.cold.median.pageLoadMs} ms)`, results.cold.median.totalMs <= 1500 + results.cold.median.pageLoadMs],
    ['memory flat over the run (growth after warm-up)', `server ${results.memory.serverGrowthPercent} %, browser ${results.memory.browserGrowthPercent} %`, Math.abs(results.memory.serverGrowthPercent) < 10 && Math.abs(results.memory.browserGrowthPercent) < 10],
    ['idle CPU ~0', `server ${results.idleCpu.serverPercentOfOneCore} %, browser ${results.idleCpu.browserPercentOfOneCore} % of a core`, results.idleCpu.serverPercentOfOneCore < 1 && results.idleCpu.browserPercentOfOneCore < 2],
  );
  return `| target | measured (ratio: median of ${results.rounds} rounds, range) | met |
| --- | --- | --- |
${targets.map(([what, value, ok]) => `| ${what} | ${value} | ${mark(ok)} |`).join('\n')}`;
}

/** Every ratio to Playwright (Markdown): the pooled figures, the median of the per-round ratios and their range. */
export function renderRatios(results) {
  const sections = [
    ['warm echo (ms)', results.latency],
    ['realistic, readTable (ms)', results.realistic],
    ...Object.entries(results.throughput).map(([level, by]) => [`throughput, ${level} in flight (calls/s)`, by]),
    ...(results.mcp?.throughput ? [[`throughput over MCP, ${results.mcp.inFlight} in flight (calls/s)`, results.mcp.throughput]] : []),
    ...Object.entries(results.payload).map(([label, by]) => [`payload ${label} (ms)`, by]),
  ];
  const rows = sections.flatMap(([section, by]) => Object.entries(by).filter(([, entry]) => entry.vsPlaywright).flatMap(([name, entry]) =>
    Object.entries(entry.vsPlaywright).map(([metric, r]) =>
      `| ${section} | ${name} | ${metric} | ${round(entry[metric])} | ${round(by[PW][metric])} | ${round(r.median)} | ${round(r.min)}–${round(r.max)} |`)));
  return `| measure | path | metric | path, pooled | Playwright, pooled | ÷ Playwright, median of ${results.rounds} rounds | range over rounds |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`;
}

/** The cost of MCP (Markdown): each tool call's figures ÷ the plain TypeScript client call's from the same round. */
export function renderMcpOverhead(results) {
  const { inFlight, throughput, overPlainCall } = results.mcp;
  const rows = Object.entries(overPlainCall.latency).map(([name, latency]) =>
    `| ${name} | ${round(results.latency[name].p50)} | ${spread(latency.p50)} | ${spread(latency.p99)} | ${throughput[name].callsPerSecond} | ${spread(overPlainCall.throughput[name].callsPerSecond)} |`);
  return `| MCP tool call | warm p50 (ms) | p50 ÷ plain call | p99 ÷ plain call | calls/s, ${inFlight} in flight | calls/s ÷ plain call's |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`;
}

/**
 * Progress values from a page method to its caller (Markdown): values per second of a burst, and
 * the delay of each value from the page's `progress()` to the caller. any's absolute figures only.
 */
export function renderStreaming(results) {
  const s = results.streaming;
  if (!s?.callers) return '(not measured)';
  const rows = Object.entries(s.callers).map(([name, c]) =>
    `| ${name} | ${c.valuesPerSecond} | ${c.delayMs.p50} | ${c.delayMs.p99} | ${c.delayMs.count} |`);
  return `| caller | progress values/s (burst of ${s.burstValuesPerCall}) | delay p50 (ms) | delay p99 (ms) | delayed values |
| --- | --- | --- | --- | --- |
${rows.join('\n')}`;
}

/**
 * Several browsers (Markdown): routed calls with 1, 2 and 4 browsers connected and with 50 more
 * tabs, calls spread over the browsers, and the memory of 50 tabs. Ratios to Playwright and to the
 * one-browser fleet, medians of the per-round ratios.
 */
export function renderScale(results) {
  const s = results.scale;
  if (!s?.latency) return `(not measured${s?.error ? `: ${s.error}` : ''})`;
  const latencyRows = Object.entries(s.latency).map(([name, e]) =>
    `| ${name} | ${round(e.p50)} | ${round(e.p99)} | ${e.vsPlaywright ? spread(e.vsPlaywright.p50) : '1'} | ${s.overOneBrowser.latency[name] ? spread(s.overOneBrowser.latency[name].p50) : name === PW ? '' : '1'} |`);
  const throughputRows = Object.entries(s.throughput).map(([name, e]) =>
    `| ${name} | ${e.callsPerSecond} | ${e.vsPlaywright ? spread(e.vsPlaywright.callsPerSecond) : '1'} | ${s.overOneBrowser.throughput[name] ? spread(s.overOneBrowser.throughput[name].callsPerSecond) : name === PW ? '' : '1'} |`);
  const { before, after, openTabs } = s.tabs;
  return `Routed calls (no browser named; the page's tab is open in the first browser), sequential, ms:

| server with | p50 | p99 | p50 ÷ Playwright | p50 ÷ 1 browser |
| --- | --- | --- | --- | --- |
${latencyRows.join('\n')}

Calls spread over the browsers by name, 64 in flight, calls/s:

| server with | calls/s | ÷ Playwright | ÷ 1 browser |
| --- | --- | --- | --- |
${throughputRows.join('\n')}

Memory of one browser before and after opening 50 more tabs (${openTabs} open), RSS in MiB:

| | server | browser, all ${after.browserProcesses} processes |
| --- | --- | --- |
| 1 tab | ${before.serverMiB} | ${before.browserAllProcessesMiB} (${before.browserProcesses} processes) |
| ${openTabs} tabs | ${after.serverMiB} | ${after.browserAllProcessesMiB} |`;
}

/**
 * WebMCP tools (Markdown; bench/lib/webmcp.mjs): per method, each path's latency with its ratios to
 * Playwright's page.evaluate of the method, then what calling the page's tool costs over calling the
 * method, through any and through Playwright, and what turning WebMCP on costs the plain call.
 */
export function renderWebmcp(results) {
  const w = results.webmcp;
  if (!w?.methods) return `(not measured${w?.error ? `: ${w.error}` : ''})`;
  const { names } = w;
  const tables = Object.entries(w.methods).map(([method, m]) => methodLatencyTable(method, m.latency));
  const ratioRows = Object.entries(w.methods).flatMap(([method, { ratios }]) => [
    [`any: \`webmcp:${method}\` ÷ the userscript method`, ratios.webmcpOverPlainCall],
    [`Playwright: getTools() + executeTool() ÷ page.evaluate of the method`, ratios.playwrightToolOverEvaluate],
    [`the tool: any's \`webmcp:${method}\` ÷ Playwright's executeTool()`, ratios.webmcpOverPlaywrightTool],
    ...(ratios.plainCallWebmcpOnOverOff ? [[`any's plain call: WebMCP and the mirror on ÷ a browser without them`, ratios.plainCallWebmcpOnOverOff]] : []),
  ].map(([what, r]) => `| \`${method}\` | ${what} | ${spread(r.p50)} | ${spread(r.p99)} |`));
  return `${tables.join('\n\n')}

Ratios between paths of the same round (median of ${w.rounds} rounds, range):

| method | ratio | p50 | p99 |
| --- | --- | --- | --- |
${ratioRows.join('\n')}

${webmcpFindings(w, names)}`;
}

/** What the WebMCP figures show, in sentences made from them. */
function webmcpFindings(w, names) {
  const ms = (x) => `${round(x)} ms`;
  const times = (r) => `${round(r.median)}× (${round(r.min)}–${round(r.max)})`;
  const spreadHolds = (r) => r.min <= 1 && r.max >= 1;
  const sentences = Object.entries(w.methods).map(([method, { latency, ratios }]) => {
    const plain = latency[names.plain];
    const tool = latency[names.webmcp];
    const pwTool = latency[names.playwrightTool];
    const pw = latency[names.playwright];
    const viaAny = ratios.webmcpOverPlainCall.p50;
    const viaPw = ratios.playwrightToolOverEvaluate.p50;
    const anyVsPw = ratios.webmcpOverPlaywrightTool.p50;
    let text = `**\`${method}\`**: the page's tool through the mirror (\`webmcp:${method}\`) took ${ms(tool.p50)} p50, ${times(viaAny)} the plain call of the userscript method (${ms(plain.p50)}, ${tool.p50 >= plain.p50 ? '+' : '−'}${ms(Math.abs(tool.p50 - plain.p50))}); through Playwright, getTools() + executeTool() took ${ms(pwTool.p50)}, ${times(viaPw)} its page.evaluate of the method (${ms(pw.p50)}).`;
    if (viaPw.max < 1) text += ` There the tool is the faster way: executeTool() hands back the result as one JSON string, which Playwright carries back faster than the value page.evaluate serializes.`;
    text += ` Tool for tool, any's call was ${times(anyVsPw)} Playwright's${spreadHolds(anyVsPw) ? ' (the range of the rounds includes 1)' : ''}.`;
    const onOff = ratios.plainCallWebmcpOnOverOff?.p50;
    if (onOff) {
      const change = `${round(Math.abs(onOff.median - 1) * 100, 0)} % ${onOff.median > 1 ? 'slower' : 'faster'}`;
      text += ` With WebMCP on and the mirror loaded, the plain call took ${times(onOff)} the same call in a browser without them: ${
        spreadHolds(onOff) && Math.abs(onOff.median - 1) < 0.1 ? 'within the rounds\' spread, not slowed'
          : spreadHolds(onOff) ? `${change} at the median, though the range of the rounds includes 1`
            : `${change}, in every round`}.`;
    }
    return text;
  });
  return sentences.join('\n\n');
}

/**
 * any on Firefox (Markdown; bench/lib/firefox.mjs): per method, each path's latency with its ratios
 * to Playwright's page.evaluate on Chromium, the throughput at one level of calls in flight, then
 * Firefox's figures ÷ Chromium's from the same rounds, and what they show.
 */
export function renderFirefox(results) {
  const f = results.firefox;
  if (!f?.methods) return `(not measured${f?.skipped || f?.error ? `: ${f.skipped ?? f.error}` : ''})`;
  const { names } = f;
  const tables = Object.entries(f.methods).map(([method, m]) => methodLatencyTable(method, m.latency));
  const t = f.throughput;
  const throughputRows = Object.entries(t.byContender).map(([name, e]) =>
    `| ${name} | ${e.callsPerSecond} | ${e.vsPlaywright ? spread(e.vsPlaywright.callsPerSecond) : '1'} |`);
  const ratioRows = [
    ...Object.entries(f.methods).flatMap(([method, m]) => ['p50', 'p90', 'p99'].map((metric) =>
      `| \`${method}\` | ${metric} (ms) | ${round(m.latency[names.firefox][metric])} | ${round(m.latency[names.chromium][metric])} | ${spread(m.firefoxOverChromium[metric])} |`)),
    `| throughput, ${f.inFlight} in flight | calls/s | ${t.byContender[names.firefox].callsPerSecond} | ${t.byContender[names.chromium].callsPerSecond} | ${spread(t.firefoxOverChromium.callsPerSecond)} |`,
  ];
  return `${tables.join('\n\n')}

Throughput, ${t.calls} echo calls a round, ${f.inFlight} in flight, calls/s:

| path | calls/s | ÷ Playwright |
| --- | --- | --- |
${throughputRows.join('\n')}

any on Firefox ÷ any on Chromium, from the same rounds (median of ${f.rounds} rounds, range):

| measure | metric | Firefox, pooled | Chromium, pooled | Firefox ÷ Chromium |
| --- | --- | --- | --- | --- |
${ratioRows.join('\n')}

${firefoxFindings(f, names)}`;
}

/** What the Firefox figures show, in sentences made from them. */
function firefoxFindings(f, names) {
  const ms = (x) => `${round(x)} ms`;
  const times = (r) => `${round(r.median)}× (${round(r.min)}–${round(r.max)})`;
  // Where the rounds agree: a lower figure is better for latency, a higher one for throughput.
  const verdict = (r, better) => (r.min > 1 ? (better === 'lower' ? ', slower in every round' : ', more in every round')
    : r.max < 1 ? (better === 'lower' ? ', faster in every round' : ', fewer in every round')
      : ', the range of the rounds includes 1');
  const sentences = Object.entries(f.methods).map(([method, { latency, firefoxOverChromium }]) => {
    const ff = latency[names.firefox];
    const cr = latency[names.chromium];
    const pw = latency[names.playwright];
    return `**\`${method}\`**: any on Firefox took ${ms(ff.p50)} p50, ${times(firefoxOverChromium.p50)} any on Chromium's ${ms(cr.p50)}${verdict(firefoxOverChromium.p50, 'lower')}; `
      + `${times(ff.vsPlaywright.p50)} Playwright's ${ms(pw.p50)} on Chromium, where any on Chromium took ${times(cr.vsPlaywright.p50)}. `
      + `At p99, Firefox took ${ms(ff.p99)} against Chromium's ${ms(cr.p99)}: ${times(firefoxOverChromium.p99)}.`;
  });
  const t = f.throughput;
  const ff = t.byContender[names.firefox];
  const cr = t.byContender[names.chromium];
  const pw = t.byContender[names.playwright];
  sentences.push(`**Throughput, ${f.inFlight} in flight**: any on Firefox made ${ff.callsPerSecond} calls/s, ${times(t.firefoxOverChromium.callsPerSecond)} any on Chromium's ${cr.callsPerSecond}${verdict(t.firefoxOverChromium.callsPerSecond, 'higher')}; `
    + `${times(ff.vsPlaywright.callsPerSecond)} Playwright's ${pw.callsPerSecond} on Chromium, where any on Chromium made ${times(cr.vsPlaywright.callsPerSecond)}.`);
  return sentences.join('\n\n');
}

/** One method's latency by path (Markdown), with each path's ratios to Playwright's page.evaluate. */
function methodLatencyTable(method, latency) {
  const rows = Object.entries(latency).map(([name, e]) =>
    `| ${name} | ${round(e.p50)} | ${round(e.p90)} | ${round(e.p99)} | ${e.count} | ${['p50', 'p90', 'p99'].map((metric) => (e.vsPlaywright ? spread(e.vsPlaywright[metric]) : '1')).join(' | ')} |`);
  return `\`${method}\`${method === 'echo' ? ' (returns its params, a 64-character string)' : method === 'readTable' ? ' (reads the 100-row table)' : ''}, ms:

| path | p50 | p90 | p99 | calls | p50 ÷ Playwright | p90 ÷ Playwright | p99 ÷ Playwright |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`;
}

/** A per-round ratio as "median (min–max)". */
const spread = (r) => `${round(r.median)} (${round(r.min)}–${round(r.max)})`;

function streamingSection(results) {
  const s = results.streaming;
  if (!s?.callers) return '(not measured in this run)';
  return `Measured last, in ${s.rounds} alternating rounds of their own. Values/s: \`burst({ n: ${s.burstValuesPerCall} })\` sends its
values as fast as the page can, counted from the call's start to its result. Delay: \`stamped\` sends ${s.stampedValuesPerCall} values
${s.stampedGapMs} ms apart, each with its send time; the delay is its arrival at the caller minus that, on the same machine's clock.
Playwright has no progress channel (polling it would measure the polling), so these are any's absolute figures,
not ratios; for scale, a whole warm \`echo\` round trip took ${round(results.latency[TS]?.p50)} ms p50 through the TypeScript client
and ${round(results.latency[PW]?.p50)} ms through Playwright.

${renderStreaming(results)}`;
}

function webmcpSection(results) {
  const w = results.webmcp;
  if (!w?.methods) return renderWebmcp(results);
  const control = Object.values(w.methods).some((m) => m.latency[w.names.withoutWebmcp]);
  return `One page on 127.0.0.1 (\`Content-Security-Policy: default-src 'none'; script-src 'self'\`), holding the 100-row table and
one script that registers the WebMCP tools ${w.tools.map((tool) => `\`${tool}\``).join(' and ')} (\`document.modelContext.registerTool\`), whose
\`execute\` is the code of the userscript methods of the same names (bench/lib/webmcp.mjs). any: the TypeScript client, through
an \`any serve\` of its own, to a managed headless browser launched with \`webmcp: true\` (\`--enable-features=WebMCPTesting\`
and the WebMCP mirror on every page), calling the userscript method or the page's tool \`webmcp:<tool>\`${control ? `;
and, as a control, the same plain call on the same page in the benchmark's first browser, which has neither` : ''}. Playwright,
its browser launched with the same flag: \`page.evaluate\` of \`document.modelContext.getTools()\` then \`executeTool(tool, input)\`,
as DevTools-based agents call a tool (the result is the JSON text Chromium hands back), and \`page.evaluate\` of the method.
${w.rounds} alternating rounds of their own, after the streaming measures${w.seconds ? ` (${w.seconds} s with the browsers' start)` : ''}.

${renderWebmcp(results)}`;
}

function firefoxSection(results) {
  const f = results.firefox;
  if (!f?.methods) return renderFirefox(results);
  return `any on Firefox: the TypeScript client, through an \`any serve\` of its own, to a managed headless ${f.browser}
(\`launch({ browser: 'firefox' })\`: the any extension and the benchmark userscript installed as \`.xpi\` files in a fresh
profile), against any on Chromium — the benchmark's own TypeScript client, server and Chromium — on the same page and the
same method code (bench/lib/firefox.mjs). The baseline stays Playwright's \`page.evaluate\` on Chromium: Playwright drives
only its own patched Firefox builds, not a stock Firefox, so there is no Playwright figure on the Firefox measured here.
${f.rounds} alternating rounds of their own, after the WebMCP measures; Firefox was started for them and closed after them${f.seconds ? ` (${f.seconds} s with its start)` : ''}.

${renderFirefox(results)}`;
}

function render(results, plotPath) {
  const { machine } = results;
  const ratioCells = (entry, metrics) => metrics.map((metric) => (entry.vsPlaywright ? spread(entry.vsPlaywright[metric]) : '1')).join(' | ');
  const rows = (obj) => Object.entries(obj).map(([name, s]) =>
    `| ${name} | ${round(s.p50)} | ${round(s.p90)} | ${round(s.p99)} | ${s.count} | ${ratioCells(s, ['p50', 'p90', 'p99'])} |`).join('\n');
  const levels = Object.keys(results.throughput);
  const contenders = Object.keys(results.throughput[levels[0]]);
  const rate = (entry) => `${entry.callsPerSecond}${entry.vsPlaywright ? ` · ${spread(entry.vsPlaywright.callsPerSecond)}` : ''}`;

  return `
Measured ${results.date.slice(0, 10)} on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node};
${machine.chromium}; playwright-core ${machine.playwright}. Every contender ran in the same run, against
the same Chromium binary (but any on Firefox, in a section of its own) and the same page (served on 127.0.0.1 with \`Content-Security-Policy: default-src 'none'; script-src 'none'\`),
calling the same method code (bench/userscripts/bench.user.js). any's server is a separate process, as in use.
Each comparison ran in ${results.rounds} rounds, the contenders' order flipped every round: absolute figures are pooled
over all rounds; each ratio is the median of the ${results.rounds} per-round ratios, with their range (min–max) in brackets.

![Latency and throughput](${plotPath})

### Targets

${renderTargets(results)}

### Warm latency, trivial method (\`echo\`, ms)

| path | p50 | p90 | p99 | calls | p50 ÷ Playwright | p90 ÷ Playwright | p99 ÷ Playwright |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows(results.latency)}

### MCP overhead: tool call ÷ plain call

An agent's tool call (\`call_page_method\`, v1 SDK client) ÷ the TypeScript client's plain call of the same round;
median of the ${results.rounds} rounds (range). Latency from the warm echo rounds above; throughput from rounds of their own.

${renderMcpOverhead(results)}

### Warm latency, realistic method (reads a 100-row table from the DOM, ms)

| path | p50 | p90 | p99 | calls | p50 ÷ Playwright | p90 ÷ Playwright | p99 ÷ Playwright |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows(results.realistic)}

### Throughput by calls in flight (calls/s, pooled · ÷ Playwright, median of rounds (range))

| in flight | ${contenders.join(' | ')} |
| --- | ${contenders.map(() => '---').join(' | ')} |
${levels.map((level) => `| ${level} | ${contenders.map((c) => rate(results.throughput[level][c])).join(' | ')} |`).join('\n')}

### Streaming: progress values from the page to the caller

${streamingSection(results)}

### WebMCP tools: a page's own tools, called as methods

${webmcpSection(results)}

### any on Firefox

${firefoxSection(results)}

### Several browsers on one server

Fleets of 1, 2 and 4 managed headless browsers, each on an \`any serve\` of its own, measured in the same
alternating rounds as Playwright, after everything above (bench/lib/scale.mjs).

${renderScale(results)}

### Payload size (echo of a string, ms)

| payload | any p50 | any p99 | Playwright p50 | Playwright p99 | calls each | p50 ÷ Playwright | p99 ÷ Playwright |
| --- | --- | --- | --- | --- | --- | --- | --- |
${Object.entries(results.payload).map(([label, by]) => `| ${label} | ${round(by[TS].p50)} | ${round(by[TS].p99)} | ${round(by[PW].p50)} | ${round(by[PW].p99)} | ${by[TS].count} | ${ratioCells(by[TS], ['p50', 'p99'])} |`).join('\n')}

### Cold start: the first call, with no server running and no tab open (ms)

| run | total | server start (auto) | browser connects | tab opens, page loads, method runs | of which the page's own load |
| --- | --- | --- | --- | --- | --- |
${results.cold.runs.map((r, i) => `| ${i + 1} | ${r.totalMs} | ${r.serverStartMs} | ${r.browserConnectMs} | ${r.tabAndMethodMs} | ${r.pageLoadMs} |`).join('\n')}

### Memory over ${results.memory.samples.at(-1).calls} calls (64 in flight), RSS in MiB

| calls | server | browser: extension + tab processes |
| --- | --- | --- |
${results.memory.samples.map((s) => `| ${s.calls} | ${s.serverMiB} | ${s.browserExtensionAndTabMiB} |`).join('\n')}

### Idle CPU over ${results.idleCpu.seconds} s, everything connected

server ${results.idleCpu.serverPercentOfOneCore} % of one core; browser (all processes) ${results.idleCpu.browserPercentOfOneCore} %.
`;
}
