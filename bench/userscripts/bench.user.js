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
