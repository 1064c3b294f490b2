import { Command } from 'commander';
import { PINNED_EXTENSION_ID } from '../../extension-identity.js';
import { builtExtensionDir } from '../../paths.js';

export const extensionCommand = new Command('extension')
  .description('Print the folder of the built extension (the last line of stdout), to load unpacked into Chrome.')
  .action(() => {
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
