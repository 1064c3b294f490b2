// Built as its own file, settings.js, next to background.js: `any launch --port N` writes a copy
// of the extension whose settings.js names N. Everyday Chrome uses the default, DEFAULT_PORT
// (a unit test keeps the two equal; importing the protocol here would bundle all of it).
export const SERVER_PORT: number = 8765;
