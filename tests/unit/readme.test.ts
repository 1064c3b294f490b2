/**
 * README.md restates the protocol's constants for people: the Errors table (each code's name,
 * HTTP status and CLI exit code) and the defaults and limits in the prose. These tests read
 * them back out of the README and compare them with describeProtocol(), the description built
 * from src/protocol that the build writes to dist/protocol.json, so that the README cannot
 * drift from the source. When a README sentence is reworded, its check below says which one to
 * update.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { EXIT_CODES, USAGE_EXIT_CODE } from '../../src/cli/exit-codes.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { METHOD_ANNOTATION_KEYS } from '../../src/protocol/constants.js';
import { describeProtocol } from '../../src/protocol/description.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** The README with every run of white space as one space, so that sentences match across line breaks. */
const PROSE = README.replace(/\s+/g, ' ');
const protocol = describeProtocol();

/**
 * The README's rules for the table, which these tests enforce:
 *
 * - HTTP: the status the server answers the code with; after it, in parentheses, the other
 *   statuses it also uses for that code, e.g. "400 (415, 405)" (a wrong Content-Type, a wrong
 *   HTTP method). Only the first is checked against the description.
 * - CLIENT_RAISED: codes the clients raise themselves, which no server answers with: their HTTP
 *   cell is "—" (the description still gives them a status, for completeness of ERROR_CODES).
 * - PAGE_NAMED: codes whose errors carry the page's own name ("TypeError") rather than the
 *   code's: their name cell says "*the page's own*".
 */
const CLIENT_RAISED = new Set(['NO_SERVER']);
const PAGE_NAMED = new Set(['METHOD_THREW']);

interface ErrorRow {
  code: string;
  name: string;
  http: string;
  exit: string;
}

/** The rows of the table under the "### Errors" heading, by the columns named in its header. */
function errorTable(markdown: string): ErrorRow[] {
  const section = markdown.split(/^### Errors$/m)[1];
  assert.ok(section, 'README.md has no "### Errors" section');
  const lines = section.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => line.startsWith('|'));
  assert.ok(start >= 0, 'the Errors section has no table');
  const table: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    table.push(line);
  }
  const [header, rule, ...rows] = table.map(cellsOf);
  assert.ok(header && rule && rule.every((cell) => /^:?-+:?$/.test(cell)), 'the Errors table has no header row');
  const column = (title: string): number => {
    const index = header.indexOf(title);
    assert.ok(index >= 0, `the Errors table has no "${title}" column (it has ${header.join(', ')})`);
    return index;
  };
  const [code, name, http, exit] = ['code', 'name', 'HTTP', 'CLI exit'].map(column) as [number, number, number, number];
  return rows.map((cells) => ({ code: unquote(cells[code]!), name: cells[name]!, http: cells[http]!, exit: cells[exit]! }));
}

function cellsOf(line: string): string[] {
  return line.replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((cell) => cell.trim());
}

/** `CODE` → CODE; anything else stays as it is, and fails the comparison. */
function unquote(cell: string): string {
  return /^`[^`]+`$/.test(cell) ? cell.slice(1, -1) : cell;
}

/** "400" → [400]; "400 (415, 405)" → [400, 415, 405]; anything else → undefined. */
function statusesOf(cell: string): number[] | undefined {
  const found = /^(\d{3})(?: \((\d{3}(?:, \d{3})*)\))?$/.exec(cell);
  if (!found) return undefined;
  return [Number(found[1]), ...(found[2]?.split(', ').map(Number) ?? [])];
}

describe('README.md: the Errors table', () => {
  const rows = errorTable(README);
  const codes = Object.keys(protocol.errors);

  test('has one row for every error code, and no other', () => {
    const listed = rows.map((row) => row.code);
    assert.deepEqual([...listed].sort(), [...codes].sort());
    assert.equal(new Set(listed).size, listed.length, `a code is listed twice: ${listed.join(', ')}`);
  });

  for (const row of rows) {
    const expected = protocol.errors[row.code as keyof typeof protocol.errors];
    if (!expected) continue; // reported by the test above
    test(`${row.code}: its name, HTTP status and CLI exit code`, () => {
      if (PAGE_NAMED.has(row.code)) assert.match(row.name, /^\*the page's own\*/, `${row.code}'s name cell`);
      else assert.equal(row.name, `\`${expected.name}\``, `${row.code}'s name`);

      if (CLIENT_RAISED.has(row.code)) {
        assert.equal(row.http, '—', `${row.code} is raised by the clients, never answered by the server: its HTTP cell is "—"`);
      } else {
        const statuses = statusesOf(row.http);
        assert.ok(statuses, `${row.code}'s HTTP cell "${row.http}" is neither "<status>" nor "<status> (<status>, …)"`);
        assert.equal(statuses[0], expected.status, `${row.code}'s HTTP status`);
      }

      assert.equal(row.exit, String(expected.exit), `${row.code}'s CLI exit code`);
    });
  }
});

