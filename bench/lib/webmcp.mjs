/**
 * WebMCP tools (src/userscripts/webmcp-mirror.ts): a page's own tools called as methods, against
 * the same work done by a userscript method on the same page, in alternating rounds
 * (bench/lib/rounds.mjs). The page, served on 127.0.0.1 with `Content-Security-Policy:
 * default-src 'none'; script-src 'self'`, holds the benchmark's 100-row table, the benchmark
 * userscript (bench/userscripts/bench.user.js: `echo`, `readTable`) and one script of its own that
 * registers the WebMCP tools `echo` and `readTable` (`document.modelContext.registerTool`), whose
 * `execute` is the userscript method's code. Contenders, all on /usr/bin/chromium:
 *
 *   - any, the userscript method: the TypeScript client's `call()` through an `any serve` process of
 *     its own, to a managed headless browser launched with `webmcp: true` (WebMCPTesting on, the
 *     WebMCP mirror on every page) — the plain call, with WebMCP on around it;
 *   - any, `webmcp:<tool>`: the same client, server and browser, calling the page's tool through
 *     the mirror (which reads `getTools()` and runs `executeTool(tool, input)` in the page);
 *   - (a control, when given the port of a server whose browser has no WebMCP) the plain call of
 *     the userscript method on the same page in a browser without WebMCP or the mirror;
 *   - Playwright, the tool as DevTools-based agents call one: `page.evaluate` of
 *     `document.modelContext.getTools()` then `executeTool(tool, input)`, the result being the JSON
 *     text Chromium hands back (as such a tool gets it), in a Playwright browser launched with
 *     `--enable-features=WebMCPTesting`;
 *   - Playwright `page.evaluate` of the userscript method, in that same browser: the baseline.
 */
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { call, launch, stopServer } from '../../dist/index.js';
import { assertAgree, freePort } from './checks.mjs';
import { BENCH_USERSCRIPTS, startServerProcess } from './contenders.mjs';
import { BASELINE, latencyInRounds, ratiosTo, timed } from './rounds.mjs';
import { round } from './stats.mjs';

const FEATURE = '--enable-features=WebMCPTesting';
const BENCH_USERSCRIPT_FILE = new URL('../userscripts/bench.user.js', import.meta.url);

/** The contenders' names in the results; the report reads them from `results.webmcp.names`. */
export const NAMES = {
  plain: 'any (TypeScript client), userscript method',
  webmcp: 'any (TypeScript client), webmcp:<tool>',
  withoutWebmcp: 'any (TypeScript client), userscript method, browser without WebMCP',
  playwrightTool: 'Playwright page.evaluate, getTools() + executeTool()',
  playwright: BASELINE,
};

// The page's tools: the userscript methods' code (bench/userscripts/bench.user.js), as WebMCP tools.
const TOOLS_SCRIPT = `const context = document.modelContext;
if (context) {
  context.registerTool({
    name: 'echo',
    description: 'Returns its input.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
    annotations: { readOnlyHint: true },
    execute: (input) => input,
  });
  context.registerTool({
    name: 'readTable',
    description: "Reads the page's table into rows of cells.",
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
    execute: () => [...document.querySelectorAll('#data tr')].map((row) => [...row.cells].map((cell) => cell.textContent)),
  });
}
`;

/**
 * Measures the methods `echo` ({ text: 64 × "x" }) and `readTable` ({}), `calls.echo` and
 * `calls.readTable` sequential calls per contender per round, after `warmup` calls of each.
 * `table` is the benchmark page's table rows (HTML). `withoutWebmcpPort`: a running `any serve`
 * whose browser has no WebMCP, for the control contender (omitted: no control).
 */
