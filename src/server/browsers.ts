/**
 * The browsers connected to the server: their names, the tabs they hold, and which one a call
 * goes to. Transport-free, like the dispatcher that owns it.
 *
 * Routing (the README's "Routing" section says the same):
 *   1. the browser the call names (`browser`), else
 *   2. the browser that already holds a tab matching the page (tab-matching.ts), so the user's
 *      open tab wins over opening one elsewhere, else
 *   3. the default: the connected browser that connected first.
 *
 * Names: a browser asks for one in its hello (`any launch --name`, or the name an everyday
 * browser was given before and keeps); without one it is named after its brand (`chrome`,
 * `chromium`). A name held by another connected browser gets a suffix: `chrome-2`, `chrome-3`.
 * A browser keeps its name across reconnects: it is known by its `installId`.
 */
import {
  browserBrand,
  CallFailure,
  EXACT_MATCH,
  freeName,
  HOW_TO_CONNECT_A_BROWSER,
  matchPage,
  nameFor,
  NO_MATCH,
  pageKey,
  type BrowserInfo,
  type BrowserKind,
  type ExtensionHello,
  type ExtensionState,
  type ReportedTab,
  type ServerToExtension,
} from '../protocol/index.js';
import type { Launches } from './launches.js';

/** One connected browser's socket, as the dispatcher sees it. */
export interface BrowserLink {
  readonly hello: ExtensionHello;
  /** ISO time of the hello. */
  readonly connectedAt: string;
  /** Throws if the link can no longer send. */
  send(message: ServerToExtension): void;
  /** What the extension reports it is doing; undefined if it does not answer within `timeoutMs`. */
  inspect(timeoutMs: number): Promise<ExtensionState | undefined>;
}

export type Route = 'named' | 'open-tab' | 'default';

/** A browser the server knows: connected, or gone for less than the reconnect grace. */
export interface KnownBrowser {
  readonly name: string;
  readonly installId: string;
  readonly kind: BrowserKind;
  /** Its current socket; undefined while it is away (within the reconnect grace). */
  link: BrowserLink | undefined;
  /** Calls the dispatcher has handed to it that have not ended (kept by the dispatcher). */
  callsInFlight: number;
}

interface BrowserRecord extends KnownBrowser {
  /** Connection order: the lowest connected one is the default. Kept across reconnects. */
  readonly order: number;
  brand: string;
  version: string;
  /** Its reported tabs, by origin, so routing looks only at the page's origin. */
  tabsByOrigin: Map<string, ReportedTab[]>;
  openTabs: number;
  /** When its last socket closed (ms since the epoch); undefined while connected. */
  goneSince: number | undefined;
}

/** Where a call goes: to a browser now, or to wait for one (a named one, or any), or nowhere. */
export type Routing =
  | { to: KnownBrowser; route: Route }
  | { waitFor: { name?: string }; waitMs: number; route: Route }
  | { failure: CallFailure };

export interface BrowsersOptions {
  /** How long a call waits for a browser when none is connected. */
  browserWaitMs: number;
  /** How long a browser that went away is kept (its name held, calls naming it waiting). */
  reconnectGraceMs: number;
  port: number;
}

export class Browsers {
  readonly #options: BrowsersOptions;
  /** The launches still connecting a browser, or that failed to: calls wait for them and hear why. */
  readonly #launches: Launches;
  readonly #startedAt = Date.now();
  /** Every known browser, in connection order (a record is added once, when first seen). */
  readonly #byInstall = new Map<string, BrowserRecord>();
  readonly #byName = new Map<string, BrowserRecord>();
  /** origin → the connected browsers holding a tab there. */
  readonly #holdersByOrigin = new Map<string, Set<BrowserRecord>>();
  #nextOrder = 0;

  constructor(options: BrowsersOptions, launches: Launches) {
    this.#options = options;
    this.#launches = launches;
  }

  /** Connected browsers, in connection order (the default first). */
  get connected(): KnownBrowser[] {
    return this.#connected();
  }

