// ==UserScript==
// @name         any example: pageInfo
// @namespace    https://github.com/any
// @description  Adds __any__.pageInfo, which waits `delay` ms and describes the page.
// @match        *://*/*
// @grant        none
// @run-at       document-start
// ==/UserScript==

// Methods live on globalThis.__any__ in the page's own world. Keep whatever other scripts
// registered there, and add ours.
globalThis.__any__ = globalThis.__any__ || {};

globalThis.__any__.pageInfo = async ({ delay = 500 } = {}) => {
  await new Promise((resolve) => setTimeout(resolve, delay));
  return { title: document.title, url: location.href, readyState: document.readyState };
};

// Optional: describe the method, for `npx any methods <page>` and for agents that discover it.
globalThis.__any__.pageInfo.description = 'Waits `delay` ms, then returns the page title, URL and ready state.';
globalThis.__any__.pageInfo.inputSchema = {
  type: 'object',
  properties: { delay: { type: 'number', description: 'milliseconds to wait first', default: 500 } },
};

// A long method can talk while it runs. `progress(value)` sends a JSON value to the caller at
// once (`stream()` or `onProgress` in TypeScript, `Accept: application/x-ndjson`
// over HTTP, progress notifications over MCP); the return value is still the result.
globalThis.__any__.countdown = async ({ from = 3, delay = 200 } = {}, { signal, progress }) => {
  for (let n = from; n > 0; n--) {
    if (signal.aborted) return 'stopped';
    progress(n);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return 'liftoff';
};

// The same as an async generator: each `yield` is a progress value, the `return` the result.
globalThis.__any__.headings = async function* () {
  for (const heading of document.querySelectorAll('h1, h2, h3')) yield heading.textContent;
  return document.querySelectorAll('h1, h2, h3').length;
};
