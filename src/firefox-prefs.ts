/**
 * Reading a Firefox profile's prefs.js, where Firefox records the `moz-extension://<uuid>` origin
 * it gave each extension (`extensions.webextensions.uuids`). The server reads it to recognise the
 * any extension of an everyday Firefox; the launcher, to keep every extension's origin (and so its
 * storage) when it starts a kept profile again.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The uuid prefs.js records for each extension id; `{}` when there is no such pref or it is broken. */
export function extensionUuidsInPrefs(prefs: string): Record<string, string> {
  const line = /^user_pref\("extensions\.webextensions\.uuids",\s*("(?:[^"\\]|\\.)*")\);$/m.exec(prefs);
  if (!line) return {};
  let uuids: unknown;
  try {
    uuids = JSON.parse(JSON.parse(line[1]!) as string);
  } catch {
    return {};
  }
  if (typeof uuids !== 'object' || uuids === null || Array.isArray(uuids)) return {};
  return Object.fromEntries(Object.entries(uuids).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && UUID.test(entry[1])));
}
