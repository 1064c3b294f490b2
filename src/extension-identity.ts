/**
 * Which extension is ours. The manifest pins a public `key`, so the extension ID is the same
 * on every machine and the server can accept WebSockets from that origin only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Chrome's rule: the first 32 hex digits of SHA-256(public key), written with the letters a–p. */
export function extensionIdFromKey(publicKeyBase64: string): string {
  const hex = createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join('');
}

// `./extension/manifest.json` resolves both from src/ (tests, tsx) and from dist/ (the build).
const manifest = JSON.parse(readFileSync(new URL('./extension/manifest.json', import.meta.url), 'utf8')) as { key: string };

export const PINNED_EXTENSION_ID = extensionIdFromKey(manifest.key);
