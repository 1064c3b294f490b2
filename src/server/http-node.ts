/**
 * Node's http server in front of the HTTP API (http-api.ts): an `IncomingMessage` becomes an
 * `HttpRequest`, the `HttpResponse` is written to the `ServerResponse`. This file only carries
 * bytes; every decision is made in http-api.ts and admission.ts.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpApi } from './http-api.js';

export function nodeHttpHandler(api: HttpApi, isSameUser: (socket: Socket) => boolean) {
  return (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    // A caller that hangs up before its answer cancels its call.
    const hangUp = new AbortController();
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) hangUp.abort();
    });
    let bodyRead = false;
    void api.request({
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: singleValues(incoming.headers),
      body: (maxBytes) => {
        bodyRead = true;
        return readBody(incoming, maxBytes);
      },
      sameUser: isSameUser(incoming.socket),
      signal: hangUp.signal,
    }).then((response) => {
      if (!bodyRead) incoming.resume(); // drain an unread body, so that the answer reaches the caller instead of a reset
      if (outgoing.destroyed) return;
      if (typeof response.body === 'string') {
        outgoing.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
        return outgoing.end(response.body);
      }
      outgoing.writeHead(response.status, response.headers);
      void writeStream(response.body, outgoing);
    });
  };
}

/**
 * Writes a streamed answer (MCP's server-sent events) as it comes. A caller that goes away
 * cancels the stream, so whoever feeds it knows (the SDK frees the session's stream slot).
 */
async function writeStream(body: ReadableStream<Uint8Array>, outgoing: ServerResponse): Promise<void> {
  outgoing.flushHeaders();
  const reader = body.getReader();
  outgoing.on('close', () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // A caller that reads slowly holds the next chunk back, so what waits stays in the stream,
      // where its producer sees it (MAX_PENDING_PROGRESS_BYTES), not in Node's buffer.
      if (!outgoing.write(value)) await drainedOrClosed(outgoing);
    }
  } catch {
    // cancelled: the caller went away
  }
  outgoing.end();
}

/** Resolves on the next 'drain' or 'close', and leaves no listener behind (a long stream waits many times). */
function drainedOrClosed(outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off('drain', done).off('close', done);
      resolve();
    };
    outgoing.once('drain', done).once('close', done);
  });
}

/** The body, or undefined as soon as it is larger than `maxBytes`; the rest then drains without being kept. */
function readBody(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array | undefined> {
  if (Number(incoming.headers['content-length'] ?? 0) > maxBytes) {
    incoming.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return chunks.push(chunk);
      chunks.length = 0;
      resolve(undefined);
    });
    incoming.on('end', () => resolve(size <= maxBytes ? Buffer.concat(chunks, size) : undefined));
    incoming.on('error', reject);
  });
}

/** Node gives repeated headers as arrays (only `set-cookie`, which the API does not read); the API takes one value each. */
function singleValues(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
}
