/** Small helpers the benchmark's sections share: a free port, and a check that contenders agree. */
import { createServer } from 'node:http';
import { isDeepStrictEqual } from 'node:util';

/** A port nothing listens on right now. */
export async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Every contender returns the same value for `method`, or this throws naming the one that did
 * not: the same page and method code on every path. `decode[name]`, if given, turns that
 * contender's raw answer into the value (Playwright's executeTool gives JSON text).
 */
export async function assertAgree(callers, method, params, decode = {}) {
  const [[first, callFirst], ...others] = Object.entries(callers);
  const expected = await callFirst(method, params);
  for (const [name, callIt] of others) {
    const raw = await callIt(method, params);
    const got = decode[name] ? decode[name](raw) : raw;
    if (!isDeepStrictEqual(got, expected)) throw new Error(`${name} returned ${JSON.stringify(got).slice(0, 200)} for ${method}, ${first} ${JSON.stringify(expected).slice(0, 200)}`);
  }
}
