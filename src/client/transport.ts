/**
 * HTTP to the local any server, for everything but calls: `GET /health` (also to tell what holds
 * a port), `GET /status` and `POST /shutdown`. Calls travel over the client's WebSocket
 * (server-connection.ts). Always 127.0.0.1 (no DNS, no proxy — Node's http module does not read
 * HTTP_PROXY, and nothing here does either), over kept-alive connections.
 */
import { Agent, request } from 'node:http';

/** Idle sockets are unref'd by the agent, so they never keep a script from exiting. */
const agent = new Agent({ keepAlive: true, timeout: 30_000 });

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** Something answered over HTTP, but not with JSON: not an any server. */
export class NotJsonResponse extends Error {}

export function requestJson(port: number, method: 'GET' | 'POST', path: string, body?: string, signal?: AbortSignal): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent,
      signal,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        if (!incoming.complete) return reject(new Error('the server closed the connection before answering in full'));
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          reject(new NotJsonResponse(`the server answered ${incoming.statusCode} with a body that is not JSON`));
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
