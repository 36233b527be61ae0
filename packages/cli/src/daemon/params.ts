/**
 * Reading a method's named params (docs/JSONRPC.md, "Methods"): each getter checks one param and throws a USAGE
 * ChatError (JSON-RPC -32602) naming it, so every method refuses a wrong type the same way.
 */
import { ChatError } from '../engine/errors.js';
import { badParam } from './rpc-errors.js';

export type Params = Record<string, unknown>;

/** Params by name (an object) or none; positional params are refused, so every method reads them one way. */
export function namedParams(params: unknown): Params {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw badParam('', 'an object of named parameters');
  return params as Params;
}

export function stringParam(p: Params, name: string): string {
  const v = p[name];
  if (typeof v !== 'string' || v.length === 0) throw badParam(name, 'a non-empty string');
  return v;
}

export function optionalString(p: Params, name: string): string | undefined {
  return p[name] === undefined ? undefined : stringParam(p, name);
}

export function optionalBoolean(p: Params, name: string): boolean | undefined {
  const v = p[name];
  if (v !== undefined && typeof v !== 'boolean') throw badParam(name, 'true or false');
  return v;
}

/** An integer in [min, max], or `fallback` when absent. */
export function intParam(p: Params, name: string, min: number, max: number, fallback?: number): number | undefined {
  const v = p[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw badParam(name, `an integer from ${min} to ${max}`);
  return v;
}

/** A list of non-empty strings; a single string counts as a list of one (as signal-cli takes `member`). */
export function stringList(p: Params, name: string): string[] | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x.length === 0))
    throw badParam(name, 'a non-empty string or an array of them');
  return list as string[];
}

/** An absolute path: the daemon's working directory is not the caller's, so a relative one would mislead. */
export function absolutePath(p: Params, name: string): string | undefined {
  const v = optionalString(p, name);
  if (v !== undefined && !v.startsWith('/')) throw badParam(name, 'an absolute path');
  return v;
}

/**
 * The conversation a method addresses, as `chat send` takes it: `recipient` (a username, or `#name`, `group:<id>`,
 * `room:<name>`) or signal-cli's `groupId` (a group id or a unique prefix of one), not both.
 */
export function optionalTarget(p: Params): string | undefined {
  const recipient = optionalString(p, 'recipient');
  const groupId = optionalString(p, 'groupId');
  if (recipient !== undefined && groupId !== undefined)
    throw new ChatError('USAGE', 'give params.recipient or params.groupId, not both');
  return groupId === undefined ? recipient : `group:${groupId}`;
}

export function targetParam(p: Params): string {
  const t = optionalTarget(p);
  if (t === undefined) throw badParam('recipient', 'a non-empty string (or params.groupId)');
  return t;
}

/** signal-cli's `groupId`: here a group id, or a unique prefix of at least 8 hex digits (`chat groups` lists them). */
export function groupIdParam(p: Params): string {
  const id = stringParam(p, 'groupId').toLowerCase();
  if (!/^[0-9a-f]{8,32}$/.test(id)) throw badParam('groupId', 'a group id (8 to 32 hex digits)');
  return id;
}
