// ==UserScript==
// @name         any benchmark methods
// @match        http://127.0.0.1/*
// @grant        none
// @run-at       document-start
// ==/UserScript==
// The same code runs in both contenders: any loads it as a userscript, Playwright as an init script.
globalThis.__any__ = globalThis.__any__ || {};

// The trivial method: what the call path itself costs.
globalThis.__any__.echo = (params) => params;

// A realistic one: read the page's table into data, as a scraping method would.
globalThis.__any__.readTable = () =>
  [...document.querySelectorAll('#data tr')].map((row) => [...row.cells].map((cell) => cell.textContent));

// How long the page took to load, for the cold-start breakdown.
globalThis.__any__.loadTiming = () => {
  const [navigation] = performance.getEntriesByType('navigation');
  return { loadEventEndMs: navigation ? navigation.loadEventEnd : null };
};

// Streaming: `n` small progress values sent as fast as the page can, then the count.
globalThis.__any__.burst = ({ n = 1000 }, { progress }) => {
  for (let i = 1; i <= n; i++) progress(i);
  return { sent: n };
};

// Streaming delay: `n` values `gap` ms apart, each carrying its send time in epoch milliseconds
// (comparable with the caller's `performance.timeOrigin + performance.now()` on the same machine).
globalThis.__any__.stamped = async ({ n = 50, gap = 4 }, { progress }) => {
  for (let i = 1; i <= n; i++) {
    if (i > 1) await new Promise((resolve) => setTimeout(resolve, gap));
    progress({ i, t: performance.timeOrigin + performance.now() });
  }
  return { sent: n };
};
