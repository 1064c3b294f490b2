/**
 * How the server recognises the any extension in an everyday Firefox. Firefox gives every
 * installation of an extension a random `moz-extension://<uuid>` origin, so no origin can be
 * pinned in advance as Chrome's id is. But Firefox records the uuid it chose for each extension
 * id in the profile's prefs.js (`extensions.webextensions.uuids`), a file of this user's that no
 * web page and no extension can write. The server reads it from this user's Firefox profiles: a
 * WebSocket is the any extension's when its origin's uuid is the one recorded for any's gecko id.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FIREFOX_EXTENSION_ID } from '../extension-identity.js';
import { extensionUuidsInPrefs } from '../firefox-prefs.js';

/** The uuid prefs.js records for the extension `geckoId`, if any. */
export function uuidInPrefs(prefs: string, geckoId: string): string | undefined {
  const uuids = extensionUuidsInPrefs(prefs);
  return Object.hasOwn(uuids, geckoId) ? uuids[geckoId] : undefined;
}

/** Where Firefox keeps this user's profiles, by platform and packaging (deb, snap, flatpak). */
export function firefoxProfileRoots(home: string, platform: NodeJS.Platform): string[] {
  if (platform === 'darwin') return [join(home, 'Library/Application Support/Firefox/Profiles')];
  if (platform === 'win32') return [join(home, 'AppData/Roaming/Mozilla/Firefox/Profiles')];
  return [
    join(home, '.mozilla/firefox'),
    join(home, 'snap/firefox/common/.mozilla/firefox'),
    join(home, '.var/app/org.mozilla.firefox/.mozilla/firefox'),
  ];
}

/** The uuids this user's Firefox profiles gave the any extension. */
export function everydayFirefoxUuids(home = homedir(), platform = process.platform): Set<string> {
  const uuids = new Set<string>();
  for (const root of firefoxProfileRoots(home, platform)) {
    let profiles: string[];
    try {
      profiles = readdirSync(root);
    } catch {
      continue;
    }
    for (const profile of profiles) {
      const prefs = join(root, profile, 'prefs.js');
      if (!existsSync(prefs)) continue;
      try {
        const uuid = uuidInPrefs(readFileSync(prefs, 'utf8'), FIREFOX_EXTENSION_ID);
        if (uuid) uuids.add(uuid);
      } catch {
        // A profile being written or not ours to read: skip it.
      }
    }
  }
  return uuids;
}
