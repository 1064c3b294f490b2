/**
 * Compile-time checks of the typed page handle (`npm run typecheck` compiles this file; it is
 * never run). Each @ts-expect-error line must be an error, or tsc fails.
 */
import { page, type PageHandle } from '../../src/index.js';

interface Calculator {
  add(params: { a: number; b: number }): number;
  greet(params: { name: string }): Promise<{ greeting: string }>;
  now(): Promise<number>;
}

export async function checks(): Promise<void> {
  const calc: PageHandle<Calculator> = page<Calculator>('http://127.0.0.1:8000/');

  const sum: number = await calc.add({ a: 1, b: 2 });
  const { greeting }: { greeting: string } = await calc.greet({ name: 'x' }, { timeout: 1000 });
  const time: number = await calc.now();

  // @ts-expect-error: a missing param
  await calc.add({ a: 1 });
  // @ts-expect-error: a param of the wrong type
  await calc.greet({ name: 42 });
  // @ts-expect-error: params are required when the method takes them
  await calc.add();
  // @ts-expect-error: the result is a number, not a string
  const wrong: string = await calc.add({ a: 1, b: 2 });
  // @ts-expect-error: no such method
  await calc.subtract({ a: 1, b: 2 });

  // Untyped, any name goes and params are any JSON object (indexed, so possibly undefined under
  // noUncheckedIndexedAccess).
  const loose = page('http://127.0.0.1:8000/');
  await loose.whatever?.({ x: 1 });
  await loose.methods();
  void [sum, greeting, time, wrong];
}