/** "16 MiB" → bytes; "30 000" (ms) → 30000; "30 s" → 30000 ms; "one hour" → 3600000 ms. */
const MIB = (text: string): number => Number(/^(\d+) MiB$/.exec(text)?.[1]) * 1024 * 1024;
const NUMBER = (text: string): number => Number(text.replace(/\s/g, ''));
const SECONDS_IN_MS = (text: string): number => NUMBER(text) * 1000;
const DURATION_IN_MS = (text: string): number => {
  const found = /^(one|\d+) (hour|minute|second)s?$/.exec(text);
  if (!found) return Number.NaN;
  const count = found[1] === 'one' ? 1 : Number(found[1]);
  return count * { hour: 3_600_000, minute: 60_000, second: 1000 }[found[2] as 'hour' | 'minute' | 'second'];
};

/** Sentences of the README that state a constant: the pattern (matched in PROSE) captures the value. */
const STATED: { where: string; pattern: RegExp; read: (text: string) => number; expected: number }[] = [
  // TypeScript
  { where: 'call() options: the port', pattern: /`port` \((\d+)\), `timeout` in ms/, read: NUMBER, expected: protocol.defaults.port },
  { where: 'call() options: the default timeout', pattern: /`timeout` in ms \(([\d ]+);/, read: NUMBER, expected: protocol.defaults.callTimeoutMs },
  { where: 'call() options: the largest timeout', pattern: /`timeout` in ms \([\d ]+; at most ([^)]+)\)/, read: DURATION_IN_MS, expected: protocol.limits.maxCallTimeoutMs },
  // Python
  { where: 'Python call(): the default timeout', pattern: /server's default is (\d+) s, at most \d+\)/, read: SECONDS_IN_MS, expected: protocol.defaults.callTimeoutMs },
  { where: 'Python call(): the largest timeout', pattern: /server's default is \d+ s, at most (\d+)\)/, read: SECONDS_IN_MS, expected: protocol.limits.maxCallTimeoutMs },
  { where: 'Python call(): the default port', pattern: /\*\*`call\(page, method, params=None, \*, timeout=None, browser=None, port=(\d+),/, read: NUMBER, expected: protocol.defaults.port },
  { where: 'Python methods(): the default port', pattern: /\*\*`methods\(page, \*, timeout=None, browser=None, port=(\d+),/, read: NUMBER, expected: protocol.defaults.port },
  { where: 'Python health(): the default port', pattern: /\*\*`health\(port=(\d+)\)`\*\*/, read: NUMBER, expected: protocol.defaults.port },
  { where: 'Python stop_server(): the default port', pattern: /\*\*`stop_server\(port=(\d+)\)`\*\*/, read: NUMBER, expected: protocol.defaults.port },
  // CLI
  { where: 'any serve --max-body: the ceiling', pattern: /--max-body <bytes, ≤ (\d+ MiB)>/, read: MIB, expected: protocol.limits.maxClientMessageBytes },
  { where: 'CLI: the default port', pattern: /The port defaults to (\d+) everywhere\./, read: NUMBER, expected: protocol.defaults.port },
  { where: 'CLI: the usage exit code', pattern: /params that are not a JSON object\) exits (\d+)\./, read: NUMBER, expected: protocol.usageExitCode },
  // HTTP
  { where: 'HTTP: the default port', pattern: /port (\d+) by default\./, read: NUMBER, expected: protocol.defaults.port },
  { where: 'HTTP: the largest result', pattern: /Results are limited to (\d+ MiB) of JSON\./, read: MIB, expected: protocol.limits.maxResultChars },
  // Errors table
  { where: 'TOO_LARGE: the default body limit', pattern: /A call over (\d+ MiB) — an HTTP body/, read: MIB, expected: protocol.limits.defaultMaxBodyBytes },
  { where: 'TOO_LARGE: the --max-body ceiling', pattern: /`any serve --max-body` changes it, up to (\d+ MiB)\)/, read: MIB, expected: protocol.limits.maxClientMessageBytes },
  { where: 'TOO_LARGE: the largest result', pattern: /or a result over (\d+ MiB) of JSON\./, read: MIB, expected: protocol.limits.maxResultChars },
  { where: 'NO_BROWSER: the browser wait', pattern: /No browser connected within (\d+) s\./, read: SECONDS_IN_MS, expected: protocol.defaults.browserWaitMs },
  // Which browser a call runs in
  { where: 'routing: a named browser is waited for in the server\'s first browser wait', pattern: /in the server's first (\d+) s \(`--browser-wait`\)/, read: SECONDS_IN_MS, expected: protocol.defaults.browserWaitMs },
  { where: 'routing: with none connected, a call waits the browser wait', pattern: /With none connected, the call waits up to (\d+) s for one\./, read: SECONDS_IN_MS, expected: protocol.defaults.browserWaitMs },
  { where: 'routing: the reconnect grace', pattern: /has been gone for less than\s+(\d+) s \(its worker reconnecting\)/, read: SECONDS_IN_MS, expected: protocol.defaults.reconnectGraceMs },
  { where: 'routing: a reconnect keeps the default\'s place', pattern: /reconnects within (\d+) s keeps its place/, read: SECONDS_IN_MS, expected: protocol.defaults.reconnectGraceMs },
  { where: 'TIMEOUT: the default timeout', pattern: /No answer within the timeout \(default (\d+) s\)/, read: SECONDS_IN_MS, expected: protocol.defaults.callTimeoutMs },
  // Your everyday Chrome
  { where: 'the extension\'s port', pattern: /it connects to the any server on port (\d+) and retries/, read: NUMBER, expected: protocol.defaults.port },
];

describe('README.md: the defaults and limits it states', () => {
  for (const { where, pattern, read, expected } of STATED) {
    test(where, () => {
      const found = pattern.exec(PROSE);
      assert.ok(found, `README.md no longer matches ${pattern} (${where}): update the README or this check`);
      assert.equal(read(found[1]!), expected, `${where}: README.md says "${found[1]}"`);
    });
  }

  test('the error classes the TypeScript section names are the codes\' names', () => {
    const bullet = /\*\*`call<R>\(page, method, params = \{\}, options = \{\}\): Promise<R>`\*\*[^]*?\n- /.exec(README);
    assert.ok(bullet, 'README.md no longer describes call<R>() in a bullet');
    const named = [...bullet[0].matchAll(/`(\w+Error)`/g)].map((found) => found[1]!).filter((name) => name !== 'AnyError');
    assert.ok(named.length > 0, 'the call<R>() bullet names no error classes');
    const names = new Set(Object.values(protocol.errors).map((error) => error.name));
    for (const name of named) assert.ok(names.has(name), `README.md names ${name}, which is no error code's name`);
  });
});

describe('describeProtocol() (dist/protocol.json)', () => {
  test('is plain JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(protocol)), protocol);
  });

  test('gives the CLI\'s exit codes', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(protocol.errors).map(([code, error]) => [code, error.exit])), EXIT_CODES);
    assert.equal(protocol.usageExitCode, USAGE_EXIT_CODE);
  });
});

describe('README.md: what it lists', () => {
  test('the hints a listing keeps are METHOD_ANNOTATION_KEYS', () => {
    const found = /whose known hints are kept when they are booleans \(([^)]*)\)/.exec(PROSE);
    assert.ok(found, 'README.md no longer names the listing\'s hints ("whose known hints are kept when they are booleans (…)")');
    assert.deepEqual([...found[1]!.matchAll(/`(\w+)`/g)].map((hint) => hint[1]), [...METHOD_ANNOTATION_KEYS]);
  });

  test('the CLI reference has a row for every command of the CLI', () => {
    const help = execFileSync(process.execPath, [CLI_ENTRY, '--help'], { encoding: 'utf8' });
    const commands = [...help.split(/^Commands:$/m)[1]!.matchAll(/^ {2}(\w[\w-]*)/gm)].map((found) => found[1]!).filter((name) => name !== 'help');
    assert.ok(commands.length >= 9, `found the commands ${commands.join(', ')} in \`any --help\``);
    for (const command of commands) assert.match(README, new RegExp(`^\\| \`npx any ${command}\\b`, 'm'), `README.md's CLI table has no row for \`any ${command}\``);
  });
});
