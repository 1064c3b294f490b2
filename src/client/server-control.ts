/**
 * Asking a running any server about itself, and stopping it: what `any status` and `any stop` use;
 * and telling it about a browser `any launch` started.
 */
import { DEFAULT_PORT, Health, parse, PROTOCOL_VERSION, Status, type LaunchReport } from '../protocol/index.js';
import { PROBE_TIMEOUT_MS } from './port-probe.js';
import { requestJson } from './transport.js';

/** The server's health, or undefined when no any server answers on the port. */
export async function serverHealth(port: number = DEFAULT_PORT): Promise<Health | undefined> {
  try {
    const response = await requestJson(port, 'GET', '/health', undefined, AbortSignal.timeout(PROBE_TIMEOUT_MS));
    const parsed = parse(Health, response.body);
    return parsed.ok ? parsed.value : undefined;
  } catch {
    return undefined;
  }
}

/** The server's status: its calls, and each browser's calls and tabs; undefined when none answers. */
export async function serverStatus(port: number = DEFAULT_PORT): Promise<Status | undefined> {
  try {
    // The server asks each browser, and waits up to a second for it.
    const response = await requestJson(port, 'GET', '/status', undefined, AbortSignal.timeout(PROBE_TIMEOUT_MS + 1_000));
    const parsed = parse(Status, response.body);
    return parsed.ok ? parsed.value : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the any server on `port` to shut down; false if none was running there to agree. */
export async function stopServer(port: number = DEFAULT_PORT): Promise<boolean> {
  try {
    const response = await requestJson(port, 'POST', '/shutdown', '{}', AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return response.status === 200;
  } catch {
    return false; // nothing listens, or something that is not an any server
  }
}

/** A launch report without its `v` (each state's own fields). */
export type LaunchReportBody = LaunchReport extends infer Report ? (Report extends unknown ? Omit<Report, 'v'> : never) : never;

/**
 * Tells the any server on `port` how a launch stands (`POST /launch`), so calls waiting for a
 * browser wait for this one and hear why it did not connect. False if no server took it: the
 * launch goes on without (a call then gets the plain NO_BROWSER).
 */
export async function reportLaunch(port: number, report: LaunchReportBody): Promise<boolean> {
  try {
    const response = await requestJson(port, 'POST', '/launch', JSON.stringify({ v: PROTOCOL_VERSION, ...report }), AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Asks the any server on `port` to have the managed browser `installId` close its windows
 * (`POST /launch`, `closing`), so it quits as when its user closes it. True if the server told
 * that browser; false when no server or no such browser answers (close it the other way).
 */
export async function askBrowserToClose(port: number, installId: string): Promise<boolean> {
  try {
    const response = await requestJson(port, 'POST', '/launch', JSON.stringify({ v: PROTOCOL_VERSION, state: 'closing', installId }), AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return response.status === 200 && (response.body as { closing?: unknown } | undefined)?.closing === true;
  } catch {
    return false;
  }
}
