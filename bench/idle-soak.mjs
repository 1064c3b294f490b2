// Measures how the extension's connection fares while idle, for docs/lifecycle.md:
//   node bench/idle-soak.mjs [minutes]        (default 5)
// Launches a managed headless Chromium (no DevTools) against a private server, leaves it idle,
// samples the connection every second, then makes one call.
import { createServer } from 'node:http';
import { call, launch, startServer } from 'any';

const minutes = Number(process.argv[2] ?? 5);
const pages = createServer((request, response) => response.end('<title>soak</title>'));
await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
const server = await startServer({ port: 0 });
const browser = await launch({ port: server.port, headless: true, userscripts: new URL('../tests/fixtures/userscripts/', import.meta.url).pathname });
try {
  while (!server.dispatcher.browsers.length) await new Promise((resolve) => setTimeout(resolve, 100));
  const connections = new Set();
  let secondsWithout = 0;
  const end = Date.now() + minutes * 60_000;
  while (Date.now() < end) {
    const browsers = server.dispatcher.browsers;
    for (const b of browsers) connections.add(`${b.workerId}@${b.connectedAt}`);
    if (!browsers.length) secondsWithout++;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const started = performance.now();
  const result = await call(`http://127.0.0.1:${pages.address().port}/`, 'echo', { after: `${minutes} min` }, { port: server.port });
  console.log(JSON.stringify({ minutes, connections: connections.size, secondsWithout, callAfterIdleMs: Math.round(performance.now() - started), result }));
} finally {
  await browser.close();
  await server.close();
  pages.close();
}
