/**
 * A fake extension for server tests: a `ws` client that speaks the protocol (hello, then calls
 * and results), and a raw HTTP request whose every header the test controls.
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import { PINNED_EXTENSION_ID } from '../../src/extension-identity.js';
import type { ServerToExtension } from '../../src/protocol/index.js';

export interface FakeExtension {
  socket: WebSocket;
  received: ServerToExtension[];
  nextCall(): Promise<ServerToExtension & { type: 'call' }>;
  nextMessage(type: ServerToExtension['type']): Promise<ServerToExtension>;
  send(message: unknown): void;
}

export async function connectFakeExtension(port: number, workerId = 'fake-worker'): Promise<FakeExtension> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { origin: `chrome-extension://${PINNED_EXTENSION_ID}` });
  const received: ServerToExtension[] = [];
  const waiters: { type: string; resolve: (message: ServerToExtension) => void }[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ServerToExtension | ServerToExtension[];
    for (const message of Array.isArray(frame) ? frame : [frame]) {
      const waiter = waiters.findIndex((w) => w.type === message.type);
      if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve(message);
      else received.push(message);
    }
  });
  const nextMessage = (type: ServerToExtension['type']) => {
    const queued = received.findIndex((m) => m.type === type);
    if (queued >= 0) return Promise.resolve(received.splice(queued, 1)[0]!);
    return new Promise<ServerToExtension>((resolve) => waiters.push({ type, resolve }));
  };
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const send = (message: unknown) => socket.send(JSON.stringify(message));
  send({ v: 1, type: 'hello', id: 'h1', workerId, extensionVersion: '0.1.0', userAgent: 'fake' });
  await nextMessage('welcome');
  return { socket, received, send, nextMessage, nextCall: () => nextMessage('call') as Promise<ServerToExtension & { type: 'call' }> };
}

export interface RawResponse {
  status: number;
  body: any;
}

/** A raw HTTP request, so tests control every header (fetch would add its own). */
export function http(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

