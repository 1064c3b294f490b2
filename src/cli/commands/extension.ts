import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { FIREFOX_EXTENSION_ID, PINNED_EXTENSION_ID } from '../../extension-identity.js';
import { zipFolder } from '../../launcher/zip.js';
import { builtExtensionDir, builtFirefoxExtensionDir } from '../../paths.js';

export const extensionCommand = new Command('extension')
  .description('Print the folder of the built extension (the last line of stdout), to load unpacked into Chrome; with --firefox, the Firefox build\'s, and write its .xpi beside it.')
  .option('--firefox', 'the extension built for Firefox, and an installable .xpi of it', false)
  .action((options: { firefox: boolean }) => {
    if (options.firefox) {
      const dir = builtFirefoxExtensionDir();
      const xpi = join(dirname(dir), 'any-firefox.xpi');
      zipFolder(dir, xpi);
      if (process.stdout.isTTY) {
        process.stdout.write([
          'To use any with Firefox ESR, Developer Edition or Nightly (release Firefox accepts signed extensions only):',
          '  1. in about:config set xpinstall.signatures.required to false;',
          `  2. open about:addons, choose "Install Add-on From File…" and pick ${xpi};`,
          `  3. the extension (${FIREFOX_EXTENSION_ID}) connects to the any server on port 8765.`,
          'Or load the folder below for this session only, in about:debugging ("Load Temporary Add-on…").',
          '',
        ].join('\n'));
      }
      process.stdout.write(`${xpi}\n${dir}\n`);
      return;
    }
    const dir = builtExtensionDir();
    if (process.stdout.isTTY) {
      process.stdout.write([
        'To use any with your everyday Chrome or Chromium:',
        '  1. open chrome://extensions and turn on "Developer mode";',
        '  2. click "Load unpacked" and choose the folder below;',
        `  3. the extension (ID ${PINNED_EXTENSION_ID}) connects to the any server on port 8765.`,
        '',
      ].join('\n'));
    }
    process.stdout.write(`${dir}\n`);
  });
