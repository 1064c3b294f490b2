/**
 * The two ways to run a page method that the benchmark compares, each set up on the same
 * Chromium binary, the same page (served on 127.0.0.1 with a strict CSP) and the same method code
 * (any on Firefox, against these on Chromium, is bench/lib/firefox.mjs's):
 *   - any: a separate `any serve` process, a managed headless browser, and a caller in this process
 *     (or in a Python process, or a server in this process, or an agent's MCP session: the official
 *     v1 SDK client calling the `call_page_method` tool through `any mcp` over stdio or `/mcp`);
 *   - Playwright: playwright-core driving the same binary, `page.evaluate` calling the method.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium } from 'playwright-core';
import { call, launch, startServer, stream } from '../../dist/index.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON_BENCH = fileURLToPath(new URL('../python_client_bench.py', import.meta.url));
export const BENCH_USERSCRIPTS = fileURLToPath(new URL('../userscripts/', import.meta.url));
const BENCH_USERSCRIPT = readFileSync(new URL('../userscripts/bench.user.js', import.meta.url), 'utf8');

/** Starts `any serve` as its own process, as a call would; resolves once it is listening. */
export function startServerProcess(port) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`any serve exited with ${code}`)));
  });
}

export async function startAny({ port, page }) {
  const server = await startServerProcess(port);
  const browser = await launch({ port, headless: true, userscripts: BENCH_USERSCRIPTS });
  // The first call waits for the extension to connect and opens the tab.
  await call(page, 'echo', {}, { port, timeout: 30_000 });
  return {
    server,
    browser,
    call: (method, params) => call(page, method, params, { port }),
    rawHttp: rawHttpCaller(port, page),
    // Streamers for the progress measures: (method, params, onValue) → result, onValue(value) on each value's arrival.
    stream: async (method, params, onValue) => {
      const answer = stream(page, method, params, { port });
      for await (const value of answer) onValue(value);
      return answer.result;
    },
    rawNdjson: ndjsonStreamer(port, page),
    async close() {
      server.kill();
      await browser.close();
    },
  };
}

/** A program that runs its own server and calls through it (`server.call`): no socket to the server. */
export async function startAnyInProcess({ page }) {
  const server = await startServer({ port: 0 });
  const browser = await launch({ port: server.port, headless: true, userscripts: BENCH_USERSCRIPTS });
  await server.call(page, 'echo', {}, { timeout: 30_000 });
  return {
    call: (method, params) => server.call(page, method, params),
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * The Python client (python/any_client.py) in one long-lived process (bench/python_client_bench.py),
 * warmed up; `times(method, params, count)` runs `count` sequential calls there. Undefined without Python.
 */
export async function startPython({ port, page }) {
  try {
    execFileSync('python3', ['-S', '-c', 'import sys; sys.path.insert(0, "python"); import any_client'], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const child = spawn('python3', ['-S', PYTHON_BENCH, '--port', String(port), '--page', page], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the Python benchmark exited with ${child.exitCode}`);
    return value;
  };
  await line(); // "ready"
  return {
    async times(method, params, count) {
      child.stdin.write(`${JSON.stringify({ method, params, calls: count })}\n`);
      return JSON.parse(await line());
    },
    close() {
      child.stdin.end();
    },
  };
}

/** The same call over plain HTTP with a kept-alive connection: what any's client adds on top. */
function rawHttpCaller(port, page) {
  const agent = new Agent({ keepAlive: true });
  return (method, params) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ page, method, params });
    const outgoing = request({ host: '127.0.0.1', port, path: '/call', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (incoming) => {
      const chunks = [];
      incoming.on('data', (chunk) => chunks.push(chunk));
      incoming.on('end', () => {
        const answer = JSON.parse(Buffer.concat(chunks).toString());
        if (answer.error) reject(new Error(answer.error.message));
        else resolve(answer.result);
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * `POST /call` with `Accept: application/x-ndjson` on a kept-alive connection, read line by line as
 * the chunks come: `onValue` for each progress line, the result line resolves.
 */
function ndjsonStreamer(port, page) {
  const agent = new Agent({ keepAlive: true });
  return (method, params, onValue) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ page, method, params });
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'application/x-ndjson' };
    const outgoing = request({ host: '127.0.0.1', port, path: '/call', method: 'POST', agent, headers }, (incoming) => {
      let rest = '';
      let settled = false;
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) {
          if (!line) continue;
          const message = JSON.parse(line);
          if ('progress' in message) onValue(message.progress);
          else if (message.error) { settled = true; reject(new Error(message.error.message)); }
          else { settled = true; resolve(message.result); }
        }
      });
      incoming.on('end', () => { if (!settled) reject(new Error('the NDJSON answer ended without a result line')); });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** `any mcp` as an agent spawns it, on its stdin and stdout; it reaches the benchmark's server. */
export function startMcpStdio({ port, page }) {
  return mcpSession(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--port', String(port)], stderr: 'inherit' }), page);
}

/** `/mcp` on the benchmark's server, over Streamable HTTP (a 2025-era session). */
export function startMcpHttp({ port, page }) {
  return mcpSession(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)), page);
}

/** A connected v1 SDK client whose `call` is the tool call `call_page_method {page, method, params}`. */
async function mcpSession(transport, page) {
  const client = new Client({ name: 'any-bench', version: '1.0.0' });
  await client.connect(transport);
  let closed = false;
  return {
    async call(method, params) {
      const answer = await client.callTool({ name: 'call_page_method', arguments: { page, method, params } });
      if (answer.isError) throw new Error(answer.content[0]?.text);
      return answer.structuredContent.result;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (transport.sessionId) await transport.terminateSession(); // HTTP: the server drops the session (DELETE /mcp)
      await client.close();
    },
  };
}

export async function startPlaywright({ page: url }) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext();
  await context.addInitScript(BENCH_USERSCRIPT);
  const page = await context.newPage();
  await page.goto(url);
  return {
    browser,
    call: (method, params) => page.evaluate(([name, args]) => globalThis.__any__[name](args), [method, params]),
    async close() {
      await browser.close();
    },
  };
}
