/**
 * Turns userscript URL rules into regular expressions tested against `location.href`:
 *
 *   @match    Chrome match patterns: `<all_urls>`, `*://*.example.com/path*`. A `*` scheme
 *             means http or https; a host without a port matches any port; the path part
 *             also covers the query string, as in Chrome.
 *   @include  globs where `*` is any run of characters (`http://*.example.com/*`), or a
 *   @exclude  regular expression written `/source/flags`.
 */

export function matchPatternToRegExp(pattern: string): RegExp {
  if (pattern === '<all_urls>' || pattern === '*') return /^(?:https?|file|ftp):\/\//;
  const parts = /^(\*|https?|http\*|file|ftp):\/\/([^/]*)(\/.*)?$/.exec(pattern);
  if (!parts) throw new Error(`"${pattern}" is not a match pattern (expected scheme://host/path, e.g. *://example.com/*)`);
  const [, scheme, host = '', path = '/'] = parts;
  const schemeSource = scheme === '*' || scheme === 'http*' ? 'https?' : scheme!;
  let hostSource: string;
  if (host === '*') hostSource = '[^/]*';
  else {
    const subdomains = host.startsWith('*.');
    const bare = subdomains ? host.slice(2) : host;
    const withPort = /:\d+$/.test(bare) || bare.endsWith(':*') ? escape(bare).replace(/:\\\*$/, ':\\d+') : `${escape(bare)}(?::\\d+)?`;
    hostSource = subdomains ? `(?:[^/]*\\.)?${withPort}` : withPort;
  }
  return new RegExp(`^${schemeSource}:\\/\\/${hostSource}${globSource(path)}$`);
}

export function includeRuleToRegExp(rule: string): RegExp {
  const regex = /^\/(.*)\/([a-z]*)$/.exec(rule);
  if (regex) return new RegExp(regex[1]!, regex[2]);
  return new RegExp(`^${globSource(rule)}$`);
}

function globSource(glob: string): string {
  return glob.split('*').map(escape).join('.*');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
