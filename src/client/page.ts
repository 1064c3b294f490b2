/**
 * A typed handle on a page: describe its methods once, then call them like local functions.
 *
 *   interface ChatGpt { ask(params: { prompt: string }): Promise<{ answer: string }> }
 *   const chat = page<ChatGpt>('https://chatgpt.com/');
 *   const { answer } = await chat.ask({ prompt: 'Hello' });   // params and result checked by tsc
 */
import type { MethodInfo } from '../protocol/index.js';
import { call, methods, type CallOptions } from './call.js';

/**
 * The methods a page offers, as an interface of yours: each takes one JSON object (or nothing)
 * and returns JSON, or a promise of it.
 */
export type PageMethods<Methods> = { [Name in keyof Methods]: (params?: any) => unknown };

/** When no interface is given: any method name, any JSON object as params. */
export type UntypedMethods = Record<string, (params?: Record<string, unknown>) => unknown>;

/** Per-call options: the handle's, overridden by these. */
export type PageCallOptions = Omit<CallOptions, 'port' | 'autoStart'>;

export type PageHandle<Methods extends PageMethods<Methods>> = {
  // Params may be left out exactly when the method's own parameter is optional (or absent).
  [Name in keyof Methods]: [] extends Parameters<Methods[Name]>
    ? (params?: Parameters<Methods[Name]>[0], options?: PageCallOptions) => Promise<Awaited<ReturnType<Methods[Name]>>>
    : (params: Parameters<Methods[Name]>[0], options?: PageCallOptions) => Promise<Awaited<ReturnType<Methods[Name]>>>;
};

/** Reserved on the handle for the page itself; methods of these names are reached with `call`. */
export interface PageHandleBase {
  /** The page's URL, as given. */
  readonly url: string;
  /** The methods the page registers, with their descriptions and input schemas. */
  methods(options?: PageCallOptions): Promise<MethodInfo[]>;
}

export function page<Methods extends PageMethods<Methods> = UntypedMethods>(url: string, options: CallOptions = {}): PageHandle<Methods> & PageHandleBase {
  const base: PageHandleBase = {
    url,
    methods: (perCall) => methods(url, { ...options, ...perCall }),
  };
  return new Proxy(base, {
    get(target, name, receiver) {
      if (typeof name !== 'string' || name in target) return Reflect.get(target, name, receiver);
      // Not a thenable: `await page(url)` must give the handle, not call a method named "then".
      if (name === 'then') return undefined;
      return (params: Record<string, unknown> = {}, perCall: PageCallOptions = {}) => call(url, name, params, { ...options, ...perCall });
    },
  }) as PageHandle<Methods> & PageHandleBase;
}
