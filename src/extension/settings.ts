// Built as its own file, settings.js, next to background.js: `any launch --port N` writes a copy
// of the extension whose settings.js names N. Everyday Chrome uses the default.
import { DEFAULT_PORT } from '../protocol/constants.js';

export const SERVER_PORT: number = DEFAULT_PORT;
