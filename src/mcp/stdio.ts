/**
 * `any mcp`: the MCP server an agent spawns, speaking over its stdin and stdout. It reaches the
 * any server as every client does — through the TypeScript client, which starts a server when
 * none runs — so scripts and agents share one server and its browsers, and none kicks another off.
 * Listing the browsers asks the server's /health, as `any status` does, and starts no server: a
 * server started for that alone would list no browser yet (they connect a moment later).
 */
import type { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { call, methods } from '../client/call.js';
import { failure, portTaken, whoListens } from '../client/port-probe.js';
import { serverHealth } from '../client/server-control.js';
import { allowList } from './allow-list.js';
import { AgentTools } from './agent-tools.js';
import { createMcpServer } from './mcp-server.js';
import type { PageAccess } from './page-access.js';

export interface StdioMcpOptions {
  port: number;
  pages: readonly string[];
  allow: readonly string[];
  /** `--browser`: the connected browser every call, listing and page tool uses. */
  browser?: string;
  /** Where to say what it does (stderr: stdout belongs to the protocol). */
  log: (line: string) => void;
}

export function serveMcpOverStdio(options: StdioMcpOptions): { close(): Promise<void> } {
  const { port, log } = options;
  // Said once on stderr, which agents show in their logs: stdout carries the protocol alone.
  let toldStart = false;
  const onStage = (stage: string) => {
    if (stage !== 'starting-server' || toldStart) return;
    toldStart = true;
    log(`any mcp: no any server answered on port ${port}; starting one.`);
  };
  const access: PageAccess = {
    call: (page, method, params, callOptions) => call(page, method, params, { ...callOptions, port, onStage }),
    methods: (page, listOptions) => methods(page, { ...listOptions, port, onStage }),
    browsers: async () => {
      const health = await serverHealth(port);
      if (health) return health.browsers;
      if ((await whoListens(port)) === 'another program') throw portTaken(port);
      throw failure('NO_SERVER', `No any server is running on port ${port}, so no browser is connected. ` +
        'A call_page_method or list_page_methods starts one, and waits for a browser.');
    },
  };
  const tools = new AgentTools({ access, pages: options.pages, allow: allowList(options.allow), browser: options.browser });
  const servers = new Set<Server>();
  const handle = serveStdio(() => {
    const server = createMcpServer(tools);
    servers.add(server);
    server.onclose = () => servers.delete(server);
    return server;
  }, { onerror: (error) => log(`any mcp: ${error.message}`) });
  const stopWatching = tools.watch(() => {
    for (const server of servers) server.sendToolListChanged().catch(() => {});
  });
  return {
    async close() {
      stopWatching();
      await handle.close();
    },
  };
}
