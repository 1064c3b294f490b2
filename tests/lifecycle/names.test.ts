/**
 * An everyday browser's name over restarts (`npm run test:lifecycle`), on Chromium and Firefox. The
 * server names a browser that asks for no name after its brand, `chromium` (`firefox`), then
 * `chromium-2`; an everyday browser's extension keeps the name it was given in
 * chrome.storage.local and asks for it in every later hello. So the second browser stays
 * `chromium-2` even when it comes back to a server that has no `chromium` — where a browser asking
 * for none would get `chromium`. The browsers are spawned directly: a DevTools session would keep
 * the worker alive (docs/chromium-facts.md).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ManagedBrowser } from '../../src/launcher/launch.js';
import { startServer, type AnyServer } from '../../src/server/server.js';
import { BROWSERS, extensionProcessesOf, freePort, launchConnected, postJson, startPageServer, waitFor } from '../e2e/harness.js';

/** Their `whoAmI` answers "a" and "b": which browser ran a call. */
const SCRIPTS_A = fileURLToPath(new URL('../fixtures/browser-a/', import.meta.url));
const SCRIPTS_B = fileURLToPath(new URL('../fixtures/browser-b/', import.meta.url));
/**
 * Shorter than a worker's restart, so that the server forgets a browser while it is away and
 * only what the extension kept can bring its name back (within the grace, the server would).
 */
const RECONNECT_GRACE_MS = 200;

for (const { label, browser: engine } of BROWSERS) test(`an everyday browser keeps its name when the server restarts and when its worker restarts: ${label}`, async (t) => {
  const pages = await startPageServer();
  const port = await freePort();
  // Where the servers look for this user's Firefox profiles: the everyday Firefoxes' are linked here.
  const firefoxHome = mkdtempSync(join(tmpdir(), 'any-home-'));
  const serve = () => startServer({ port, reconnectGraceMs: RECONNECT_GRACE_MS, everydayFirefoxHome: firefoxHome });
  const brand = engine === undefined ? 'chromium' : 'firefox';
  let server: AnyServer = await serve();
  const launched: ManagedBrowser[] = [];
  const connected = () => server.dispatcher.browsers;
  const whoIs = async (name: string) => (await postJson(port, '/call', { page: pages.url('/who'), method: 'whoAmI', browser: name })).body.result;
  try {
    const first = await launchConnected(server, { asEveryday: true, userscripts: SCRIPTS_A, browser: engine, firefoxHome });
    launched.push(first.browser);
    const second = await launchConnected(server, { asEveryday: true, userscripts: SCRIPTS_B, browser: engine, firefoxHome });
    launched.push(second.browser);
    assert.deepEqual([first.name, second.name], [brand, `${brand}-2`]);
    assert.deepEqual(connected().map((info) => info.kind), ['everyday', 'everyday']);
    const [firstId, secondId] = connected().map((info) => info.installId);

    // The server restarts on the same port, and the second browser comes back first: the first
    // is held still (SIGSTOP) until the second has its name. (Stopped only once the old server
    // is closed: a browser that cannot answer its close handshake holds server.close() for 30 s.)
    await server.close();
    process.kill(-first.browser.pid, 'SIGSTOP');
    try {
      server = await serve();
      await waitFor(() => connected().length > 0, 10_000, () => 'no browser came back');
      assert.deepEqual(connected().map((info) => [info.installId, info.name]), [[secondId, `${brand}-2`]]);
    } finally {
      process.kill(-first.browser.pid, 'SIGCONT');
    }
    await waitFor(() => connected().length === 2, 10_000, () => 'the first browser did not come back');
    assert.deepEqual(connected().map((info) => [info.installId, info.name]), [[secondId, `${brand}-2`], [firstId, brand]]);
    assert.equal(await whoIs(`${brand}-2`), 'b');
    assert.equal(await whoIs(brand), 'a');

    // The first browser goes away for good, and the server forgets it: its name is free.
    await first.browser.close();
    await waitFor(() => connected().length === 1, 10_000, () => 'the first browser is still listed');
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_GRACE_MS));

    // The second browser's worker is killed; its open tab (from the call above) wakes a new one.
    const { workerId } = connected()[0]!;
    const pids = extensionProcessesOf(second.browser.pid, engine);
    assert.ok(pids.length, 'no extension process found');
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitFor(() => connected().length === 0, 5_000, () => 'the killed worker stayed connected');
    const goneAt = Date.now();
    await waitFor(() => connected().length === 1, 15_000, () => 'no new worker connected');
    const awayMs = Date.now() - goneAt;
    t.diagnostic(`the new worker connected after ${awayMs} ms away`);
    assert.ok(awayMs > RECONNECT_GRACE_MS, `back after ${awayMs} ms, within the grace: the server still knew it`);
    const [back] = connected();
    assert.notEqual(back!.workerId, workerId, 'a new worker');
    assert.deepEqual([back!.installId, back!.name], [secondId, `${brand}-2`]);
    assert.equal(await whoIs(`${brand}-2`), 'b');
  } finally {
    await Promise.all(launched.map((browser) => browser.close()));
    await server.close();
    await pages.close();
    rmSync(firefoxHome, { recursive: true, force: true });
  }
});
