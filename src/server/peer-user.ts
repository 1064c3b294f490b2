/**
 * Who is on the other end of a loopback connection. Loopback keeps other machines out, but every
 * local user can connect to 127.0.0.1, and `any` hands out the user's logged-in sessions. On
 * Linux the kernel lists each TCP socket with its owner's uid in /proc/net/tcp and tcp6; the
 * client's end of a connection to us is the entry whose local port is the client's port and
 * whose remote port is ours. Elsewhere there is no such table, and this check is not made.
 * What is done with the answer (a 403 for every request and upgrade) is admission.ts's.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/** True on systems where the owner of a local connection can be known. */
export const CAN_IDENTIFY_PEERS = process.platform === 'linux' && typeof process.getuid === 'function';

/** The uid owning the client end of `socket`, or undefined if it cannot be found. */
export function peerUid(socket: Socket): number | undefined {
  const clientPort = socket.remotePort;
  const serverPort = socket.localPort;
  if (clientPort === undefined || serverPort === undefined) return undefined;
  const wanted = `:${hexPort(clientPort)} `;
  const towards = `:${hexPort(serverPort)} `;
  for (const table of TABLES) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // "  sl  local_address rem_address st ... uid ..." — fields split by spaces.
      const fields = line.trim().split(/\s+/);
      const [, local, remote, , , , , uid] = fields;
      if (!local || !remote || !uid) continue;
      if (`${local} `.endsWith(wanted) && `${remote} `.endsWith(towards)) return Number(uid);
    }
  }
  return undefined;
}

/** Whether a connection comes from a process of the user running this server. */
export function isSameUser(socket: Socket): boolean {
  if (!CAN_IDENTIFY_PEERS) return true;
  return peerUid(socket) === process.getuid!();
}

/**
 * Each connection's owner, looked up once, as the connection opens: the requests and upgrades
 * it then carries cost a lookup in a set, not a read of /proc.
 */
export class ConnectionOwners {
  readonly #foreign = new WeakSet<Socket>();

  /** For the server's `connection` event. */
  readonly noteConnection = (socket: Socket): void => {
    if (!isSameUser(socket)) this.#foreign.add(socket);
  };

  isSameUser(socket: Socket): boolean {
    return !this.#foreign.has(socket);
  }
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}
