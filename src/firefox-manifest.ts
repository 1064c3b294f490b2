/**
 * The any extension for Firefox: the same scripts as for Chromium (one source), under a manifest
 * that differs only where Firefox differs. The build writes it to dist/extension-firefox.
 *
 *   - Firefox's MV3 background is an event page, declared by `background.scripts`, not a service worker;
 *   - it knows extensions by `browser_specific_settings.gecko.id`, not by a public `key`;
 *   - its default extension CSP upgrades `ws://127.0.0.1` to `wss://`, which fails (close code
 *     1015), unless `extension_pages` names its own policy;
 *   - `"world": "MAIN"` content scripts and `scripting.executeScript` into the MAIN world need 128.
 */
import { FIREFOX_EXTENSION_ID } from './extension-identity.js';

export const FIREFOX_MIN_VERSION = '128.0';

export function firefoxManifest(chromiumManifest: Record<string, unknown>): Record<string, unknown> {
  const { key: _key, minimum_chrome_version: _minimum, background, ...rest } = chromiumManifest as
    Record<string, unknown> & { background: { service_worker: string; type?: string } };
  return {
    ...rest,
    background: { scripts: [background.service_worker], ...(background.type ? { type: background.type } : {}) },
    browser_specific_settings: { gecko: { id: FIREFOX_EXTENSION_ID, strict_min_version: FIREFOX_MIN_VERSION } },
    content_security_policy: { extension_pages: "script-src 'self'" },
  };
}
