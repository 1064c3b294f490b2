/**
 * Where the built pieces live. Node code runs from dist/ (the build) or from src/ (tests under
 * tsx); either way the runnable CLI and the loadable extension are the ones in dist/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root: the folder holding package.json, one level above src/ and dist/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');

/** The CLI, built as one file (scripts/build.mjs) so that it starts fast. */
export const CLI_ENTRY = `${PACKAGE_ROOT}/dist/cli.js`;

/** The built, loadable extension folder. */
export function builtExtensionDir(): string {
  const dir = `${PACKAGE_ROOT}/dist/extension`;
  if (!existsSync(`${dir}/background.js`)) {
    throw new Error(`The any extension has not been built yet: run \`npm run build\` in ${PACKAGE_ROOT}.`);
  }
  return dir;
}

/** The WebMCP mirror userscript, as the build writes it (src/userscripts). */
export function webmcpMirrorFile(): string {
  const file = `${PACKAGE_ROOT}/dist/userscripts/webmcp.user.js`;
  if (!existsSync(file)) {
    throw new Error(`The WebMCP mirror has not been built yet: run \`npm run build\` in ${PACKAGE_ROOT}.`);
  }
  return file;
}

/** The built extension for Firefox (src/firefox-manifest.ts). */
export function builtFirefoxExtensionDir(): string {
  const dir = `${PACKAGE_ROOT}/dist/extension-firefox`;
  if (!existsSync(`${dir}/background.js`)) {
    throw new Error(`The any extension for Firefox has not been built yet: run \`npm run build\` in ${PACKAGE_ROOT}.`);
  }
  return dir;
}
