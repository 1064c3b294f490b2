/**
 * Userscript managers in the managed browser (`any launch --extension <Tampermonkey or
 * Violentmonkey>`). MV3 managers run scripts through `chrome.userScripts`, which Chrome 138+
 * keeps off until the user turns on the extension's "Allow User Scripts" toggle. In a profile that
 * toggle is the extension's `user_scripts_enabled` preference (Chromium's kUserScriptsAllowedPref),
 * which the launcher writes into `<profile>/Default/Preferences` before the browser starts — no
 * DevTools needed — for every extension passed with --extension, as the user would have.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extensionIdFrom, extensionIdFromKey } from '../extension-identity.js';

/**
 * The id Chromium gives an unpacked extension: from its manifest's `key` if it has one, else from
 * its folder's absolute path.
 */
export function unpackedExtensionId(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { key?: unknown };
  if (typeof manifest.key === 'string' && manifest.key) return extensionIdFromKey(manifest.key);
  return extensionIdFrom(realpathSync(dir));
}

/** Turns "Allow User Scripts" on for these extensions in the profile, keeping every other preference. */
export function allowUserScripts(profileDir: string, extensionDirs: string[]): void {
  if (!extensionDirs.length) return;
  const file = join(profileDir, 'Default', 'Preferences');
  let preferences: Record<string, any> = {};
  if (existsSync(file)) {
    try {
      preferences = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
    } catch {
      // Chromium rewrites a Preferences file it cannot read; ours then starts it afresh.
    }
  }
  const settings = ((preferences.extensions ??= {}).settings ??= {});
  for (const dir of extensionDirs) (settings[unpackedExtensionId(dir)] ??= {}).user_scripts_enabled = true;
  mkdirSync(join(profileDir, 'Default'), { recursive: true });
  writeFileSync(file, JSON.stringify(preferences));
}
