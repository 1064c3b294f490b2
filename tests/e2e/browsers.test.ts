/**
 * Many browsers on one server, through HTTP only (POST /call, POST /methods, GET /health,
 * GET /status): a call goes to the browser it names, else to the one already holding a tab for
 * its page, else to the first connected; unknown and malformed names fail at once; a browser
 * killed takes only its own calls with it; a browser that asks for no name is named after its
 * brand, with -2, -3 when that is taken. Real headless Chromium, spawned directly (no DevTools),
 * each with userscripts of its own (tests/fixtures/browser-*), whose `whoAmI` says which ran a call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ManagedBrowser } from '../../src/launcher/launch.js';
import { startServer, type AnyServer } from '../../src/server/server.js';
import { getJson, launchConnected, postJson, startPageServer, TEST_CONTROL_EXTENSION, waitFor, type PageServer } from './harness.js';

/** The userscripts of browser `letter`: `whoAmI` answers the letter, `only<LETTER>` is its alone. */
const scriptsOf = (letter: 'a' | 'b' | 'c') => fileURLToPath(new URL(`../fixtures/browser-${letter}/`, import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Short: within its first browser-wait a server lets a call naming an unknown browser wait (it
 * may still be connecting), and the tests of failing fast need a server past that.
 */
const BROWSER_WAIT_MS = 2_000;
const RECONNECT_GRACE_MS = 2_000;

describe('three browsers on one server, named a, b and c', () => {
  let pages: PageServer;
  let server: AnyServer;
  let startedAt: number;
  const browsers = new Map<string, ManagedBrowser>();
  const page = (path: string) => pages.url(path);
  const callIn = (path: string, method: string, params: Record<string, unknown> = {}, browser?: string) =>
    postJson(server.port, '/call', { page: page(path), method, params, ...(browser === undefined ? {} : { browser }) });
  /** The result of a call that must succeed; who ran it, for whoAmI. */
  const resultOf = async (answer: ReturnType<typeof callIn>) => {
    const { status, body } = await answer;
    assert.equal(status, 200, JSON.stringify(body));
    return body.result;
  };
  const health = async () => (await getJson(server.port, '/health')).body;
  const infoOf = async (name: string) => (await health()).browsers.find((info: { name: string }) => info.name === name);
  /** The tab report lags a change by ~100 ms: wait until the server has heard it. */
  const waitForOpenTabs = (name: string, count: number, also: (info: Record<string, any>) => boolean = () => true) =>
    waitFor(async () => {
      const info = await infoOf(name);
      return info?.openTabs === count && also(info);
    }, 10_000, () => `${name} never reported ${count} open tabs`);

  before(async () => {
    pages = await startPageServer();
    startedAt = Date.now();
    server = await startServer({ port: 0, browserWaitMs: BROWSER_WAIT_MS, reconnectGraceMs: RECONNECT_GRACE_MS });
    const launch = async (letter: 'a' | 'b' | 'c', extensions: string[] = []) => {
      const { browser, name } = await launchConnected(server, { name: letter, userscripts: scriptsOf(letter), extensions });
      browsers.set(letter, browser);
      assert.equal(name, letter);
    };
    // In this order, which is the servers' connection order: a is the default (the first connected).
    await launch('a');
    await launch('b', [TEST_CONTROL_EXTENSION]);
    await launch('c');
  });
  after(async () => {
    await Promise.all([...browsers.values()].map((browser) => browser.close()));
    await server?.close();
    await pages?.close();
  });

  test('a call naming a browser runs there, and POST /methods naming one lists its methods', async () => {
    for (const name of ['a', 'b', 'c']) {
      assert.equal(await resultOf(callIn('/named', 'whoAmI', {}, name)), name);
      const listing = await postJson(server.port, '/methods', { page: page('/named'), browser: name });
      assert.equal(listing.status, 200, JSON.stringify(listing.body));
      const methods = (listing.body.result as { name: string }[]).map((method) => method.name);
      assert.ok(methods.includes('whoAmI'), methods.join());
      assert.deepEqual(methods.filter((method) => method.startsWith('only')), [`only${name.toUpperCase()}`]);
    }
  });

  test('named in none: a call goes to the browser holding a tab for its page, else to the first connected (a)', async () => {
    const tabsOfB = (await infoOf('b')).openTabs;
    assert.equal(await resultOf(callIn('/held-by-b', 'whoAmI', {}, 'b')), 'b');
    await waitForOpenTabs('b', tabsOfB + 1);
    assert.equal(await resultOf(callIn('/held-by-b', 'whoAmI')), 'b', 'b holds the tab, though a is the default');
    assert.equal(await resultOf(callIn('/held-by-nobody', 'whoAmI')), 'a', 'nobody holds it: the default');

    // The tab-matching rule's prefix: a page that is a parent path of a tab's.
    assert.equal(await resultOf(callIn('/prefix/deep/page', 'whoAmI', {}, 'b')), 'b');
    await waitForOpenTabs('b', tabsOfB + 2);
    assert.equal(await resultOf(callIn('/prefix', 'whoAmI')), 'b', 'b holds a tab under /prefix/');
    assert.equal(await resultOf(callIn('/prefixed', 'whoAmI')), 'a', '/prefixed is not under /prefix/');
  });

  test('a tab the user opened (not for a call) counts: a call for its page goes to that browser', async () => {
    const { openTabs, workerId } = await infoOf('b');
    // As a user would: any is disabled, a tab opened, any enabled again (a new worker, which did not open it).
    await resultOf(callIn('/held-by-b', 'control', { action: 'open-tab-while-any-disabled', url: page('/opened-by-the-user'), delay: 100 }, 'b'));
    await waitForOpenTabs('b', openTabs + 1, (info) => info.workerId !== workerId);
    assert.equal(await resultOf(callIn('/opened-by-the-user', 'whoAmI')), 'b');
  });

  test('GET /health and GET /status list every browser; /status shows each call in flight with its browser and route', async () => {
    const listed = (await health()).browsers as Record<string, any>[];
    assert.deepEqual(listed.map((info) => info.name), ['a', 'b', 'c'], 'in connection order, the default first');
    for (const info of listed) {
      assert.equal(info.kind, 'managed');
      assert.equal(info.brand, 'Chromium');
      assert.match(info.version, /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(Number.isInteger(info.openTabs) && info.openTabs > 0, `${info.name} has tabs open`);
      assert.equal(info.callsInFlight, 0);
    }

    const running = [
      callIn('/slow-named', 'sleep', { ms: 2_000 }, 'c'),
      callIn('/held-by-b', 'sleep', { ms: 2_000 }),
      callIn('/slow-default', 'sleep', { ms: 2_000 }),
    ];
    await waitFor(async () => (await health()).callsInFlight === 3, 5_000, () => 'the calls did not start');
    const status = await getJson(server.port, '/status');
    assert.equal(status.status, 200);
    const calls = (status.body.calls as Record<string, any>[])
      .map((call) => `${call.method} ${new URL(call.page).pathname} in ${call.browser} (${call.route}, ${call.phase})`)
      .sort();
    assert.deepEqual(calls, [
      'sleep /held-by-b in b (open-tab, in-browser)',
      'sleep /slow-default in a (default, in-browser)',
      'sleep /slow-named in c (named, in-browser)',
    ]);
    const browsers = status.body.browsers as Record<string, any>[];
    assert.deepEqual(browsers.map((info) => [info.name, info.kind, info.callsInFlight]), [['a', 'managed', 1], ['b', 'managed', 1], ['c', 'managed', 1]]);
    for (const info of browsers) {
      assert.match(info.version, /^\d+\./);
      assert.ok(info.openTabs > 0);
      assert.equal(info.calls?.length, 1, `${info.name} reports its own call: ${JSON.stringify(info.calls)}`);
    }
    assert.equal(status.body.callsInFlight, 3);
    assert.deepEqual((await health()).browsers.map((info: Record<string, any>) => info.callsInFlight), [1, 1, 1]);
    assert.deepEqual(await Promise.all(running.map(resultOf)), ['c', 'b', 'a']);
  });

  test('a launch asking for a name already connected gets "<name>-2"', async () => {
    const twin = await launchConnected(server, { name: 'a', userscripts: scriptsOf('a') });
    try {
      assert.equal(twin.name, 'a-2');
      assert.deepEqual((await health()).browsers.map((info: { name: string }) => info.name), ['a', 'b', 'c', 'a-2']);
      assert.equal(await resultOf(callIn('/twin', 'whoAmI', {}, 'a-2')), 'a');
      assert.notEqual((await infoOf('a-2')).installId, (await infoOf('a')).installId);
    } finally {
      await twin.browser.close();
    }
  });

  test('naming a browser that is not connected fails at once with NO_BROWSER, listing the connected ones', async () => {
    // Past the server's first browser-wait, in which browsers may still be connecting.
    await sleep(startedAt + BROWSER_WAIT_MS + 100 - Date.now());
    for (const path of ['/call', '/methods']) {
      const askedAt = Date.now();
      const answer = await postJson(server.port, path, { page: page('/unknown-name'), ...(path === '/call' ? { method: 'whoAmI' } : {}), browser: 'nobody' });
      const tookMs = Date.now() - askedAt;
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'NO_BROWSER');
      assert.match(answer.body.error.message, /No browser named "nobody"/);
      assert.match(answer.body.error.message, /Connected: "a" \(managed Chromium [\d.]+\), "b" \(.*\), "c" \(.*\)\./);
      assert.ok(tookMs < BROWSER_WAIT_MS / 4, `answered after ${tookMs} ms`);
    }
  });

  test('a malformed browser name: 400 BAD_REQUEST naming the field', async () => {
    for (const browser of ['two words', '', '-leading-dash', 'x'.repeat(64), 'é', 42, null]) {
      for (const path of ['/call', '/methods']) {
        const answer = await postJson(server.port, path, { page: page('/malformed'), ...(path === '/call' ? { method: 'whoAmI' } : {}), browser });
        assert.equal(answer.status, 400, `${path} ${JSON.stringify(browser)}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'BAD_REQUEST');
        assert.match(answer.body.error.message, /browser/);
      }
    }
    // Well-formed but unknown is not a bad request.
    assert.equal((await callIn('/malformed', 'whoAmI', {}, 'x'.repeat(63))).status, 503);
  });

  test('c killed: its calls fail with DISCONNECTED after the grace; calls in a and b go on untouched', async () => {
    const tabsOfC = (await infoOf('c')).openTabs;
    await resultOf(callIn('/doomed', 'whoAmI', {}, 'c'));
    await waitForOpenTabs('c', tabsOfC + 1);
    const doomed = [callIn('/doomed', 'sleep', { ms: 20_000 }, 'c'), callIn('/doomed', 'sleep', { ms: 20_000 })];
    const spanning = callIn('/spanning', 'sleep', { ms: 3_000 }, 'a');
    await waitFor(async () => {
      const status = (await getJson(server.port, '/status')).body.browsers as Record<string, any>[];
      const running = (name: string) => status.find((info) => info.name === name)?.calls?.filter((call: { phase: string }) => call.phase === 'running').length;
      return running('c') === 2 && running('a') === 1;
    }, 10_000, () => 'the calls did not start running');

    // A steady stream of calls in a and b, through the kill and past the grace.
    let streaming = true;
    const stream = (async () => {
      const outcomes: string[] = [];
      while (streaming) {
        for (const [path, browser, expected] of [['/steady', 'a', 'a'], ['/steady', 'b', 'b'], ['/held-by-nobody', undefined, 'a']] as const) {
          const { status, body } = await callIn(path, 'whoAmI', {}, browser);
          outcomes.push(status === 200 && body.result === expected ? 'ok' : `${browser ?? 'unnamed'}: ${status} ${JSON.stringify(body)}`);
        }
      }
      return outcomes;
    })();

    await sleep(300);
    const killedAt = Date.now();
    process.kill(-browsers.get('c')!.pid, 'SIGKILL');
    const failures = await Promise.all(doomed.map(async (answer) => ({ ...(await answer), afterMs: Date.now() - killedAt })));
    await sleep(300);
    streaming = false;
    const outcomes = await stream;

    for (const { status, body, afterMs } of failures) {
      assert.equal(status, 502, JSON.stringify(body));
      assert.equal(body.error.code, 'DISCONNECTED');
      assert.match(body.error.message, /The browser "c" disconnected/);
      assert.ok(afterMs >= RECONNECT_GRACE_MS - 100 && afterMs < RECONNECT_GRACE_MS + 2_000, `failed ${afterMs} ms after the kill`);
    }
    assert.ok(outcomes.length >= 30, `only ${outcomes.length} calls in the stream`);
    assert.deepEqual(outcomes.filter((outcome) => outcome !== 'ok').slice(0, 3), [], 'the first failures in the stream');
    assert.equal(await resultOf(spanning), 'a', 'a call running in a through the kill');

    assert.deepEqual((await health()).browsers.map((info: { name: string }) => info.name), ['a', 'b']);
    const askedAt = Date.now();
    const named = await callIn('/doomed', 'whoAmI', {}, 'c');
    assert.ok(Date.now() - askedAt < BROWSER_WAIT_MS / 4, 'gone past the grace: not waited for');
    assert.equal(named.status, 503);
    assert.equal(named.body.error.code, 'NO_BROWSER');
    assert.match(named.body.error.message, /Connected: "a" \(.*\), "b" \(.*\)\. /);
    assert.doesNotMatch(named.body.error.message, /"c" \(/);
  });
});

describe('a server that just started', () => {
  test('lets a call naming an unknown browser wait out its first browser-wait (it may be connecting), then fails', async () => {
    const server = await startServer({ port: 0, browserWaitMs: 1_000 });
    try {
      const askedAt = Date.now();
      const answer = await postJson(server.port, '/call', { page: 'http://127.0.0.1:1/', method: 'whoAmI', browser: 'later' });
      const tookMs = Date.now() - askedAt;
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error.code, 'NO_BROWSER');
      assert.match(answer.body.error.message, /No browser named "later" .*\(waited \d+ ms\): no browser is connected at all/);
      assert.ok(tookMs > 800 && tookMs < 2_000, `answered after ${tookMs} ms`);
    } finally {
      await server.close();
    }
  });
});

describe('browsers that ask for no name are named after their brand', { concurrency: true }, () => {
  /** Launches browsers one after another (an everyday one is told from the others only by being new). */
  async function launchTwo(server: AnyServer, asEveryday: boolean, launched: ManagedBrowser[]): Promise<string[]> {
    const names: string[] = [];
    for (const letter of ['a', 'b'] as const) {
      const { browser, name } = await launchConnected(server, { userscripts: scriptsOf(letter), asEveryday });
      launched.push(browser);
      names.push(name);
    }
    return names;
  }

  for (const [kind, asEveryday] of [['managed', false], ['everyday', true]] as const) {
    test(`two ${kind} browsers: "chromium" and "chromium-2", each reached by its name`, async () => {
      const server = await startServer({ port: 0 });
      const launched: ManagedBrowser[] = [];
      try {
        const names = await launchTwo(server, asEveryday, launched);
        assert.deepEqual(names, ['chromium', 'chromium-2']);
        const listed = (await getJson(server.port, '/health')).body.browsers as Record<string, any>[];
        assert.deepEqual(listed.map((info) => [info.name, info.kind]), [['chromium', kind], ['chromium-2', kind]]);
        const pages = await startPageServer();
        try {
          for (const [name, expected] of [['chromium', 'a'], ['chromium-2', 'b']]) {
            const answer = await postJson(server.port, '/call', { page: pages.url('/by-name'), method: 'whoAmI', browser: name });
            assert.equal(answer.body.result, expected, JSON.stringify(answer.body));
          }
        } finally {
          await pages.close();
        }
      } finally {
        await Promise.all(launched.map((browser) => browser.close()));
        await server.close();
      }
    });
  }
});
