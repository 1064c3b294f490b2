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
  const pages = entries.filter(isPagePattern).map(pagePattern);
  const methods = entries.filter((entry) => !isPagePattern(entry)).map((entry) => globToRegExp(entry));
  const allowsPage = (page: string) => !pages.length || pages.some((matches) => matches(page));
  return {
    entries,
    allowsPage,
    allows: (page, method) => allowsPage(page) && (!methods.length || methods.some((pattern) => pattern.test(method))),
  };
}

function isPagePattern(entry: string): boolean {
  return /^[a-z*][a-z0-9+.*-]*:\/\//i.test(entry);
}

/**
 * A page pattern is matched against the page as the browser will load it (parsed, `..` resolved):
 * its scheme and host part against the page's scheme and host only, so that a `*` there cannot
 * run on into the path (`https://*.example.com/*` must not let `https://evil.com/x.example.com/`
 * through), and the rest against the page's path, query and fragment. No path: the root only.
 */
function pagePattern(pattern: string): (page: string) => boolean {
  const hostStart = pattern.indexOf('://') + 3;
  const hostLength = pattern.slice(hostStart).search(/[/?#]/);
  const origin = globToRegExp(hostLength < 0 ? pattern : pattern.slice(0, hostStart + hostLength), 'i');
  const rest = globToRegExp(hostLength < 0 ? '/' : pattern.slice(hostStart + hostLength));
  return (page) => {
    let url: URL;
    try {
      url = new URL(page);
    } catch {
      return false;
    }
    return origin.test(`${url.protocol}//${url.host}`) && rest.test(`${url.pathname}${url.search}${url.hash}`);
  };
}

function globToRegExp(glob: string, flags = ''): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`, flags);
}
