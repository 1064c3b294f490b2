/**
 * One extension's WebSocket. It becomes a routable browser only after its `hello`;
 * every frame is validated against the protocol before it reaches the dispatcher.
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
  type BrowserInfo,
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
    const text = data.toString();
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      // The worker splices the page's JSON text into its result frames; if that text was not
      // JSON, fail the calls the frame names rather than leave them to their timeout.
      for (const [, id] of text.matchAll(/"type":"result","id":"([\w-]{1,128})"/g)) {
        if (link && id) dispatcher.receiveInvalid(link, id, 'its result is not valid JSON');
      }
      return log('ignored a WebSocket frame that is not JSON');
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
      const info: BrowserInfo = {
        workerId: message.workerId,
        extensionVersion: message.extensionVersion,
        userAgent: message.userAgent,
        connectedAt: new Date().toISOString(),
      };
      link = { info, send, inspect };
      reply({ v: PROTOCOL_VERSION, type: 'welcome', id: message.id, serverVersion: context.serverVersion });
      dispatcher.attach(link);
      log(`browser connected (extension ${info.extensionVersion}, worker ${info.workerId})`);
    } else if (message.type === 'ping') {
      reply({ v: PROTOCOL_VERSION, type: 'pong', id: message.id });
    } else if (message.type === 'state') {
      inspections.get(message.id)?.(message);
    } else if (link) {
      dispatcher.receive(link, message);
    }
  };

  socket.on('close', () => {
    clearTimeout(helloTimer);
    for (const answer of inspections.values()) answer(undefined);
    if (!link) return;
    dispatcher.detach(link);
    log(`browser disconnected (worker ${link.info.workerId})`);
  });
  socket.on('error', (error) => log(`browser socket error: ${error.message}`));
}
