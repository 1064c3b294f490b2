/**
 * The benchmark's plot: warm latency (pooled p50 and p99 per contender, and the median per-round
 * p50 ratio to Playwright) and throughput by calls in flight (pooled, with the range of the rounds),
 * drawn as SVG and rendered to PNG by the same headless Chromium (no plotting library).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const COLORS = { 'any (TypeScript client)': '#2563eb', 'any (MCP tool call, stdio)': '#7c3aed', 'any (MCP tool call, HTTP)': '#a78bfa', 'any (raw HTTP)': '#60a5fa', 'any (server in the same process)': '#1e3a8a', 'any (Python client)': '#93c5fd', 'Playwright page.evaluate': '#f97316' };
// Every path but Playwright's is any's: short enough for seven under the latency chart.
const SHORT = { 'any (TypeScript client)': 'TS client', 'any (MCP tool call, stdio)': 'MCP stdio', 'any (MCP tool call, HTTP)': 'MCP HTTP', 'any (raw HTTP)': 'raw HTTP', 'any (server in the same process)': 'in-process', 'any (Python client)': 'Python', 'Playwright page.evaluate': 'Playwright' };
const WIDTH = 1100;
const HEIGHT = 460;

export async function renderPlot(results, pngPath) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
${latencyChart(results.latency, 20, 20, 520, 400)}
${throughputChart(results.throughput, 580, 20, 500, 400)}
</svg>`;
  const dir = mkdtempSync(join(tmpdir(), 'any-plot-'));
  try {
    writeFileSync(join(dir, 'plot.html'), `<!doctype html><body style="margin:0">${svg}</body>`);
    execFileSync('/usr/bin/chromium', [
      '--headless', '--disable-gpu', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      `--user-data-dir=${join(dir, 'profile')}`, `--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${pngPath}`, '--hide-scrollbars',
      `file://${join(dir, 'plot.html')}`,
    ], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return pngPath;
}

function latencyChart(latency, x, y, width, height) {
  const names = Object.keys(latency);
  const max = Math.max(...names.map((name) => latency[name].p99)) * 1.1;
  const plotTop = y + 40;
  const plotHeight = height - 90;
  const band = (width - 60) / names.length;
  const scale = (ms) => (ms / max) * plotHeight;
  let bars = '';
  names.forEach((name, i) => {
    const left = x + 50 + i * band + band * 0.15;
    const barWidth = band * 0.32;
    for (const [k, key] of ['p50', 'p99'].entries()) {
      const h = scale(latency[name][key]);
      const bx = left + k * (barWidth + 4);
      bars += `<rect x="${bx}" y="${plotTop + plotHeight - h}" width="${barWidth}" height="${h}" fill="${COLORS[name] ?? '#888'}" opacity="${key === 'p50' ? 1 : 0.55}"/>`;
      bars += `<text x="${bx + barWidth / 2}" y="${plotTop + plotHeight - h - 4}" text-anchor="middle" font-size="11">${latency[name][key].toFixed(2)}</text>`;
    }
    bars += `<text x="${left + barWidth}" y="${plotTop + plotHeight + 18}" text-anchor="middle" font-size="11">${SHORT[name] ?? name}</text>`;
    const ratio = latency[name].vsPlaywright?.p50;
    if (ratio) bars += `<text x="${left + barWidth}" y="${plotTop + plotHeight + 34}" text-anchor="middle" font-size="10">×${ratio.median.toFixed(2)}<tspan x="${left + barWidth}" dy="12">(${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})</tspan></text>`;
  });
  return `<g><text x="${x}" y="${y + 16}" font-size="16" font-weight="bold">Warm latency, echo (ms): p50 solid, p99 light — lower is better</text>
<text x="${x}" y="${y + 33}" font-size="11">under each path: its p50 ÷ Playwright's, median of the rounds (range)</text>
<line x1="${x + 45}" y1="${plotTop + plotHeight}" x2="${x + width}" y2="${plotTop + plotHeight}" stroke="#333"/>${bars}</g>`;
}

function throughputChart(throughput, x, y, width, height) {
  const levels = Object.keys(throughput).map(Number);
  const names = Object.keys(throughput[levels[0]]);
  const max = Math.max(...levels.flatMap((level) => names.flatMap((name) => throughput[level][name].rounds.map((r) => r.callsPerSecond)))) * 1.15;
  const plotTop = y + 40;
  const plotHeight = height - 90;
  const plotLeft = x + 50;
  const plotWidth = width - 70;
  const px = (i) => plotLeft + (i / (levels.length - 1)) * plotWidth;
  const py = (value) => plotTop + plotHeight - (value / max) * plotHeight;
  let lines = '';
  names.forEach((name, k) => {
    const color = COLORS[name] ?? '#888';
    const points = levels.map((level, i) => `${px(i)},${py(throughput[level][name].callsPerSecond)}`).join(' ');
    lines += `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="3"/>`;
    levels.forEach((level, i) => {
      const perRound = throughput[level][name].rounds.map((r) => r.callsPerSecond);
      lines += `<line x1="${px(i)}" x2="${px(i)}" y1="${py(Math.min(...perRound))}" y2="${py(Math.max(...perRound))}" stroke="${color}" stroke-width="1.5"/>`;
      lines += `<circle cx="${px(i)}" cy="${py(throughput[level][name].callsPerSecond)}" r="4" fill="${color}"/>`;
    });
    lines += `<rect x="${plotLeft + 10}" y="${plotTop + 6 + k * 20}" width="14" height="14" fill="${color}"/><text x="${plotLeft + 30}" y="${plotTop + 18 + k * 20}">${name}</text>`;
  });
  const ticks = levels.map((level, i) => `<text x="${px(i)}" y="${plotTop + plotHeight + 18}" text-anchor="middle">${level}</text>`).join('');
  const yTicks = [0.25, 0.5, 0.75, 1].map((f) => `<text x="${plotLeft - 6}" y="${py(max * f / 1.15) + 4}" text-anchor="end" font-size="11">${Math.round(max * f / 1.15)}</text><line x1="${plotLeft}" x2="${plotLeft + plotWidth}" y1="${py(max * f / 1.15)}" y2="${py(max * f / 1.15)}" stroke="#eee"/>`).join('');
  return `<g><text x="${x}" y="${y + 16}" font-size="16" font-weight="bold">Throughput (calls/s) by calls in flight — higher is better</text>
<text x="${x}" y="${y + 33}" font-size="11">dots: all rounds pooled; vertical lines: slowest to fastest round</text>
${yTicks}<line x1="${plotLeft}" y1="${plotTop + plotHeight}" x2="${plotLeft + plotWidth}" y2="${plotTop + plotHeight}" stroke="#333"/>${lines}${ticks}
<text x="${plotLeft + plotWidth / 2}" y="${plotTop + plotHeight + 38}" text-anchor="middle">calls in flight</text></g>`;
}
