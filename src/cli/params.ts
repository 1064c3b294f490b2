import { readFile } from 'node:fs/promises';

/**
 * A method's params from the command line: JSON text, `@file.json`, or `-` for standard input.
 * Throws an Error whose message says what is wrong.
 */
export async function readParams(argument: string | undefined): Promise<Record<string, unknown>> {
  if (argument === undefined) return {};
  let text = argument;
  let source = 'params';
  if (argument === '-') {
    text = await readStdin();
    source = 'params from standard input';
  } else if (argument.startsWith('@')) {
    const file = argument.slice(1);
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read params from ${file}: ${(error as Error).message}`);
    }
    source = `params in ${file}`;
  }
  let params: unknown;
  try {
    params = JSON.parse(text);
  } catch {
    throw new Error(`${source} must be JSON, such as '{"prompt": "hi"}' (quote it for your shell).`);
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new Error(`${source} must be a JSON object, such as '{"prompt": "hi"}'.`);
  }
  return params as Record<string, unknown>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
