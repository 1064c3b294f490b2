// The main job, end to end, on this machine alone: serve a local page, launch the managed
// headless Chromium with the example userscript, call its `pageInfo` method through the client,
// print the result, and close everything it started.
//
//   npm run demo
//
// It uses a private any server on a free port, so a server you run on 8765 is left alone.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { call, launch, startServer } from 'any';

const userscripts = fileURLToPath(new URL('./userscripts/', import.meta.url));

// A page with the strictest CSP: its own scripts cannot run, the extension's still do.
const pages = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'none'; script-src 'none'" });
  response.end('<!doctype html><title>any demo page</title><h1>Hello from a local page</h1>');
});
await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
const page = `http://127.0.0.1:${pages.address().port}/`;
console.log(`Serving a page at ${page}`);

const server = await startServer({ port: 0 });
console.log(`any server listening on port ${server.port}`);

let browser;
try {
  browser = await launch({ port: server.port, headless: true, userscripts });
  const names = browser.userscripts.map((script) => script.metadata.name).join(', ');
  console.log(`Launched headless Chromium (pid ${browser.pid}) with userscript: ${names}`);

  const params = { delay: 200 };
  console.log(`call(${JSON.stringify(page)}, "pageInfo", ${JSON.stringify(params)}) →`);
  const result = await call(page, 'pageInfo', params, { port: server.port });
  console.log(JSON.stringify(result, null, 2));
} catch (error) {
  console.error(`demo failed: ${error.name}: ${error.message}`);
  if (browser) console.error(browser.recentOutput());
  process.exitCode = 1;
} finally {
  await browser?.close();
  await server.close();
  pages.close();
}
