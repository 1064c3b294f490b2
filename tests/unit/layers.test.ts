/**
 * Which part of src/ may import which, in the spirit of Playwright's DEPS.list: the rules are
 * the table below; the test reads every .ts file under src/ and checks each of its imports
 * (static, `export … from`, side-effect and dynamic) against every rule whose `files` it is in.
 * A failure names the file, the import and the rule it breaks.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

interface Rule {
  /** The files the rule is about: a folder (ending in "/") or one file, relative to the repository. */
  files: string;
  /** Only these may be imported: folders or files of ours, or package names. */
  only?: string[];
  /** These may not be imported. */
  never?: string[];
  /** `import type` / `export type` are erased from the built code, so this rule ignores them. */
  runTimeOnly?: boolean;
  why: string;
}

const RULES: Rule[] = [
  { files: 'src/protocol/', only: ['src/protocol/', 'valibot'],
    why: 'the protocol is shared by every part, so it depends on none of them (only on its schema library)' },
  { files: 'src/server/', never: ['src/client/', 'src/cli/', 'src/extension/', 'src/mcp/stdio.ts'],
    why: 'the server is called by the client and the CLI and talks to the extension over a socket (its /mcp door reaches the dispatcher, not the client)' },
  { files: 'src/mcp/', never: ['src/server/', 'src/cli/', 'src/extension/', 'src/launcher/'],
    why: 'the MCP tools reach pages through a PageAccess handed in: the client (stdio) or the dispatcher (/mcp)' },
  { files: 'src/extension/', never: ['src/server/', 'src/client/', 'src/cli/', 'src/launcher/'],
    why: 'the extension is bundled for the browser and talks to the server over a socket' },
  { files: 'src/extension/main/bridge.ts', only: [], runTimeOnly: true,
    why: 'the page bridge is injected as one self-contained function (executeScript({ func }))' },
  { files: 'src/extension/main/', only: ['src/extension/main/', 'src/protocol/constants.ts'], runTimeOnly: true,
    why: 'main.js runs in every page: no schema library, only the plain constants' },
  { files: 'src/userscripts/webmcp-mirror.ts', only: [], runTimeOnly: true,
    why: 'the WebMCP mirror is a userscript the user installs: one plain script, with no dependencies' },
  { files: 'src/userscripts/', only: ['src/userscripts/'],
    why: 'the userscripts any ships run in pages, where nothing of any but themselves is loaded' },
  { files: 'src/client/', never: ['src/server/', 'src/extension/'],
    why: 'the client reaches the server over HTTP and WebSocket only' },
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Import {
  /** As written: './dispatcher.js', 'valibot', 'node:fs'. */
  specifier: string;
  /** `import type …` or `export type … from`: gone from the built code. */
  typeOnly: boolean;
  line: number;
}

/**
 * The imports of a module's text. Statements are found where they start a line, as every file
 * here writes them, so that examples in comments (which start with " *" or "//") are not taken
 * for imports; dynamic `import('…')` is found anywhere outside line comments.
 */
function importsOf(text: string): Import[] {
  const found: Import[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const statement = /^(import|export)(\s+type\b)?(?:[^'";]*?\bfrom\s*)?\s*['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(statement)) {
    const [whole, keyword, type] = match;
    // `export const x = …` and the like are not imports; an import without `from` is `import '…'`.
    if (keyword === 'export' && !/\bfrom\s*['"]/.test(whole)) continue;
    found.push({ specifier: match[3]!, typeOnly: Boolean(type), line: lineOf(match.index) });
  }
  const withoutLineComments = text.replace(/^\s*\/\/.*$/gm, (comment) => ' '.repeat(comment.length));
  for (const match of withoutLineComments.matchAll(/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g)) {
    found.push({ specifier: match[1]!, typeOnly: false, line: lineOf(match.index) });
  }
  return found;
}

/** Every .ts file under `folder`, relative to the repository, with "/" separators. */
function tsFilesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'))
    .sort();
}

/** What an import names: a file of ours (relative to the repository) or a package. */
function targetOf(file: string, specifier: string): { ours: string } | { packageName: string } {
  if (!specifier.startsWith('.')) {
    const parts = specifier.split('/');
    return { packageName: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]! };
  }
  const resolved = join(dirname(file), specifier).split(sep).join('/');
  // NodeNext style: './x.js' names './x.ts'.
  return { ours: resolved.replace(/\.js$/, '.ts') };
}

const covers = (prefix: string, path: string) => (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix);

function describeRule(rule: Rule): string {
  if (rule.never) return `may not import ${rule.never.join(', ')}`;
  const only = rule.only!.length ? `only ${rule.only!.join(', ')}` : 'nothing';
  return rule.runTimeOnly ? `may import ${only} at run time` : `may import ${only}`;
}

/** The ways `file`'s imports break the rules, one line each. */
function violations(file: string, text: string, rules: Rule[]): string[] {
  const problems: string[] = [];
  for (const { specifier, typeOnly, line } of importsOf(text)) {
    const target = targetOf(file, specifier);
    const name = 'ours' in target ? target.ours : target.packageName;
    if ('ours' in target && !existsSync(join(ROOT, target.ours))) {
      problems.push(`${file}:${line} imports '${specifier}', which is no file (${target.ours})`);
      continue;
    }
    for (const rule of rules) {
      if (!covers(rule.files, file) || (rule.runTimeOnly && typeOnly)) continue;
      const refused = rule.only
        ? !rule.only.some((allowed) => (allowed.startsWith('src/') ? covers(allowed, name) : allowed === name))
        : rule.never!.some((denied) => covers(denied, name));
      if (refused) problems.push(`${file}:${line} imports '${specifier}' (${name}): ${rule.files} ${describeRule(rule)} — ${rule.why}`);
    }
  }
  return problems;
}

describe('layers: which part of src/ may import which', () => {
  const files = tsFilesUnder('src');

  test('every rule is about files that exist', () => {
    for (const rule of RULES) assert.ok(files.some((file) => covers(rule.files, file)), `no file under ${rule.files}: update the table`);
  });

  test('every import of every file under src/ keeps to the table', () => {
    let checked = 0;
    const problems = files.flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      checked += importsOf(text).length;
      return violations(file, text, RULES);
    });
    assert.deepEqual(problems, [], `\n${problems.join('\n')}\n`);
    assert.ok(checked > 100, `only ${checked} imports found in ${files.length} files: is importsOf still finding them?`);
  });

  test('the page bridge imports only types, so it stays one self-contained function', () => {
    const imports = importsOf(readFileSync(join(ROOT, 'src/extension/main/bridge.ts'), 'utf8'));
    assert.deepEqual(imports.filter((found) => !found.typeOnly), []);
  });
});

/** Where the browser's own APIs are touched: in the background, by its entry module alone. */
const OUTSIDE_WORLD = /\bchrome\.|\bbrowser\.|\bfetch\(|\bnew WebSocket\b/;
const BACKGROUND = 'src/extension/background/';
const BACKGROUND_ENTRY = 'src/extension/background/index.ts';

/** A module's code without its comments, so that a comment may name `chrome.tabs`. */
function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('the background worker\'s core does not touch the browser', () => {
  test(`only ${BACKGROUND_ENTRY} uses chrome.*, fetch or WebSocket; the rest gets its outside world handed in`, () => {
    const touching = readdirSync(join(ROOT, BACKGROUND))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => `${BACKGROUND}${name}`)
      .filter((file) => OUTSIDE_WORLD.test(codeOf(readFileSync(join(ROOT, file), 'utf8'))));
    assert.deepEqual(touching, [BACKGROUND_ENTRY]);
  });

  test('the check sees a call in code and not one in a comment', () => {
    assert.equal(OUTSIDE_WORLD.test(codeOf('/** as `chrome.tabs.query` lists it */\nconst x = 1; // chrome.tabs\n')), false);
    assert.equal(OUTSIDE_WORLD.test(codeOf('const tabs = await chrome.tabs.query({});\n')), true);
    assert.equal(OUTSIDE_WORLD.test(codeOf("const s = new WebSocket('ws://x');\n")), true);
  });
});

describe('the layers check itself', () => {
  test('finds every form of import, telling type-only ones apart', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      'import {',
      '  c,',
      '  type D,',
      "} from '../c.js';",
      "import * as v from 'valibot';",
      "import './side-effect.js';",
      "export { e } from './e.js';",
      "export type { F } from './f.js';",
      "export * from './g.js';",
      'export const notAnImport = 1;',
      " * import { inAComment } from './comment.js';",
      "// import { alsoAComment } from './comment.js';",
      "const lazy = await import('./lazy.js');",
    ].join('\n');
    assert.deepEqual(importsOf(text).map(({ specifier, typeOnly }) => `${typeOnly ? 'type ' : ''}${specifier}`), [
      './a.js', 'type ./b.js', '../c.js', 'valibot', './side-effect.js', './e.js', 'type ./f.js', './g.js', './lazy.js',
    ]);
  });

  test('reports a bad import with its file, its line and the rule', () => {
    const problems = violations('src/server/example.ts', "import { x } from '../protocol/index.js';\nimport { call } from '../client/call.js';\n", RULES);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^src\/server\/example\.ts:2 imports '\.\.\/client\/call\.js' \(src\/client\/call\.ts\): src\/server\/ may not import/);
  });

  test('the protocol may import valibot but no other package, and nothing of ours outside it', () => {
    assert.deepEqual(violations('src/protocol/x.ts', "import * as v from 'valibot';\nimport { y } from './messages.js';\n", RULES), []);
    assert.equal(violations('src/protocol/x.ts', "import { WebSocket } from 'ws';\n", RULES).length, 1);
    assert.equal(violations('src/protocol/x.ts', "import { VERSION } from '../version.js';\n", RULES).length, 1);
  });

  test('the page bridge may import types but nothing at run time, not even an inline `type` import', () => {
    const file = 'src/extension/main/bridge.ts';
    assert.deepEqual(violations(file, "import type { ErrorShape } from '../../protocol/errors.js';\n", RULES), []);
    const bridgeRule = /src\/extension\/main\/bridge\.ts may import nothing at run time/;
    assert.match(violations(file, "import { MAX_RESULT_CHARS } from '../../protocol/constants.js';\n", RULES).join('\n'), bridgeRule);
    // Under verbatimModuleSyntax `import { type X }` stays in the output as `import '…'`.
    assert.match(violations(file, "import { type ErrorShape } from '../../protocol/errors.js';\n", RULES).join('\n'), bridgeRule);
    // The rest of main.js may have the plain constants, but not the schemas.
    assert.deepEqual(violations('src/extension/main/index.ts', "import { MAX_RESULT_CHARS } from '../../protocol/constants.js';\n", RULES), []);
    assert.equal(violations('src/extension/main/index.ts', "import { parse } from '../../protocol/messages.js';\n", RULES).length, 1);
  });

  test('an import of a file that does not exist is reported, so a wrong resolution cannot pass', () => {
    assert.match(violations('src/server/x.ts', "import { y } from './no-such-module.js';\n", RULES)[0]!, /which is no file/);
  });
});
