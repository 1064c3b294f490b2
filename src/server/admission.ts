/**
 * Who may come in: the one place that decides, for every HTTP request and every WebSocket
 * upgrade, whether it comes from a caller `any` serves (docs/security.md, promises 2 to 5).
 *
 * Web pages in the user's browser can send requests and open WebSockets to localhost, a site that
 * rebinds DNS reaches us under its own host name, and other users of this machine can connect to
 * 127.0.0.1; each of them would act with the user's logged-in sessions. So before anything runs:
 *   - the `Host` must be one of ours (local-hosts.ts), which defeats DNS rebinding;
 *   - the connection must belong to the user running the server (peer-user.ts);
 *   - HTTP: no `Origin` and no cross-site `Sec-Fetch-Site`, the marks of a browser request —
 *     except that the any extension may probe `GET /health` before it connects;
 *   - WebSocket: `/ws` takes the any extension's Origin only, `/client` no Origin at all (every
 *     web page's WebSocket carries one).
 *
 * The decisions are pure functions of what the request says about itself, so both doors apply the
 * same rules and tests try them without a socket; the callers (http-api.ts, server.ts) only carry
 * out the verdict.
 */
import { errorShape, type ErrorShape } from '../protocol/index.js';
import { allowedHosts, isAllowedHost } from './local-hosts.js';
import type { ExtensionOrigins } from './extension-origins.js';

export interface AdmissionPolicy {
  /** The port the server listens on: every Host it answers to names it. */
  port: number;
  /** The any extension's origins (extension-origins.ts): the extensions whose WebSocket `/ws` takes. */
  extensionOrigins: ExtensionOrigins;
}

/** What admission reads of a WebSocket upgrade; an HTTP request adds its method. */
export interface Entrant {
  /** The path, without the query. */
  path: string;
  headers: { host?: string; origin?: string; 'sec-fetch-site'?: string };
  /** Whether the connection comes from a process of the user running the server (peer-user.ts). */
  sameUser: boolean;
}

export interface Refusal {
  admitted: false;
  /** What the caller is told: always FORBIDDEN (403). */
  reason: ErrorShape;
  /** The line for the server's log; undefined for the one refusal that is routine (firefoxKnock). */
  logLine: string | undefined;
  /** Close the connection after answering: another user gets nothing more on it. */
  closeConnection: boolean;
}

export type RequestAdmission = { admitted: true } | Refusal;
/** An admitted upgrade says which socket it opens: the extension's (`/ws`) or a local program's (`/client`). */
export type UpgradeAdmission = { admitted: true; socket: 'extension' | 'client' } | Refusal;

const ANOTHER_USER = 'This any server belongs to another user of this machine; start your own on another port (--port).';

export function admitRequest(request: Entrant & { method: string }, policy: AdmissionPolicy): RequestAdmission {
  if (!request.sameUser) return refuse(errorShape('FORBIDDEN', ANOTHER_USER), 'refused a request from another user of this machine', true);
  const { host, origin } = request.headers;
  // The extension knocks on /health before it opens its WebSocket; nothing else takes an Origin.
  const extensionProbe = request.method === 'GET' && request.path === '/health' && policy.extensionOrigins.has(origin ?? '');
  const reason = foreignHost(host, policy.port) ?? (extensionProbe ? undefined : browserRequest(request.headers));
  if (reason) return refuse(reason, firefoxKnock(request) ? undefined : `refused ${request.method} ${request.path}: ${reason.message}`);
  return { admitted: true };
}

/**
 * The any extension's knock as Firefox sends it: no Origin and `Sec-Fetch-Site: same-origin`
 * (Firefox treats a host an extension may reach as the extension's own), which is also what a
 * page of this very origin would send. It is refused, as such a page must be (/health names the
 * browsers); the extension needs no more than an answer to know the server is up. It comes each
 * time Firefox starts the extension's background, so its refusal is not logged.
 */
function firefoxKnock(request: Entrant & { method: string }): boolean {
  return request.method === 'GET' && request.path === '/health' && request.headers.origin === undefined && request.headers['sec-fetch-site'] === 'same-origin';
}

export function admitUpgrade(upgrade: Entrant, policy: AdmissionPolicy): UpgradeAdmission {
  if (!upgrade.sameUser) return refuse(errorShape('FORBIDDEN', ANOTHER_USER), 'refused a WebSocket from another user of this machine', true);
  const { host, origin } = upgrade.headers;
  const socket = upgrade.path === '/ws' && policy.extensionOrigins.has(origin ?? '') ? 'extension'
    : upgrade.path === '/client' && origin === undefined ? 'client'
      : undefined;
  const hostRefused = foreignHost(host, policy.port);
  if (hostRefused || !socket) {
    return refuse(hostRefused ?? wrongSocket(upgrade.path, origin), `refused a WebSocket from origin "${origin ?? ''}" to ${upgrade.path} (host "${host ?? ''}")`);
  }
  return { admitted: true, socket };
}

/** A Host that is not ours: a rebound DNS name, or a request for another server. */
function foreignHost(host: string | undefined, port: number): ErrorShape | undefined {
  if (isAllowedHost(host, port)) return undefined;
  return errorShape('FORBIDDEN', `Host "${host ?? ''}" is refused: the any server answers only to ${allowedHosts(port).join(', ')}.`);
}

/**
 * A request a browser sent for a web page: it carries an `Origin`, or (a no-cors GET carries
 * none) a `Sec-Fetch-Site` other than `none`, which is what the address bar sends.
 */
function browserRequest(headers: Entrant['headers']): ErrorShape | undefined {
  const { origin, 'sec-fetch-site': site } = headers;
  if (origin !== undefined) {
    return errorShape('FORBIDDEN', `Requests from web pages are refused (Origin: ${origin}); call the any server from a local program.`);
  }
  if (site !== undefined && site !== 'none') {
    return errorShape('FORBIDDEN', `Requests from web pages are refused (Sec-Fetch-Site: ${site}); call the any server from a local program.`);
  }
  return undefined;
}

/** An upgrade that is neither the extension's `/ws` nor a local program's `/client`. */
function wrongSocket(path: string, origin: string | undefined): ErrorShape {
  if (path !== '/ws' && path !== '/client') {
    return errorShape('FORBIDDEN', `There is no WebSocket at ${path}; the any server takes them at /ws (its extension) and /client (local programs).`);
  }
  if (origin === undefined) {
    return errorShape('FORBIDDEN', '/ws takes the any extension\'s WebSocket only; local programs connect to /client.');
  }
  return errorShape('FORBIDDEN', `A WebSocket with Origin ${origin} is refused at ${path}: /ws takes the any extension's only, /client local programs', which send no Origin.`);
}

function refuse(reason: ErrorShape, logLine: string | undefined, closeConnection = false): Refusal {
  return { admitted: false, reason, logLine, closeConnection };
}
