import { InvalidArgumentError, Option } from 'commander';
import { BrowserName, DEFAULT_PORT, parse } from '../protocol/index.js';

export function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return number;
  };
}

export const portOption = () =>
  new Option('-p, --port <port>', 'port of the any server').default(DEFAULT_PORT).argParser(integer('--port', 0, 65535));

/** A browser's name, checked by the protocol's own rule: a malformed one is a usage error (exit 2). */
export function browserName(value: string): string {
  const parsed = parse(BrowserName, value);
  if (!parsed.ok) throw new InvalidArgumentError(`${parsed.problem}.`);
  return parsed.value;
}

/** `--browser <name>` of `any call` and `any methods` (not `any launch --browser`, the executable to run). */
export const browserOption = () =>
  new Option('--browser <name>', 'the connected browser to run in, as `any status` names them (default: the one holding a tab for the page, else the first connected)')
    .argParser(browserName);
