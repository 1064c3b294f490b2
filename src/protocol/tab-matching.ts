/**
 * Which open tab a call's `page` runs in. The rule (also in the README):
 *
 *   - same origin (scheme, host and port), fragments ignored;
 *   - EXACT: the same path and query — preferred;
 *   - PREFIX: `page` has no query and its path is the tab's path or a parent of it,
 *     on a `/` boundary — so `https://chatgpt.com/` reuses a tab at `https://chatgpt.com/c/123`,
 *     and `https://x.com/a` matches `/a/b` and `/a?q=1` but not `/ab`;
 *   - otherwise no match, and a new tab is opened at `page`.
 *
 * Pure functions, shared by the extension (which tab of a browser) and the server (which browser
 * already holds a tab for the page), and unit-tested without a browser.
 */

export const NO_MATCH = 0;
export const PREFIX_MATCH = 1;
export const EXACT_MATCH = 2;

export function matchPage(page: string, tabUrl: string | undefined): number {
  if (!tabUrl) return NO_MATCH;
  let wanted: URL;
  let actual: URL;
  try {
    wanted = new URL(page);
    actual = new URL(tabUrl);
  } catch {
    return NO_MATCH;
  }
  if (wanted.origin !== actual.origin || wanted.origin === 'null') return NO_MATCH;
  if (wanted.pathname === actual.pathname && wanted.search === actual.search) return EXACT_MATCH;
  if (wanted.search) return NO_MATCH;
  const parent = wanted.pathname.endsWith('/') ? wanted.pathname : `${wanted.pathname}/`;
  if (actual.pathname === wanted.pathname || actual.pathname.startsWith(parent)) return PREFIX_MATCH;
  return NO_MATCH;
}

/** The match pattern `chrome.tabs.query` needs to list a page's candidate tabs (any port, any path). */
export function queryPatternFor(page: string): string {
  const url = new URL(page);
  return `${url.protocol}//${url.hostname}/*`;
}

/** `page` without its fragment: calls for the same key share one tab being opened. */
export function pageKey(page: string): string {
  const url = new URL(page);
  url.hash = '';
  return url.href;
}
