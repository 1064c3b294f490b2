/**
 * One caller's WebSocket (`/client`): the TypeScript client's way in. Each message is a call (or
 * a method listing) answered by one result; calls run concurrently, and a caller that goes away
 * cancels its calls, as an HTTP caller that hangs up does.
 */
import type { WebSocket } from 'ws';
import {
  CallFailure,
  ClientToServer,
  createBatcher,
  errorShape,
  frameOf,
  MAX_PENDING_PROGRESS_BYTES,
  parseFrame,
  PROTOCOL_VERSION,
  textLength,
  type ErrorShape,
} from '../protocol/index.js';
import { slowReaderFailure, toDispatchedCall, type CallDispatcher } from './dispatcher.js';

export interface ClientSocketContext {
  dispatcher: CallDispatcher;
  /** The largest call, as over HTTP (`--max-body`). */
  maxMessageBytes: number;
  log: (line: string) => void;
}

export function acceptClientSocket(socket: WebSocket, context: ClientSocketContext): void {
  const { dispatcher, log } = context;
  /** This caller's calls in flight, by the id the caller gave them. */
  const calls = new Map<string, AbortController>();
  // Answers that are ready in the same pass of the event loop leave in one frame.
  const enqueue = createBatcher<string>((texts) => {
    if (socket.readyState === socket.OPEN) socket.send(frameOf(texts));
  }, setImmediate, textLength);
  const answer = (id: string, outcome: { result: unknown } | { error: ErrorShape }) => {
    enqueue(JSON.stringify({ v: PROTOCOL_VERSION, type: 'result', id, ...outcome }));
  };

  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(1003, 'any speaks JSON text frames only');
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch (error) {
      log(`closed a client socket whose frame is not JSON: ${(error as Error).message}`);
      // A fixed reason: a close reason may take 123 bytes at most, which a parser's message need not fit.
      return socket.close(1007, 'any speaks JSON text frames only; this frame is not JSON');
    }
    const size = (data as Buffer).length;
    if (size > context.maxMessageBytes) {
      // Clients send a large call on its own; every call in an oversized frame gets the answer.
      for (const message of Array.isArray(frame) ? frame : [frame]) {
        const id = (message as { id?: unknown } | null)?.id;
        if (typeof id === 'string' && id && !calls.has(id)) {
          answer(id, { error: errorShape('TOO_LARGE', `The call is ${size} bytes, more than this server takes (${context.maxMessageBytes}); send smaller params, or start the server with a larger --max-body.`) });
        }
      }
      return;
    }
    parseFrame(ClientToServer, frame).forEach((parsed, index) => {
      if (!parsed.ok) {
        const id = ((Array.isArray(frame) ? frame[index] : frame) as { id?: unknown } | null)?.id;
        if (typeof id === 'string' && id) answer(id, { error: errorShape('BAD_REQUEST', `Bad call: ${parsed.problem}.`) });
        return log(`ignored an invalid message from a client: ${parsed.problem}`);
      }
      const message = parsed.value;
      if (message.type === 'cancel') return calls.get(message.id)?.abort();
      // A second call under the id of one in flight cannot be answered without confusing the two:
      // it is dropped (the client always numbers its calls afresh).
      if (calls.has(message.id)) return log(`ignored a call whose id "${message.id}" is already in flight`);
      const cancel = new AbortController();
      calls.set(message.id, cancel);
      const { v: _version, type: _type, id: _callerId, ...request } = message;
      // Progress goes out as it comes; a caller that does not read it lets it pile up in the
      // socket's buffer only so far: past MAX_PENDING_PROGRESS_BYTES its call fails.
      const onProgress = (value: unknown) => {
        if (socket.bufferedAmount > MAX_PENDING_PROGRESS_BYTES) {
          return cancel.abort(slowReaderFailure());
        }
        enqueue(JSON.stringify({ v: PROTOCOL_VERSION, type: 'progress', id: message.id, progress: value }));
      };
      dispatcher.dispatch(toDispatchedCall(request), cancel.signal, onProgress).then(
        (result) => answer(message.id, { result }),
        (error: unknown) => {
          if (error instanceof CallFailure) return answer(message.id, { error: error.shape });
          log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
          answer(message.id, { error: errorShape('INTERNAL', 'The any server hit an internal error; its log has the details.') });
        },
      ).finally(() => calls.delete(message.id));
    });
  });

  socket.on('close', () => {
    for (const cancel of calls.values()) cancel.abort();
  });
  socket.on('error', (error) => log(`client socket error: ${error.message}`));
}
