/**
 * A browser's process, started and stopped the same way whatever the browser: its own process
 * group (so that stopping it ends its child processes too), its last lines of stderr kept for
 * error messages, and taken down with this Node process rather than orphaned.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { devtoolsPipe, type DevtoolsPipe } from './devtools-pipe.js';

export interface BrowserProcess {
  readonly pid: number;
  readonly executable: string;
  /** The DevTools protocol over fds 3 and 4, when spawned with `devtoolsPipe` (devtools-pipe.ts). */
  readonly pipe: DevtoolsPipe | undefined;
  /** Resolves with the exit code (null when killed by a signal) once the browser has exited. */
  readonly exited: Promise<number | null>;
  /** The last lines the browser wrote to stderr, for error messages. */
  recentOutput(): string;
  /** Stops the browser and all its child processes; resolves once they are gone. */
  stop(): Promise<void>;
}

export function spawnBrowser(executable: string, args: string[], options: { devtoolsPipe?: boolean } = {}): BrowserProcess {
  // With --remote-debugging-pipe, Chromium reads commands on fd 3 and answers on fd 4.
  const child = spawn(executable, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe', ...(options.devtoolsPipe ? ['pipe', 'pipe'] as const : [])] });
  const pipe = options.devtoolsPipe ? devtoolsPipe(child.stdio[3] as Writable, child.stdio[4] as Readable) : undefined;
  const output: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output.push(...chunk.split('\n').filter(Boolean));
    if (output.length > 40) output.splice(0, output.length - 40);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      output.push(`could not start ${executable}: ${error.message}`);
      resolve(-1);
    });
  });
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  exited.then(() => process.off('exit', killOnExit));

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    executable,
    pipe,
    exited,
    recentOutput: () => output.join('\n'),
    stop() {
      stopping ??= (async () => {
        // The browser process alone first — over the DevTools pipe if there is one (Browser.close,
        // after which Chromium has written its cookies too), else SIGTERM: Chromium closes its
        // children itself and writes most of what the profile keeps on the way, which a signal to
        // each of its processes at once would cut short (Firefox ends at once on any signal:
        // launch.ts has it quit first). Then the group, for whatever did not go.
        if (pipe) void pipe.send('Browser.close', {}).catch(() => signal(child, 'SIGTERM'));
        else signal(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
        killGroup(child, 'SIGKILL'); // stragglers of the group, if any
      })();
      return stopping;
    },
  };
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    child.kill(name);
  } catch {
    // Already gone.
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * What the executable says it is for `--version` ("Google Chrome 140.0.7339.80", "Mozilla
 * Firefox 153.0esr"), or undefined. Not asked on Windows, where chrome.exe opens a window instead.
 */
export function versionLine(executable: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    return execFileSync(executable, ['--version'], { timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}
