/**
 * Reads a userscript's `// ==UserScript==` block the way Tampermonkey and Violentmonkey do,
 * keeping what the managed browser honours: @name, @match, @include, @exclude,
 * @exclude-match, @run-at, @noframes and @grant (only `none` is supported).
 */

export type RunAt = 'document_start' | 'document_end' | 'document_idle';

export interface UserscriptMetadata {
  name: string;
  matches: string[];
  includes: string[];
  excludes: string[];
  excludeMatches: string[];
  runAt: RunAt;
  noframes: boolean;
  grants: string[];
}

const RUN_AT: Record<string, RunAt> = {
  'document-start': 'document_start',
  'document-body': 'document_end',
  'document-end': 'document_end',
  'document-idle': 'document_idle',
};

export function parseUserscriptMetadata(source: string, fallbackName: string): UserscriptMetadata {
  const metadata: UserscriptMetadata = {
    name: fallbackName,
    matches: [],
    includes: [],
    excludes: [],
    excludeMatches: [],
    runAt: 'document_idle', // Tampermonkey's default
    noframes: false,
    grants: [],
  };
  const block = /\/\/\s*==UserScript==([\s\S]*?)\/\/\s*==\/UserScript==/.exec(source);
  if (!block) return metadata;
  for (const line of block[1]!.split('\n')) {
    const entry = /^\s*\/\/\s*@([\w:-]+)(?:\s+(.*?))?\s*$/.exec(line);
    if (!entry) continue;
    const key = entry[1]!;
    const value = entry[2] ?? '';
    if (key === 'name') metadata.name = value || fallbackName;
    else if (key === 'match') metadata.matches.push(value);
    else if (key === 'include') metadata.includes.push(value);
    else if (key === 'exclude') metadata.excludes.push(value);
    else if (key === 'exclude-match') metadata.excludeMatches.push(value);
    else if (key === 'run-at') metadata.runAt = RUN_AT[value] ?? metadata.runAt;
    else if (key === 'noframes') metadata.noframes = true;
    else if (key === 'grant') metadata.grants.push(value);
  }
  return metadata;
}