export async function webmcpInRounds({ rounds, calls, warmup, table, withoutWebmcpPort, log = () => {} }) {
  const began = performance.now();
  const pages = createServer((request, response) => {
    if (request.url === '/webmcp-bench-tools.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      return response.end(TOOLS_SCRIPT);
    }
    response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'none'; script-src 'self'" });
    response.end(`<!doctype html><title>bench webmcp</title><script src="/webmcp-bench-tools.js"></script><table id="data">${table}</table>`);
  });
  await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
  const page = `http://127.0.0.1:${pages.address().port}/webmcp-bench`;
  const port = await freePort();
  let server;
  let browser;
  let playwright;
  try {
    server = await startServerProcess(port);
    browser = await launch({ port, headless: true, userscripts: BENCH_USERSCRIPTS, webmcp: true });
    await call(page, 'echo', {}, { port, timeout: 30_000 }); // the extension's hello, and the tab
    playwright = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', FEATURE] });
    const context = await playwright.newContext();
    await context.addInitScript({ path: decodeURIComponent(BENCH_USERSCRIPT_FILE.pathname) });
    const tab = await context.newPage();
    await tab.goto(page);

    const anyCall = (method, params) => call(page, method, params, { port });
    const callers = {
      [NAMES.plain]: anyCall,
      [NAMES.webmcp]: (method, params) => anyCall(`webmcp:${method}`, params),
      ...(withoutWebmcpPort && { [NAMES.withoutWebmcp]: (method, params) => call(page, method, params, { port: withoutWebmcpPort }) }),
      [NAMES.playwrightTool]: (method, params) => tab.evaluate(async ([name, input]) => {
        const tools = await document.modelContext.getTools();
        return document.modelContext.executeTool(tools.find((tool) => tool.name === name), input);
      }, [method, params]),
      [NAMES.playwright]: (method, params) => tab.evaluate(([name, input]) => globalThis.__any__[name](input), [method, params]),
    };
    await ready(callers);

    const methods = { echo: { text: 'x'.repeat(64) }, readTable: {} };
    log(`  warming up: ${warmup} calls of each method per contender…`);
    for (const [method, params] of Object.entries(methods)) await assertAgree(callers, method, params, { [NAMES.playwrightTool]: JSON.parse });
    for (let i = 0; i < warmup; i++) {
      for (const callIt of Object.values(callers)) for (const [method, params] of Object.entries(methods)) await callIt(method, params);
    }

    const contenders = Object.fromEntries(Object.entries(callers).map(([name, callIt]) => [name, timed(callIt)]));
    const result = { page: new URL(page).pathname, rounds, names: NAMES, tools: Object.keys(methods), methods: {} };
    for (const [method, params] of Object.entries(methods)) {
      log(`  ${method}: ${rounds} rounds of ${calls[method]} calls per contender…`);
      const latency = await latencyInRounds(contenders, { rounds, calls: calls[method], method, params });
      const metrics = ['p50', 'p90', 'p99'];
      result.methods[method] = {
        params,
        latency,
        // Each figure ÷ another contender's from the same round (median of the rounds, range).
        ratios: {
          // The tool through the mirror ÷ the userscript method's plain call.
          webmcpOverPlainCall: ratiosTo(latency, NAMES.plain, [NAMES.webmcp], metrics)[NAMES.webmcp],
          // The tool through DevTools ÷ Playwright's page.evaluate of the method.
          playwrightToolOverEvaluate: ratiosTo(latency, NAMES.playwright, [NAMES.playwrightTool], metrics)[NAMES.playwrightTool],
          // The tool through any ÷ the tool through Playwright.
          webmcpOverPlaywrightTool: ratiosTo(latency, NAMES.playwrightTool, [NAMES.webmcp], metrics)[NAMES.webmcp],
          // The plain call with WebMCP and the mirror on ÷ the same call in a browser without them.
          ...(withoutWebmcpPort && { plainCallWebmcpOnOverOff: ratiosTo(latency, NAMES.withoutWebmcp, [NAMES.plain], metrics)[NAMES.plain] }),
        },
      };
    }
    result.seconds = round((performance.now() - began) / 1000, 1);
    return result;
  } finally {
    await playwright?.close();
    server?.kill();
    await stopServer(port).catch(() => {});
    await browser?.close();
    pages.close();
  }
}

/** Waits until every contender can call the tools (the mirror publishes them as the page loads). */
async function ready(callers) {
  const deadline = Date.now() + 30_000;
  for (const [name, callIt] of Object.entries(callers)) {
    for (;;) {
      try {
        await callIt('echo', {});
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${name} cannot call the page's echo: ${error.message ?? error}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}
