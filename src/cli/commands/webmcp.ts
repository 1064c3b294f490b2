import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { matchPatternToRegExp } from '../../launcher/url-patterns.js';
import { webmcpMirrorFile } from '../../paths.js';
import { withMatches } from '../../userscripts/webmcp-metadata.js';

interface WebmcpCommandOptions {
  match?: string[];
  path: boolean;
}

/** A @match line's pattern, checked as a userscript manager would read it. */
function matchPattern(pattern: string, previous: string[] | undefined): string[] {
  try {
    matchPatternToRegExp(pattern);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return [...(previous ?? []), pattern];
}

export const webmcpCommand = new Command('webmcp')
  .description('Print the WebMCP mirror userscript: install it in Tampermonkey or Violentmonkey for the sites whose WebMCP tools you want callable.')
  .addOption(new Option('-m, --match <pattern>', 'a site to mirror, as a @match pattern (repeat for more), e.g. \'https://shop.example/*\'').argParser(matchPattern))
  .option('--path', 'print only the path of the built file', false)
  .addHelpText('after', `
The mirror publishes each WebMCP tool a page registers (document.modelContext) as the method
webmcp:<tool name>, which every any client, \`any methods\` and the MCP server then see. Without
--match it names a placeholder site and runs nowhere: change its @match lines before you install it.
\`any launch --webmcp\` loads it on every page of the managed browser by itself.`)
  .action((options: WebmcpCommandOptions) => {
    const file = webmcpMirrorFile();
    if (options.path) return void process.stdout.write(`${file}\n`);
    const source = readFileSync(file, 'utf8');
    process.stdout.write(options.match?.length ? withMatches(source, options.match) : source);
  });
