/**
 * ChatError ↔ JSON-RPC error object (docs/JSONRPC.md, "Errors"). The JSON-RPC `code` says what kind of failure it
 * is: -32602 for anything that is the caller's mistake (every error with exit code 2), -32000 − exit code for the
 * rest (-32003 unknown user, -32004 key changed, -32005 unreachable, …). `data.code` carries the CLI's error code
 * name (`UNKNOWN_USER`), `data.hint` its next step: a bot switches on `data.code`, as a script on the exit code.
 */
import type { JSONRPCError } from 'json-rpc-2.0';
import { ChatError, ExitCode, type ChatErrorCode } from '../engine/errors.js';

export const INVALID_PARAMS = -32602;
/** JSON-RPC's "method not found": the daemon is from a build that does not have it yet. */
export const METHOD_NOT_FOUND = -32601;
export const INTERNAL_ERROR = -32603;
/** JSON-RPC's range for implementation-defined server errors starts here; we subtract the §12 exit code. */
export const SERVER_ERROR_BASE = -32000;

export interface ErrorData {
  code: ChatErrorCode;
  hint?: string;
}

export function toRpcError(err: unknown): JSONRPCError {
  if (err instanceof ChatError) {
    const data: ErrorData = { code: err.code };
    if (err.hint !== undefined) data.hint = err.hint;
    const code = err.exitCode === ExitCode.USAGE ? INVALID_PARAMS : SERVER_ERROR_BASE - err.exitCode;
    return { code, message: err.message, data };
  }
  // Not a failure the engine knows: no detail (it could be anything), only that it happened.
  return { code: INTERNAL_ERROR, message: 'internal error in the daemon', data: { code: 'UNEXPECTED' } };
}

/** The ChatError a front end re-raises for an error object from the daemon, so it prints and exits as without one. */
export function fromRpcError(e: JSONRPCError): ChatError {
  const data = (e.data ?? {}) as Partial<ErrorData>;
  const code = typeof data.code === 'string' ? data.code : e.code === INVALID_PARAMS ? 'USAGE' : 'UNEXPECTED';
  // A daemon started before an upgrade keeps running the old code: say so, rather than a bare "Method not found".
  const hint =
    typeof data.hint === 'string'
      ? data.hint
      : e.code === METHOD_NOT_FOUND
        ? 'the running chat daemon is older than this chat: restart it (stop it, then chat daemon)'
        : undefined;
  return new ChatError(code as ChatErrorCode, String(e.message), hint === undefined ? {} : { hint });
}

/** A USAGE error for a parameter that is missing or of the wrong type. */
export function badParam(name: string, expected: string): ChatError {
  return new ChatError('USAGE', `${name ? `params.${name}` : 'params'}: expected ${expected}`);
}
