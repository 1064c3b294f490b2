/**
 * Names for the page tools (`--page`): one tool per method, named after the method. MCP tool
 * names are `[A-Za-z0-9_.-]`, 1 to 128 characters; a name already taken (by a generic tool, or
 * by the same method on an earlier page) gets the page's host in front, then a number.
 */

export const MAX_TOOL_NAME = 128;

/** A method name as a valid tool name: other characters become `_`, cut to 128. */
export function toolNameOf(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MAX_TOOL_NAME);
  return name || '_';
}

/** A short, readable label for a page: its host (and port), e.g. `chatgpt.com`, `127.0.0.1_8080`. */
export function pageLabel(page: string): string {
  const url = new URL(page);
  return toolNameOf(url.port ? `${url.hostname}_${url.port}` : url.hostname);
}

/**
 * Unique names for `methods` of `page`, given the names already `taken` (which it extends).
 * Deterministic for a given order of pages and methods, so names stay put while lists change.
 */
export function nameTools(page: string, methods: readonly string[], taken: Set<string>): Map<string, string> {
  const names = new Map<string, string>();
  for (const method of methods) {
    let name = toolNameOf(method);
    if (taken.has(name)) name = toolNameOf(`${pageLabel(page)}.${method}`);
    for (let n = 2; taken.has(name); n++) {
      const suffix = `_${n}`;
      name = `${toolNameOf(`${pageLabel(page)}.${method}`).slice(0, MAX_TOOL_NAME - suffix.length)}${suffix}`;
    }
    taken.add(name);
    names.set(method, name);
  }
  return names;
}
