/**
 * The WebMCP mirror's userscript metadata. The sites it runs on are the user's choice: the built
 * file names a placeholder site, `npx any webmcp --match <pattern>` writes the user's own, and
 * `any launch --webmcp` loads it for every page of the managed browser.
 */

export const WEBMCP_MIRROR_NAME = 'any WebMCP mirror';
/** Where the built file matches until the user says where: a site no one has, so it runs nowhere. */
export const PLACEHOLDER_MATCH = 'https://your-site.example/*';

export function webmcpMirrorMetadata(matches: readonly string[], version: string): string {
  return [
    '// ==UserScript==',
    `// @name         ${WEBMCP_MIRROR_NAME}`,
    '// @namespace    https://github.com/any',
    `// @version      ${version}`,
    '// @description  Makes this site\'s WebMCP tools (document.modelContext) callable through any, as the methods webmcp:<tool name>.',
    ...matches.map((match) => `// @match        ${match}`),
    '// @grant        none',
    '// @run-at       document-start',
    '// @noframes',
    '// ==/UserScript==',
    '//',
    '// Install it only for the sites whose WebMCP tools you want programs and agents to call through any:',
    '// change the @match lines above, or write them with `npx any webmcp --match \'https://site.example/*\'`.',
    '// It adds nothing to a page without WebMCP tools. What it means for security: docs/security.md.',
    '',
  ].join('\n');
}

/** The mirror with the user's @match lines in place of the ones it has. */
export function withMatches(source: string, matches: readonly string[]): string {
  const lines = source.split('\n');
  const first = lines.findIndex((line) => /^\/\/ @match\s/.test(line));
  if (first < 0) throw new Error('The WebMCP mirror has no @match line to replace.');
  const kept = lines.filter((line) => !/^\/\/ @match\s/.test(line));
  kept.splice(first, 0, ...matches.map((match) => `// @match        ${match}`));
  return kept.join('\n');
}
