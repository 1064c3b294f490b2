/**
 * What an agent gets back from a tool call. A result is the method's JSON value, as
 * `structuredContent: { result }` (MCP wants an object there; a method may return any JSON) and as
 * text for clients that read only text. A failed call — the method threw, is not there, timed out,
 * no browser — is a tool error (`isError: true`) the agent can read and act on: the error's name,
 * code, message (which says what to do next) and, for METHOD_NOT_FOUND, the methods there are.
 * Protocol errors are left for protocol misuse (an unknown tool, arguments of the wrong shape).
 */
import { AnyError } from '../protocol/error-classes.js';
import { CallFailure, type ErrorShape } from '../protocol/index.js';

export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export function toolResult(value: unknown): ToolResult {
  const result = value === undefined ? null : value;
  return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: { result } };
}

export function toolError(error: unknown): ToolResult {
  const shape = errorShapeOf(error);
  const methods = shape.methods ? `\nMethods on the page: ${shape.methods.join(', ') || '(none)'}.` : '';
  return {
    content: [{ type: 'text', text: `${shape.name} (${shape.code}): ${shape.message}${methods}` }],
    structuredContent: { error: { name: shape.name, code: shape.code, message: shape.message, ...(shape.methods ? { methods: shape.methods } : {}) } },
    isError: true,
  };
}

/** The structured error a failure carries; anything else is an INTERNAL one. */
export function errorShapeOf(error: unknown): ErrorShape {
  if (error instanceof CallFailure) return error.shape;
  if (error instanceof AnyError) return { name: error.name, message: error.message, code: error.code, ...(error.methods ? { methods: error.methods } : {}) };
  return { name: 'InternalError', code: 'INTERNAL', message: `The any MCP server hit an internal error: ${error instanceof Error ? error.message : String(error)}` };
}
