/**
 * What a launch tells the extension: the server's port, whether `any launch` started this
 * browser, and that launch's name and install id. They come in `settings.json` next to
 * background.js, which `any launch` writes into its copy of the extension; the built extension
 * (everyday browsers) carries the defaults.
 *
 * A file the worker reads, not a module it imports: Chromium keeps an extension's service-worker
 * scripts in the profile and, for the same extension version, runs the kept ones at the next
 * start. In a profile kept between launches (`any launch --profile`) an imported settings module
 * would bring back the last launch's port and install id; `fetch` of the extension's own file
 * reads what is on disk now.
 */
import { DEFAULT_PORT } from './constants.js';

export const SETTINGS_FILE = 'settings.json';

export interface ExtensionSettings {
  port: number;
  /** Whether `any launch` started this browser (`kind: "managed"` in the hello). */
  managed: boolean;
  /** The name `any launch --name` asked for; an everyday browser keeps the one the server gave it. */
  name?: string;
  /** The launch's id; an everyday browser makes one and keeps it in its extension storage. */
  installId?: string;
}

export const DEFAULT_SETTINGS: ExtensionSettings = { port: DEFAULT_PORT, managed: false };

/** The settings a file holds; what is missing or malformed is the default (an everyday browser's). */
export function parseSettings(value: unknown): ExtensionSettings {
  const given = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const port = Number.isInteger(given.port) && (given.port as number) > 0 && (given.port as number) < 65536 ? given.port as number : DEFAULT_SETTINGS.port;
  return {
    port,
    managed: given.managed === true,
    ...(typeof given.name === 'string' && given.name ? { name: given.name } : {}),
    ...(typeof given.installId === 'string' && given.installId ? { installId: given.installId } : {}),
  };
}
