// The main job, end to end, on this machine alone: serve a local page, launch the managed
// headless Chromium with the example userscripts, call the `pageInfo` method through the client,
// print the result; then ask a tiny local chat page a question with `stream()`, print the answer's
// words as they are typed and then the whole answer; and close everything it started.
//
//   npm run demo                          in Chromium
//   npm run demo -- --browser firefox     in Firefox ESR
//
// It uses a private any server on a free port, so a server you run on 8765 is left alone.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { call, launch, startServer, stream } from 'any';

const { values: flags } = parseArgs({ options: { browser: { type: 'string' } } });

const userscripts = fileURLToPath(new URL('./userscripts/', import.meta.url));
const chatPage = new URL('./chat/', import.meta.url);

const pages = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0];
  // /chat/: a tiny chat page (examples/chat/) that types its answers; only its own script may run.
  if (path === '/chat/app.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' });
    return response.end(readFileSync(new URL('app.js', chatPage)));
  }
  if (path.startsWith('/chat/')) {
    response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'none'; script-src 'self'" });
    return response.end(readFileSync(new URL('index.html', chatPage)));
  }
  // Every other path: a page with the strictest CSP: its own scripts cannot run, the extension's still do.
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
  browser = await launch({ port: server.port, headless: true, userscripts, browser: flags.browser });
  const names = browser.userscripts.map((script) => script.metadata.name).join(', ');
  console.log(`Launched headless ${flags.browser === 'firefox' ? 'Firefox' : 'Chromium'} (pid ${browser.pid}) with userscripts: ${names}`);

  const params = { delay: 200 };
  console.log(`call(${JSON.stringify(page)}, "pageInfo", ${JSON.stringify(params)}) →`);
  const result = await call(page, 'pageInfo', params, { port: server.port });
  console.log(JSON.stringify(result, null, 2));

  // A method that talks while it runs: `ask` types the question into the chat page and sends each
  // piece of the answer as it appears; `stream()` yields those pieces, then gives the result.
  const chat = `${page}chat/`;
  const question = { prompt: 'What does any do?' };
  console.log(`\nstream(${JSON.stringify(chat)}, "ask", ${JSON.stringify(question)}) →`);
  const answer = stream(chat, 'ask', question, { port: server.port });
  for await (const words of answer) process.stdout.write(words);
  console.log(`\nresult: ${JSON.stringify(await answer.result)}`);
} catch (error) {
  console.error(`demo failed: ${error.name}: ${error.message}`);
  if (browser) console.error(browser.recentOutput());
  process.exitCode = 1;
} finally {
  await browser?.close();
  await server.close();
  pages.close();
}
