/**
 * `--allow`: what an agent may see and call, narrowed by the user. Each entry is a page pattern
 * (it has a scheme: `https://chatgpt.com/*`) or a method pattern (`ask`, `read*`); `*` matches
 * any run of characters. With page patterns, only pages matching one of them are reachable; with
 * method patterns, only methods matching one of them. No entry: everything the userscripts
 * registered is reachable, which is already all an agent can ever reach.
 */

export interface AllowList {
  /** Whether the agent may reach `page` at all (list its methods, call one). */
  allowsPage(page: string): boolean;
  /** Whether the agent may see and call `method` on `page`. */
  allows(page: string, method: string): boolean;
  /** The entries, for messages. */
  readonly entries: readonly string[];
}

export function allowList(entries: readonly string[] = []): AllowList {
  const pages = entries.filter(isPagePattern).map(globToRegExp);
  const methods = entries.filter((entry) => !isPagePattern(entry)).map(globToRegExp);
  const allowsPage = (page: string) => !pages.length || pages.some((pattern) => pattern.test(page));
  return {
    entries,
    allowsPage,
    allows: (page, method) => allowsPage(page) && (!methods.length || methods.some((pattern) => pattern.test(method))),
  };
}

function isPagePattern(entry: string): boolean {
  return /^[a-z*][a-z0-9+.*-]*:\/\//i.test(entry);
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`);
}
