/**
 * Agent sessions for the end-to-end suites: the official MCP SDKs' own clients (v1
 * `@modelcontextprotocol/sdk` and v2 `@modelcontextprotocol/client`) connected to `any mcp` over
 * stdio or to the server's `/mcp` door, behind one small interface.
 */
import { Client as V2Client, StreamableHTTPClientTransport as V2HttpTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2StdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { CLI_ENTRY } from '../../src/paths.js';

export interface ToolResult {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** One agent session, whichever SDK and door: what the tests need of it. */
export interface Agent {
  label: string;
  listTools(): Promise<{ name: string; title?: string; description?: string; inputSchema: Record<string, unknown>; outputSchema?: Record<string, unknown>; annotations?: Record<string, unknown> }[]>;
  callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal, onprogress?: (progress: { progress: number; message?: string }) => void): Promise<ToolResult>;
  /** Resolves at the next notifications/tools/list_changed. */
  nextListChange(): Promise<void>;
  close(): Promise<void>;
}

export type Door = 'stdio' | 'http';
export type Sdk = 'v1' | 'v2' | 'v2-2026';

/** An agent of `sdk` over `door`, with tools of its own for `pages`; `browser` pins it (`--browser`, `?browser=`). */
export async function connectAgent(stack: { port: number }, door: Door, sdk: Sdk, pages: string[] = [], browser?: string): Promise<Agent> {
  const label = `${sdk} over ${door}`;
  let changed: () => void = () => {};
  const onChange = () => changed();
  const stdioArgs = [CLI_ENTRY, 'mcp', '--port', String(stack.port), ...pages.flatMap((page) => ['--page', page]), ...(browser ? ['--browser', browser] : [])];
  const url = new URL(`http://127.0.0.1:${stack.port}/mcp`);
  for (const page of pages) url.searchParams.append('page', page);
  if (browser) url.searchParams.set('browser', browser);

  if (sdk === 'v1') {
    const client = new V1Client({ name: 'any-test-v1', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, onChange);
    await client.connect(door === 'stdio'
      ? new V1StdioTransport({ command: process.execPath, args: stdioArgs, stderr: 'pipe' })
      : new V1HttpTransport(url));
    return {
      label,
      listTools: async () => (await client.listTools()).tools as Awaited<ReturnType<Agent['listTools']>>,
      callTool: async (name, args, signal, onprogress) => (await client.callTool({ name, arguments: args }, undefined, { ...(signal ? { signal } : {}), ...(onprogress ? { onprogress } : {}) })) as ToolResult,
      nextListChange: () => new Promise((resolve) => (changed = resolve)),
      close: () => client.close(),
    };
  }
  const client = new V2Client({ name: 'any-test-v2', version: '1.0.0' }, sdk === 'v2-2026' ? { versionNegotiation: { mode: 'auto' } } : {});
  client.setNotificationHandler('notifications/tools/list_changed', onChange);
  await client.connect(door === 'stdio'
    ? new V2StdioTransport({ command: process.execPath, args: stdioArgs, stderr: 'pipe' })
    : new V2HttpTransport(url));
  // On 2026-07-28 notifications flow only on a subscription the client opens.
  const subscription = client.getProtocolEra?.() === 'modern' ? await client.listen({ toolsListChanged: true }) : undefined;
  return {
    label: `${label} (${client.getNegotiatedProtocolVersion()})`,
    listTools: async () => (await client.listTools()).tools as Awaited<ReturnType<Agent['listTools']>>,
    callTool: async (name, args, signal, onprogress) => (await client.callTool({ name, arguments: args }, { ...(signal ? { signal } : {}), ...(onprogress ? { onprogress } : {}) })) as ToolResult,
    nextListChange: () => new Promise((resolve) => (changed = resolve)),
    close: async () => {
      await subscription?.close();
      await client.close();
    },
  };
}

export const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))]);
