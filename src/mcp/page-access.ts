/**
 * How the MCP server reaches pages: the same calls every client makes. `any mcp` (stdio) goes
 * through the TypeScript client to the any server, starting it when none runs; the `/mcp` door
 * on the server goes straight to its dispatcher. Either way the agent gets exactly what a script
 * gets: the methods the user's userscripts registered, nothing else.
 */
import type { BrowserInfo, MethodInfo } from '../protocol/index.js';

export interface PageCallOptions {
  timeout?: number;
  signal?: AbortSignal;
  /** Hears the method's progress values, in order (calls only). */
  onProgress?: (value: unknown) => void;
  /** The connected browser to run in, by name; absent: the server's routing picks one. */
  browser?: string;
}

export interface PageAccess {
  /** Runs `__any__[method](params)` on `page`; throws an AnyError (with `code`) on failure. */
  call(page: string, method: string, params: Record<string, unknown>, options: PageCallOptions): Promise<unknown>;
  /** The page's methods; with `openTab` false, only an open tab's, and none when no tab is open. */
  methods(page: string, options: PageCallOptions & { openTab?: boolean }): Promise<MethodInfo[]>;
  /** The connected browsers, the default first; throws an AnyError when there is no server to ask. */
  browsers(): Promise<BrowserInfo[]>;
}