  info(browser: KnownBrowser): BrowserInfo | undefined {
    const record = browser as BrowserRecord;
    const link = record.link;
    if (!link) return undefined;
    return {
      name: record.name,
      kind: record.kind,
      brand: record.brand,
      version: record.version,
      installId: record.installId,
      workerId: link.hello.workerId,
      extensionVersion: link.hello.extensionVersion,
      userAgent: link.hello.userAgent,
      connectedAt: link.connectedAt,
      openTabs: record.openTabs,
      callsInFlight: record.callsInFlight,
    };
  }

  /** A browser said hello: it is known by its install from now on, under the name returned. */
  attach(link: BrowserLink): KnownBrowser {
    this.#prune();
    const { hello } = link;
    const installId = hello.installId ?? hello.workerId;
    let record = this.#byInstall.get(installId);
    if (record) {
      if (record.link) this.#forgetTabs(record); // a new worker of the same browser, before the old socket closed
      record.link = link;
      record.goneSince = undefined;
    } else {
      const fromAgent = browserBrand(undefined, hello.userAgent);
      const brand = hello.brand ?? fromAgent.brand;
      record = {
        name: freeName(hello.name ?? nameFor(brand), (name) => this.#byName.has(name)),
        installId,
        kind: hello.kind ?? 'everyday',
        link,
        callsInFlight: 0,
        order: this.#nextOrder++,
        brand,
        version: hello.browserVersion ?? fromAgent.version,
        tabsByOrigin: new Map(),
        openTabs: 0,
        goneSince: undefined,
      };
      this.#byInstall.set(installId, record);
      this.#byName.set(record.name, record);
    }
    return record;
  }

  /** `link`'s socket closed. Its browser is kept for the reconnect grace, unless a newer socket has it. */
  detach(link: BrowserLink): KnownBrowser | undefined {
    const record = this.#byInstall.get(link.hello.installId ?? link.hello.workerId);
    if (!record || record.link !== link) return undefined;
    record.link = undefined;
    record.goneSince = Date.now();
    this.#forgetTabs(record);
    return record;
  }

  /** The tabs `link`'s browser has open now (the whole list each time). */
  reportTabs(link: BrowserLink, tabs: ReportedTab[]): void {
    const record = this.#byInstall.get(link.hello.installId ?? link.hello.workerId);
    if (!record || record.link !== link) return;
    this.#forgetTabs(record);
    for (const tab of tabs) {
      const origin = originOf(tab.url);
      if (!origin) continue;
      let list = record.tabsByOrigin.get(origin);
      if (!list) {
        record.tabsByOrigin.set(origin, (list = []));
        let holders = this.#holdersByOrigin.get(origin);
        if (!holders) this.#holdersByOrigin.set(origin, (holders = new Set()));
        holders.add(record);
      }
      list.push(tab);
      record.openTabs++;
    }
  }

  /** Where a call for `page` goes; `name` is the browser the caller named, if any. */
  route(page: string, name: string | undefined): Routing {
    if (name !== undefined) return this.#routeNamed(name);
    const holder = this.#holderOf(page);
    if (holder) return { to: holder, route: 'open-tab' };
    const first = this.#firstConnected();
    if (first) return { to: first, route: 'default' };
    return { waitFor: {}, waitMs: this.#options.browserWaitMs, route: 'default' };
  }

  /** Why a call that waited for `name` (or any browser) got none: a launch's own explanation, when one started it. */
  waitFailure(name: string | undefined, waitedMs: number): CallFailure {
    if (name === undefined) {
      return CallFailure.of('NO_BROWSER',
        `No browser is connected to the any server on port ${this.#options.port} (waited ${waitedMs} ms). ` +
        (this.#launches.explain(undefined, Date.now()) ?? HOW_TO_CONNECT_A_BROWSER));
    }
    return this.#unknownName(name, ` (waited ${waitedMs} ms)`);
  }

  #routeNamed(name: string): Routing {
    const record = this.#findByName(name);
    if (record?.link) return { to: record, route: 'named' };
    const now = Date.now();
    // Gone a moment ago: its worker is likely reconnecting (a restart takes about a second).
    if (record?.goneSince !== undefined) {
      return { waitFor: { name }, waitMs: Math.max(1, record.goneSince + this.#options.reconnectGraceMs - now), route: 'named' };
    }
    // A server that just started: the browsers are still connecting (their extensions retry every second).
    const youngFor = this.#startedAt + this.#options.browserWaitMs - now;
    if (youngFor > 0) return { waitFor: { name }, waitMs: youngFor, route: 'named' };
    // `any launch --name <name>` has started it: its extension is on its way (the dispatcher waits for the launch).
    if (this.#launches.waitUntil(name, now) !== undefined) return { waitFor: { name }, waitMs: 0, route: 'named' };
    return { failure: this.#unknownName(name, '') };
  }

  #unknownName(name: string, waited: string): CallFailure {
    const connected = this.#connected();
    const port = this.#options.port;
    const launch = this.#launches.explain(name, Date.now());
    if (!connected.length) {
      return CallFailure.of('NO_BROWSER', `No browser named "${name}" is connected to the any server on port ${port}${waited}: ` +
        `no browser is connected at all. ${launch ?? `${HOW_TO_CONNECT_A_BROWSER} Give a managed one that name with \`npx any launch --name ${name}\`.`}`);
    }
    const list = connected.map((record) => `"${record.name}" (${record.kind} ${record.brand}${record.version ? ` ${record.version}` : ''})`).join(', ');
    return CallFailure.of('NO_BROWSER', `No browser named "${name}" is connected to the any server on port ${port}${waited}. ` +
      `Connected: ${list}. ${launch ?? 'Name one of these, or leave the browser out to let the server choose.'}`);
  }

  /** The connected browser holding the best-matching tab for `page`; the earliest connected among equals. */
  #holderOf(page: string): BrowserRecord | undefined {
    const origin = originOf(page);
    const holders = origin ? this.#holdersByOrigin.get(origin) : undefined;
    if (!holders) return undefined;
    const key = pageKey(page);
    let best: BrowserRecord | undefined;
    let bestScore = NO_MATCH;
    for (const record of holders) {
      for (const tab of record.tabsByOrigin.get(origin!) ?? []) {
        const score = tab.openedFor === key ? EXACT_MATCH : matchPage(page, tab.url);
        if (score > bestScore || (score === bestScore && score !== NO_MATCH && best && record.order < best.order)) {
          best = record;
          bestScore = score;
        }
      }
    }
    return best;
  }

  #findByName(name: string): BrowserRecord | undefined {
    const record = this.#byName.get(name);
    if (record?.goneSince !== undefined && record.goneSince <= Date.now() - this.#options.reconnectGraceMs) return this.#forget(record);
    return record;
  }

  /** In connection order: #byInstall keeps the order records were added in. */
  #connected(): BrowserRecord[] {
    return [...this.#byInstall.values()].filter((record) => record.link);
  }

  #firstConnected(): BrowserRecord | undefined {
    for (const record of this.#byInstall.values()) if (record.link) return record;
    return undefined;
  }

  #forgetTabs(record: BrowserRecord): void {
    for (const origin of record.tabsByOrigin.keys()) {
      const holders = this.#holdersByOrigin.get(origin);
      holders?.delete(record);
      if (holders && !holders.size) this.#holdersByOrigin.delete(origin);
    }
    record.tabsByOrigin = new Map();
    record.openTabs = 0;
  }

  /** Browsers gone for longer than the grace are forgotten, and their names freed. */
  #prune(): void {
    const cutoff = Date.now() - this.#options.reconnectGraceMs;
    for (const record of this.#byInstall.values()) {
      if (record.goneSince !== undefined && record.goneSince <= cutoff) this.#forget(record);
    }
  }

  #forget(record: BrowserRecord): undefined {
    this.#byInstall.delete(record.installId);
    this.#byName.delete(record.name);
    return undefined;
  }
}

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
