/**
 * The one use any makes of the DevTools protocol: loading unpacked extensions into a branded
 * Google Chrome (137 and later), which ignores `--load-extension`. Chrome is started with
 * `--remote-debugging-pipe` (the protocol on its file descriptors 3 and 4, never on a port that
 * any local process could reach) and `--enable-unsafe-extension-debugging`, and the launcher sends
 * `Extensions.loadUnpacked` for each extension — then nothing more. No target is attached, so no
 * DevTools session keeps the extension's service worker alive and hides the suspension bugs users
 * hit (docs/chromium-facts.md); the pipe stays open only because Chrome exits when it closes.
 *
 * The framing: each message is one JSON object followed by a NUL byte, in both directions.
 */
import type { Readable, Writable } from 'node:stream';

/** How long Chrome gets to answer one command (loading an extension reads its folder). */
export const PIPE_COMMAND_TIMEOUT_MS = 15_000;

export interface DevtoolsPipe {
  /** Sends one command to the browser target; resolves with its result, rejects with its error. */
  send(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export function devtoolsPipe(toBrowser: Writable, fromBrowser: Readable): DevtoolsPipe {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  let buffered = '';
  const failAll = (error: Error) => {
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  fromBrowser.setEncoding('utf8');
  fromBrowser.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const text = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      receive(text);
    }
  });
  fromBrowser.on('close', () => failAll(new Error('the browser closed its DevTools pipe (it exited?)')));
  // A pipe the browser has closed must not crash the launcher; the command fails instead.
  toBrowser.on('error', (error) => failAll(error));
  fromBrowser.on('error', (error) => failAll(error));

  function receive(text: string): void {
    let message: { id?: unknown; result?: unknown; error?: { message?: unknown } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // not ours to understand; events are ignored too
    }
    if (typeof message.id !== 'number') return;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.error) pending.reject(new Error(String(message.error.message ?? JSON.stringify(message.error))));
    else pending.resolve((message.result ?? {}) as Record<string, unknown>);
  }

  return {
    send(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`the browser did not answer ${method} within ${PIPE_COMMAND_TIMEOUT_MS / 1000} s`));
        }, PIPE_COMMAND_TIMEOUT_MS);
        const settle = <T>(done: (value: T) => void) => (value: T) => {
          clearTimeout(timer);
          done(value);
        };
        waiting.set(id, { resolve: settle(resolve), reject: settle(reject) });
        toBrowser.write(`${JSON.stringify({ id, method, params })}\0`);
      });
    },
  };
}

/**
 * Loads each unpacked extension folder over the pipe; resolves with the ids Chrome gave them, in
 * order, or rejects naming the folder that failed and why.
 */
export async function loadUnpackedExtensions(pipe: DevtoolsPipe, dirs: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const dir of dirs) {
    try {
      const { id } = await pipe.send('Extensions.loadUnpacked', { path: dir });
      ids.push(String(id));
    } catch (error) {
      throw new Error(`The browser did not load the extension in ${dir} over its DevTools pipe: ${(error as Error).message}`);
    }
  }
  return ids;
}
