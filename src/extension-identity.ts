/**
 * Which extension is ours. The manifest pins a public `key`, so the extension ID is the same
 * on every machine and the server can accept WebSockets from that origin only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Chrome's rule for an extension id: the first 32 hex digits of SHA-256 of what it is made from
 * (the public key's bytes, or an unpacked extension's absolute path when it has no key), written
 * with the letters a–p.
 */
export function extensionIdFrom(input: Buffer | string): string {
  const hex = createHash('sha256').update(input).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join('');
}

export function extensionIdFromKey(publicKeyBase64: string): string {
  return extensionIdFrom(Buffer.from(publicKeyBase64, 'base64'));
}

// `./extension/manifest.json` resolves both from src/ (tests, tsx) and from dist/ (the build).
const manifest = JSON.parse(readFileSync(new URL('./extension/manifest.json', import.meta.url), 'utf8')) as { key: string };

export const PINNED_EXTENSION_ID = extensionIdFromKey(manifest.key);

/**
 * The any extension's id in Firefox (`browser_specific_settings.gecko.id`). Firefox gives each
 * installation of an extension a random `moz-extension://<uuid>` origin instead of one derived
 * from the id, unless the profile's `extensions.webextensions.uuids` pref names one.
 */
export const FIREFOX_EXTENSION_ID = 'any@any.local';

/**
 * The uuid `any launch --browser firefox` gives the extension in the profiles it makes (by that
 * pref), so the server knows the managed Firefox's origin as it knows Chrome's pinned id. No
 * other extension can take it: Firefox picks every other extension's uuid at random.
 */
export const MANAGED_FIREFOX_UUID = '6a1e0c8b-7d3f-4e2a-9b5c-1f0d2e3c4b5a';

/** The Origin of the any extension's requests: `chrome-extension://<id>` or `moz-extension://<uuid>`. */
export const chromeExtensionOrigin = (id: string) => `chrome-extension://${id}`;
export const firefoxExtensionOrigin = (uuid: string) => `moz-extension://${uuid}`;
