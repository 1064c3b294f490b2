import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PORT } from '../protocol/index.js';

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
