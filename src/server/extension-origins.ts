/**
 * The Origins the any extension's requests carry, which `/ws` (and the extension's `/health`
 * probe) take: Chrome's pinned `chrome-extension://<id>`, the managed Firefox's pinned
 * `moz-extension://<uuid>`, and the uuids this user's everyday Firefox profiles gave the
 * extension (firefox-profiles.ts), looked up when an unknown `moz-extension://` origin knocks.
 */
import { chromeExtensionOrigin, firefoxExtensionOrigin } from '../extension-identity.js';

export interface ExtensionOrigins {
  has(origin: string): boolean;
}

/** Profiles are read again at most this often: a refused extension retries every second. */
const LOOKUP_INTERVAL_MS = 1_000;

export function extensionOrigins(options: {
  chromeIds: readonly string[];
  firefoxUuids: readonly string[];
  /** The uuids everyday Firefox profiles gave the extension; none when absent. */
  lookUpFirefoxUuids?: () => ReadonlySet<string>;
  now?: () => number;
}): ExtensionOrigins {
  const pinned = new Set([...options.chromeIds.map(chromeExtensionOrigin), ...options.firefoxUuids.map(firefoxExtensionOrigin)]);
  const now = options.now ?? Date.now;
  let found: ReadonlySet<string> = new Set();
  let lookedAt = -Infinity;
  return {
    has(origin) {
      if (pinned.has(origin)) return true;
      if (!options.lookUpFirefoxUuids || !origin.startsWith('moz-extension://')) return false;
      if (now() - lookedAt >= LOOKUP_INTERVAL_MS) {
        lookedAt = now();
        found = options.lookUpFirefoxUuids();
      }
      return found.has(origin.slice('moz-extension://'.length));
    },
  };
}
