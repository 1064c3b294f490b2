import { Command, InvalidArgumentError, Option } from 'commander';
import { BrowserName, PageUrl, parse } from '../../protocol/index.js';
import { serveMcpOverStdio } from '../../mcp/stdio.js';
import { portOption } from '../options.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function pageUrl(value: string, previous: string[]): string[] {
  const parsed = parse(PageUrl, value);
  if (!parsed.ok) throw new InvalidArgumentError(`--page ${parsed.problem}.`);
  return [...previous, value];
}

function browserName(value: string): string {
  const parsed = parse(BrowserName, value);
  if (!parsed.ok) throw new InvalidArgumentError(`--${parsed.problem}.`);
  return value;
}

export const mcpCommand = new Command('mcp')
  .description('Serve the page methods to an AI agent over MCP, on stdin and stdout (the process an agent spawns).')
  .addOption(portOption())
  .addOption(new Option('--page <url>', 'a page whose methods become tools of their own (repeatable)').argParser(pageUrl).default([]))
  .addOption(new Option('--allow <pattern>', 'only pages (https://host/*) or methods (ask, read*) matching a pattern; repeatable').argParser(collect).default([]))
  .addOption(new Option('--browser <name>', 'use only this connected browser (any status lists them); an agent may name no other').argParser(browserName))
  .addHelpText('after', `
Tools: list_page_methods {page, browser?}, call_page_method {page, method, params?, timeout?,
browser?}, list_browsers {}, and for each --page one tool per method of that page. Without a
browser named, a call goes to the browser holding a tab for the page, else the default (the first
connected). --browser pins every call, listing and page tool to one browser: a tool's browser
argument may name only that one (else FORBIDDEN), and list_browsers lists only it.
There is no tool that runs code: an agent can call only the methods your userscripts registered.
Results come from web pages: untrusted content.

Claude Code:  claude mcp add any -- npx any mcp --page https://chatgpt.com/
Any client:   { "command": "npx", "args": ["any", "mcp"] }
Over HTTP:    http://127.0.0.1:8765/mcp on a running any server (npx any serve)`)
  .action((options: { port: number; page: string[]; allow: string[]; browser?: string }) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    serveMcpOverStdio({ port: options.port, pages: options.page, allow: options.allow, browser: options.browser, log });
  });
