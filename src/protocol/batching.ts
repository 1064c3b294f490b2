/**
 * Frames: under load, messages that leave a part in the same moment travel together. A WebSocket
 * frame or a port message carries one message, as ever, or several as a JSON array. Each message
 * in it is still whole — `v`, `id`, its own pairing — and is validated on its own, so batching
 * changes nothing a caller can see; it only saves the per-message cost of Chrome's IPC and of
 * system calls, which the profile shows to dominate (BENCHMARKS.md).
 *
 * Batches are small: at most MAX_MESSAGES_PER_FRAME messages and about MAX_BATCH_CHARS of text.
 * A message larger than that travels alone, so no batch can reach a frame or port limit that its
 * messages would not reach alone.
 */
import { parse, type Parsed } from './messages.js';
import type * as v from 'valibot';

/** Most messages in one frame; more go in the next. */
export const MAX_MESSAGES_PER_FRAME = 500;
/** About the most text a batch carries; a larger message leaves on its own. */
export const MAX_BATCH_CHARS = 1024 * 1024;

/** Validates every message of a frame on its own. */
export function parseFrame<S extends v.GenericSchema>(schema: S, frame: unknown): Parsed<v.InferOutput<S>>[] {
  if (!Array.isArray(frame)) return [parse(schema, frame)];
  if (frame.length > MAX_MESSAGES_PER_FRAME) return [{ ok: false, problem: `a frame carries at most ${MAX_MESSAGES_PER_FRAME} messages` }];
  return frame.map((message) => parse(schema, message));
}

/**
 * Collects what is pushed until `schedule` fires, then hands it over in batches. With a
 * microtask (or setImmediate) as the schedule, a lone message leaves at once, without waiting.
 * `sizeOf` tells how much text an item stands for, so that batches stay small.
 */
export function createBatcher<T>(
  flush: (items: T[]) => void,
  schedule: (run: () => void) => void,
  sizeOf: (item: T) => number = () => 0,
): (item: T) => void {
  let pending: T[] = [];
  const run = () => {
    const items = pending;
    pending = [];
    let batch: T[] = [];
    let chars = 0;
    for (const item of items) {
      const size = sizeOf(item);
      if (batch.length && (batch.length === MAX_MESSAGES_PER_FRAME || chars + size > MAX_BATCH_CHARS)) {
        flush(batch);
        batch = [];
        chars = 0;
      }
      batch.push(item);
      chars += size;
    }
    if (batch.length) flush(batch);
  };
  return (item) => {
    if (pending.push(item) === 1) schedule(run);
  };
}

/** One JSON text, or several joined into a JSON array: the frame for a batch of JSON messages. */
export function frameOf(texts: string[]): string {
  return texts.length === 1 ? texts[0]! : `[${texts.join(',')}]`;
}

/** The size of a JSON text, for `createBatcher`. */
export const textLength = (text: string): number => text.length;
