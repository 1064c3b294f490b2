// Builds dist/: the Node side with tsc (modules + type declarations for `import ... from 'any'`),
// the extension with esbuild into dist/extension, a folder Chrome loads unpacked, the WebMCP
// mirror userscript into dist/userscripts, and
// dist/protocol.json, the protocol's constants for what is not TypeScript (the Python client's
// tests and the README's test check their copies against it).
// Runs on `npm ci` (the `prepare` script), so a fresh clone is ready to use.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;
const dist = `${root}dist`;
const extensionOut = `${dist}/extension`;

rmSync(dist, { recursive: true, force: true });

execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], { stdio: 'inherit' });

// The protocol's constants, read from the modules tsc just wrote: one definition, in src/protocol.
const { describeProtocol } = await import(new URL('../dist/protocol/description.js', import.meta.url).href);
writeFileSync(`${dist}/protocol.json`, `${JSON.stringify(describeProtocol(), null, 2)}\n`);

// The CLI as one file: it starts in a fraction of the time of a few dozen modules, which is felt
// at every `any …` command and in every server a call starts. It sits in dist/ next to the
// modules, so its import.meta.url finds package.json and the extension as theirs do.
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile: `${dist}/cli.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // ws loads these optional native speed-ups with require() inside a try; without them it uses JS.
  external: ['bufferutil', 'utf-8-validate'],
  banner: { js: "import { createRequire as __anyCreateRequire } from 'node:module'; const require = __anyCreateRequire(import.meta.url);" },
});
chmodSync(`${dist}/cli.js`, 0o755);

const common = {
  bundle: true,
  target: 'chrome120',
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};
await Promise.all([
  build({ ...common, entryPoints: ['src/extension/background/index.ts'], outfile: `${extensionOut}/background.js`, format: 'esm' }),
  build({ ...common, entryPoints: ['src/extension/isolated/content.ts'], outfile: `${extensionOut}/content.js`, format: 'iife' }),
  build({ ...common, entryPoints: ['src/extension/main/index.ts'], outfile: `${extensionOut}/main.js`, format: 'iife' }),
]);
mkdirSync(extensionOut, { recursive: true });

// The WebMCP mirror userscript: one plain script with its metadata block in front, for
// Tampermonkey, Violentmonkey and `any launch --webmcp`.
const { webmcpMirrorMetadata, PLACEHOLDER_MATCH } = await import(new URL('../dist/userscripts/webmcp-metadata.js', import.meta.url).href);
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
await build({
  ...common,
  entryPoints: ['src/userscripts/webmcp.user.ts'],
  outfile: `${dist}/userscripts/webmcp.user.js`,
  format: 'iife',
  banner: { js: webmcpMirrorMetadata([PLACEHOLDER_MATCH], version) },
});
copyFileSync(`${root}src/extension/manifest.json`, `${extensionOut}/manifest.json`);
// An everyday browser's settings; `any launch --port N` writes its copy's (src/extension/settings.ts).
const { DEFAULT_SETTINGS, SETTINGS_FILE } = await import(new URL('../dist/protocol/extension-settings.js', import.meta.url).href);
writeFileSync(`${extensionOut}/${SETTINGS_FILE}`, `${JSON.stringify(DEFAULT_SETTINGS)}\n`);

// The same extension for Firefox: the same files, the manifest Firefox wants (src/firefox-manifest.ts).
const { firefoxManifest } = await import(new URL('../dist/firefox-manifest.js', import.meta.url).href);
const firefoxOut = `${dist}/extension-firefox`;
cpSync(extensionOut, firefoxOut, { recursive: true });
const chromiumManifest = JSON.parse(readFileSync(`${extensionOut}/manifest.json`, 'utf8'));
writeFileSync(`${firefoxOut}/manifest.json`, `${JSON.stringify(firefoxManifest(chromiumManifest), null, 2)}\n`);
