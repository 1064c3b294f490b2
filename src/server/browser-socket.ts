/**
 * One extension's WebSocket (`/ws`, admitted by admission.ts). It becomes a routable browser only
 * after its `hello`; every message is validated against the protocol before it reaches the
 * dispatcher. A frame that is not JSON text closes the socket (1003 binary, 1007 not JSON), as on
 * `/client`: nothing in it can be trusted, not even the ids it seems to name, so its calls go the
 * way of any dropped socket's (dispatcher.ts: the reconnect grace, then DISCONNECTED). A message
 * that is JSON but breaks the protocol fails only the call whose id it carries.
 */
import type { WebSocket } from 'ws';
import { randomUUID } from 'node:crypto';
import {
  CallFailure,
  createBatcher,
  ExtensionToServer,
  frameOf,
  parseFrame,
  PROTOCOL_VERSION,
  textLength,
  type ExtensionState,
  type ServerToExtension,
} from '../protocol/index.js';
import type { BrowserLink, CallDispatcher } from './dispatcher.js';

const HELLO_TIMEOUT_MS = 5_000;

export interface BrowserSocketContext {
  dispatcher: CallDispatcher;
  serverVersion: string;
  log: (line: string) => void;
}

export function acceptBrowserSocket(socket: WebSocket, context: BrowserSocketContext): void {
  const { dispatcher, log } = context;
  let link: BrowserLink | undefined;
  // Calls that arrive together (one pass of the event loop) leave in one frame.
  const enqueue = createBatcher<string>((texts) => {
    if (socket.readyState === socket.OPEN) socket.send(frameOf(texts));
  }, setImmediate, textLength);
  /**
   * For the dispatcher: throws when the socket cannot send, so the call fails at once — with a
   * CallFailure when the message itself cannot be sent (params that are not JSON: a BigInt, a cycle).
   */
  const send = (message: ServerToExtension) => {
    if (socket.readyState !== socket.OPEN) throw new Error('socket is not open');
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      throw CallFailure.of('BAD_REQUEST', `Bad call: params cannot be sent as JSON (${(error as Error).message}).`);
    }
    enqueue(text);
  };
  /** For replies from inside our own event handlers: a closing socket simply gets none. */
  const reply = (message: ServerToExtension) => {
    if (socket.readyState === socket.OPEN) enqueue(JSON.stringify(message));
  };
  const inspections = new Map<string, (state: ExtensionState | undefined) => void>();
  /** Asks the extension for its state; undefined if it does not answer within `timeoutMs`. */
  const inspect = (timeoutMs: number) => new Promise<ExtensionState | undefined>((resolve) => {
    const id = randomUUID();
    const timer = setTimeout(() => answer(undefined), timeoutMs);
    const answer = (state: ExtensionState | undefined) => {
      clearTimeout(timer);
      inspections.delete(id);
      resolve(state);
    };
    inspections.set(id, answer);
    try {
      send({ v: PROTOCOL_VERSION, type: 'inspect', id });
    } catch {
      answer(undefined);
    }
  });
  const helloTimer = setTimeout(() => socket.close(4000, 'expected a hello message first'), HELLO_TIMEOUT_MS);

  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(1003, 'any speaks JSON text frames only');
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch (error) {
      log(`closed a browser socket that sent a frame that is not JSON (${(error as Error).message})`);
      return socket.close(1007, 'any speaks JSON text frames only; this frame is not JSON');
    }
    const messages = parseFrame(ExtensionToServer, frame);
    messages.forEach((parsed, index) => {
      if (parsed.ok) return handle(parsed.value);
      const raw = Array.isArray(frame) ? frame[index] : frame;
      const id = (raw as { id?: unknown } | null)?.id;
      if (link && typeof id === 'string') dispatcher.receiveInvalid(link, id, parsed.problem);
      log(`ignored an invalid message from the extension: ${parsed.problem}`);
    });
  });

  const handle = (message: ExtensionToServer) => {
    if (message.type === 'hello') {
      if (link) return;
      clearTimeout(helloTimer);
      link = { hello: message, connectedAt: new Date().toISOString(), send, inspect };
      const name = dispatcher.attach(link);
      reply({ v: PROTOCOL_VERSION, type: 'welcome', id: message.id, serverVersion: context.serverVersion, name });
      log(`browser "${name}" connected (${message.kind ?? 'everyday'}, extension ${message.extensionVersion}, worker ${message.workerId})`);
    } else if (message.type === 'ping') {
      reply({ v: PROTOCOL_VERSION, type: 'pong', id: message.id });
    } else if (message.type === 'state') {
      inspections.get(message.id)?.(message);
    } else if (!link) {
      // Nothing before the hello: no call can be this socket's yet.
    } else if (message.type === 'progress') {
      dispatcher.receiveProgress(link, message);
    } else if (message.type === 'tabs') {
      dispatcher.receiveTabs(link, message);
    } else {
      dispatcher.receive(link, message);
    }
  };

  socket.on('close', () => {
    clearTimeout(helloTimer);
    for (const answer of inspections.values()) answer(undefined);
    if (!link) return;
    dispatcher.detach(link);
    log(`browser disconnected (worker ${link.hello.workerId})`);
  });
  socket.on('error', (error) => log(`browser socket error: ${error.message}`));
}
