/** Memory and CPU of processes, from /proc (Linux). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export function rssKiB(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line.split(/\s+/)[1]);
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The processes of a browser started in its own process group, by role. */
export function browserProcesses(pgid) {
  const rows = execFileSync('ps', ['-eo', 'pid=,pgid=,args=']).toString().trim().split('\n').map((line) => {
    const [pid, group, ...args] = line.trim().split(/\s+/);
    return { pid: Number(pid), pgid: Number(group), args: args.join(' ') };
  }).filter((row) => row.pgid === pgid);
  const role = (row) => row.args.includes('--extension-process') ? 'extension'
    : row.args.includes('--type=renderer') ? 'renderer'
    : row.args.includes('--type=') ? /--type=(\S+)/.exec(row.args)[1] + (row.args.includes('network.mojom') ? ':network' : '')
    : 'browser';
  return rows.map((row) => ({ pid: row.pid, role: role(row) }));
}
