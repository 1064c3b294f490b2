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
