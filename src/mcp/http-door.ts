/**
 * `/mcp` on the any server: MCP over Streamable HTTP, for agents that connect by URL. Requests
 * arrive here only after the server's admission (admission.ts: loopback, our Host, no Origin,
 * the same user) and its JSON and size rules (http-api.ts), as web `Request`s; the answers are web
 * `Response`s, streamed (SSE) where the protocol streams.
 *
 * Two protocol generations, as the SDK serves them:
 *   - 2025-era clients (2025-06-18, 2025-11-25 — most agents today) keep a session: one MCP
 *     server and transport per `Mcp-Session-Id`, which carries list_changed on its GET stream and
 *     the client's cancels. A session whose client vanished without a DELETE is closed after
 *     SESSION_IDLE_MS; a POST whose caller hangs up cancels its requests.
 *   - 2026-07-28 clients are served per request by the SDK's handler (no sessions).
 *
 * The URL's query picks the tools, as `any mcp`'s flags do: `/mcp?page=<url>&page=…&allow=…&browser=<name>`.
 */
import { randomUUID } from 'node:crypto';
import { createMcpHandler, isLegacyRequest, WebStandardStreamableHTTPServerTransport, type Server } from '@modelcontextprotocol/server';
import { BrowserName, PageUrl, parse } from '../protocol/index.js';
import { allowList } from './allow-list.js';
import { AgentTools } from './agent-tools.js';
import { createMcpServer } from './mcp-server.js';
import type { PageAccess } from './page-access.js';

/** A 2025-era session with no request for this long is closed: its client went away without saying so. */
export const SESSION_IDLE_MS = 30 * 60_000;

export interface McpHttpDoor {
  /** Serves one request to `/mcp` (already admitted). */
  handle(request: Request): Promise<Response>;
  /** How many 2025-era sessions are open, for `status`. */
  readonly sessions: number;
  close(): Promise<void>;
}

interface Session {
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
  tools: AgentTools;
  lastSeen: number;
}

export function createMcpHttpDoor(access: PageAccess, log: (line: string) => void): McpHttpDoor {
  const sessions = new Map<string, Session>();
  /** One catalogue per tool configuration (the query), shared by the sessions that use it. */
  const catalogues = new Map<string, { tools: AgentTools; stopWatching: () => void }>();

  const modern = createMcpHandler((context) => createMcpServer(toolsFor(configOf(context.requestInfo) as ToolConfig)), {
    legacy: 'reject',
    onerror: (error) => log(`mcp: ${error.message}`),
  });

  function toolsFor(config: ToolConfig): AgentTools {
    let catalogue = catalogues.get(config.key);
    if (!catalogue) {
      const tools = new AgentTools({ access, pages: config.pages, allow: allowList(config.allow), browser: config.browser });
      const stopWatching = tools.watch(() => {
        for (const session of sessions.values()) if (session.tools === tools) session.server.sendToolListChanged().catch(() => {});
        void modern.notify.toolsChanged();
      });
      catalogues.set(config.key, (catalogue = { tools, stopWatching }));
    }
    return catalogue.tools;
  }

  const reaper = setInterval(() => {
    for (const [id, session] of sessions) {
      if (Date.now() - session.lastSeen < SESSION_IDLE_MS) continue;
      log(`mcp: closed session ${id}, idle for ${SESSION_IDLE_MS / 60_000} minutes`);
      void session.server.close();
    }
  }, 60_000);
  reaper.unref();

  async function legacy(request: Request, config: ToolConfig): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id) {
      const session = sessions.get(id);
      if (!session) return jsonRpcError(404, -32001, 'Session not found: it ended or was closed; initialize a new one.');
      session.lastSeen = Date.now();
      if (request.method === 'POST') await cancelOnHangUp(request, session.transport);
      return session.transport.handleRequest(request);
    }
    // No session yet: only an initialize may open one.
    const tools = toolsFor(config);
    const server = createMcpServer(tools);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { server, transport, tools, lastSeen: Date.now() });
      },
    });
    server.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(request);
    if (!transport.sessionId) await server.close(); // not an initialize: nothing to keep
    return response;
  }

  return {
    async handle(request) {
      const config = configOf(request);
      if (typeof config === 'string') return jsonRpcError(400, -32602, `Bad /mcp URL: ${config}.`);
      return (await isLegacyRequest(request)) ? legacy(request, config) : modern.fetch(request);
    },
    get sessions() {
      return sessions.size;
    },
    async close() {
      clearInterval(reaper);
      for (const catalogue of catalogues.values()) catalogue.stopWatching();
      await Promise.all([...sessions.values()].map((session) => session.server.close().catch(() => {})));
      await modern.close();
    },
  };
}

interface ToolConfig {
  key: string;
  pages: string[];
  allow: string[];
  browser?: string;
}

/** The tools a request asks for, from its URL's query; or what is wrong with the query. */
function configOf(request: Request | undefined): ToolConfig | string {
  const query = new URL(request?.url ?? 'http://127.0.0.1/mcp').searchParams;
  const pages = query.getAll('page');
  const allow = query.getAll('allow');
  const browsers = query.getAll('browser');
  if (pages.some((page) => !parse(PageUrl, page).ok)) return 'each page= must be an absolute http(s) URL, such as /mcp?page=https://example.com/';
  if (browsers.length > 1) return 'name one browser= at most';
  const browser = browsers[0];
  const name = browser === undefined ? undefined : parse(BrowserName, browser);
  if (name && !name.ok) return `browser= ${name.problem.replace(/^browser /, '')}`;
  return { key: JSON.stringify([pages, allow, browser ?? null]), pages, allow, browser };
}

/**
 * The session's transport keeps running a request whose caller hung up; tell it the caller
 * cancelled, so the call stops in the page too.
 */
async function cancelOnHangUp(request: Request, transport: WebStandardStreamableHTTPServerTransport): Promise<void> {
  const body: unknown = await request.clone().json().catch(() => undefined);
  const ids = (Array.isArray(body) ? body : [body])
    .filter((message): message is { id: string | number; method: string } => typeof message === 'object' && message !== null && 'method' in message && 'id' in message)
    .map((message) => message.id);
  if (!ids.length) return;
  request.signal.addEventListener('abort', () => {
    for (const requestId of ids) {
      transport.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the client hung up' } });
    }
  }, { once: true });
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}
