/**
 * The check every answer from the page passes before it leaves the page's renderer. The isolated
 * world is the first place page scripts cannot touch: the bridge runs among them (in a tab that
 * was open before the extension, after them), so whatever it sends may have been bent or forged
 * by a script that patched `JSON`, `dispatchEvent` or a prototype. Here, then:
 *
 *   - only calls this content script handed to the page can be answered, each once;
 *   - a result is one well-formed JSON value within MAX_RESULT_CHARS, and an error has the
 *     protocol's shape, so the worker can splice the result's text into its frame unparsed;
 *   - a listing is a list of MethodInfo whose sources follow from their names, so no page can
 *     make one of its WebMCP tools pass as a userscript method;
 *   - anything else becomes a structured error for that call alone: no other call, in this tab
 *     or another, can be disturbed by what one page sends.
 */
import { MAX_RESULT_CHARS } from '../../protocol/constants.js';
import { errorShape } from '../../protocol/errors.js';
import { MethodList, parse, PageToContent, type PageResult } from '../../protocol/messages.js';

type PageAnswer = PageToContent;

/** What the content script handed the page: a method call or a listing of the methods. */
export type PageRequestKind = 'call' | 'list';

/**
 * The answer (or progress value) to send on for `message`, or undefined when it belongs to no
 * call in flight here (`inFlight`: the calls handed to the page and not yet answered, by id).
 * A progress value that cannot be used ends its call with an error result.
 */
export function checkPageAnswer(message: unknown, inFlight: ReadonlyMap<string, PageRequestKind>, maxResultChars = MAX_RESULT_CHARS): PageAnswer | undefined {
  const id = typeof message === 'object' && message !== null && Object.hasOwn(message, 'id') ? (message as { id: unknown }).id : undefined;
  if (typeof id !== 'string' || !inFlight.has(id)) return undefined;
  const malformed = (problem: string): PageResult => ({
    type: 'result',
    id,
    error: errorShape('BAD_RESULT', `The page's answer could not be used (${problem}). A script on the page may have ` +
      'tampered with the any bridge (tabs open before the extension are the exposed ones): reload the tab and call again.'),
  });
  const parsed = parse(PageToContent, message);
  if (!parsed.ok) return malformed(parsed.problem);
  const answer = parsed.value;
  if (answer.json === undefined) return answer;
  if (answer.json.length > maxResultChars) {
    return { type: 'result', id, error: errorShape('TOO_LARGE', answer.type === 'progress'
      ? `The method sent a progress value of ${answer.json.length} characters of JSON, more than the ${maxResultChars} any can carry. Send smaller parts.`
      : `The method returned ${answer.json.length} characters of JSON, more than the ${maxResultChars} any can carry. Return less, or split it over several calls.`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(answer.json);
  } catch (error) {
    return malformed(`${answer.type === 'progress' ? 'a progress value' : 'its result'} is not JSON: ${(error as Error).message}`);
  }
  if (answer.type === 'result' && inFlight.get(id) === 'list') {
    const listing = parse(MethodList, value);
    if (!listing.ok) return malformed(`its list of methods is not well formed: ${listing.problem}`);
  }
  return answer;
}
