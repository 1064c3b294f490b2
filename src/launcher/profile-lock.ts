/**
 * Whether a browser already runs on a profile folder. A second Chromium started on a profile in
 * use hands its command line to the first and exits at once, without our extension: the launch
 * must refuse before that, naming the process. Chromium marks a profile it runs on with the
 * symlink `SingletonLock` → `<hostname>-<pid>`, Firefox (on Linux) with `lock` → `<ip>:+<pid>`.
 * A mark left by a browser that is gone (a crash) does not count; the browser clears it itself.
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface ProfileHolder {
  pid: number;
  browser: 'Chromium' | 'Firefox';
}

export function profileHolder(dir: string): ProfileHolder | undefined {
  const chromium = /^(.*)-(\d+)$/.exec(linkTarget(join(dir, 'SingletonLock')) ?? '');
  if (chromium && chromium[1] === hostname() && alive(Number(chromium[2]))) return { pid: Number(chromium[2]), browser: 'Chromium' };
  const firefox = /:\+(\d+)$/.exec(linkTarget(join(dir, 'lock')) ?? '');
  if (firefox && alive(Number(firefox[1]))) return { pid: Number(firefox[1]), browser: 'Firefox' };
  return undefined;
}

function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}
