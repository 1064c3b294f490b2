// Built as its own file, settings.js, next to background.js: `any launch` writes a copy of the
// extension whose settings.js names its server's port, marks it managed and gives it the name and
// install id of that launch. Everyday Chrome uses these defaults.
import { DEFAULT_PORT } from '../protocol/constants.js';

export const SERVER_PORT: number = DEFAULT_PORT;
/** Whether `any launch` started this browser (`kind: "managed"` in the hello). */
export const MANAGED: boolean = false;
/** The name `any launch --name` asked for; an everyday browser keeps the one the server gave it. */
export const BROWSER_NAME: string | undefined = undefined;
/** The launch's id; an everyday browser makes one and keeps it in its extension storage. */
export const INSTALL_ID: string | undefined = undefined;
