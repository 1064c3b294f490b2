/**
 * Starts an any server when a call finds none: `any serve` as a detached process that outlives
 * this script. We wait for its ready line, not for a fixed time. Calls of one process that find
 * no server together start one between them (server-connection.ts). When two processes start one
 * at the same moment, one binds the port and the other sees it taken by an any server, says so
 * and exits: both then use the one server.
 */
import { spawn } from 'node:child_process';
import { ALREADY_RUNNING_LINE, LISTENING_LINE } from '../protocol/index.js';
import { CLI_ENTRY } from '../paths.js';

const START_TIMEOUT_MS = 15_000;

/** Resolves once `any serve` says it listens on `port`, or that an any server already does; rejects with the reason it could not start. */
export function startServerProcess(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, 'serve', '--port', String(port), '--auto'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout!.destroy();
      child.stderr!.destroy();
      child.removeAllListeners();
      child.unref();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => finish(new Error(`the any server did not start within ${START_TIMEOUT_MS} ms. ${stderr.trim()}`)), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes(LISTENING_LINE) || stdout.includes(ALREADY_RUNNING_LINE)) finish();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => finish(new Error(`could not start the any server: ${error.message}`)));
    // 'close', not 'exit': it comes after the child's output has been read in full.
    child.on('close', (code) => finish(new Error(stderr.trim() || `the any server exited with code ${code} before it was ready`)));
  });
}
