/**
 * The methods an attached interactive session uses (docs/JSONRPC.md, "Session methods"): the session ops of
 * session/ops.ts, checked here and run on the daemon's own Messenger, so an attached session does exactly what a
 * session of its own would. A bot may call them too; where signal-cli has the operation, its public method (methods.ts)
 * is the one to prefer.
 */
import type { JSONRPCServer } from 'json-rpc-2.0';
import { ADMIN_OPS, type AdminOp } from '../engine/admin.js';
import { type SessionOps, sessionMethod } from '../session/ops.js';
import { namedParams, stringParam } from './params.js';
import { type ConnectionParams, gate } from './register.js';
import { badParam } from './rpc-errors.js';

type P = Record<string, unknown>;
type Checks = { [K in keyof SessionOps]: (p: P) => Parameters<SessionOps[K]>[0] };

const optString = <N extends string>(p: P, name: N): { [k in N]?: string } =>
  (p[name] === undefined ? {} : { [name]: stringParam(p, name) }) as { [k in N]?: string };

function optBool(p: P, name: string): boolean | undefined {
  const v = p[name];
  if (v !== undefined && typeof v !== 'boolean') throw badParam(name, 'true or false');
  return v as boolean | undefined;
}

/** An absolute path: the daemon's working directory is not the session's. */
function pathParam(p: P, name: string): string {
  const v = stringParam(p, name);
  if (!v.startsWith('/')) throw badParam(name, 'an absolute path');
  return v;
}

const none = (): Record<string, never> => ({});
const recipient = (p: P) => ({ recipient: stringParam(p, 'recipient') });
const text = (p: P) => ({ ...recipient(p), message: stringParam(p, 'message'), ...optString(p, 'replyTo') });

/** Each operation's params, checked: the wrong type or a missing one is a USAGE error (-32602). */
const CHECKS: Checks = {
  sessionInfo: none,
  queueMessage: text,
  sendToConversation: text,
  markRead: recipient,
  sendTyping: (p) => {
    const stop = optBool(p, 'stop');
    return stop === undefined ? recipient(p) : { ...recipient(p), stop };
  },
  who: none,
  checkKey: recipient,
  safetyNumber: recipient,
  trustKey: (p) => ({ ...recipient(p), ...optString(p, 'verifiedSafetyNumber') }),
  flushOutbox: none,
  editMessage: (p) => ({ id: stringParam(p, 'id'), message: stringParam(p, 'message') }),
  deleteMessage: (p) => {
    const forMe = optBool(p, 'forMe');
    return { id: stringParam(p, 'id'), ...(forMe === undefined ? {} : { forMe }) };
  },
  react: (p) => ({ id: stringParam(p, 'id'), emoji: stringParam(p, 'emoji') }),
  setTimer: (p) => {
    const seconds = p.seconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0)
      throw badParam('seconds', 'a whole number of seconds, 0 for off');
    return { ...recipient(p), seconds };
  },
  createGroup: (p) => {
    const members = p.members;
    if (!Array.isArray(members) || !members.every((x) => typeof x === 'string' && x !== ''))
      throw badParam('members', 'an array of usernames');
    return { name: stringParam(p, 'name'), members: members as string[] };
  },
  updateGroup: (p) => {
    const op = p.op;
    if (op !== 'add' && op !== 'remove' && op !== 'leave' && op !== 'rename')
      throw badParam('op', '"add", "remove", "leave" or "rename"');
    return { group: stringParam(p, 'group'), op, ...optString(p, 'member'), ...optString(p, 'name') };
  },
  listRooms: none,
  joinRoom: (p) => ({ room: stringParam(p, 'room') }),
  leaveRoom: (p) => ({ room: stringParam(p, 'room') }),
  sendFile: (p) => ({ ...recipient(p), path: pathParam(p, 'path') }),
  acceptFile: (p) => ({ id: stringParam(p, 'id'), dir: pathParam(p, 'dir') }),
  declineFile: (p) => ({ id: stringParam(p, 'id'), dir: pathParam(p, 'dir') }),
  admin: (p) => {
    const op = stringParam(p, 'op');
    if (!ADMIN_OPS.includes(op as AdminOp)) throw badParam('op', `one of ${ADMIN_OPS.join(', ')}`);
    return { op: op as AdminOp, ...optString(p, 'user'), ...optString(p, 'reason'), ...optString(p, 'after') };
  },
};

/** Adds the session methods to `server`; `ops` resolves once the daemon's keys are unlocked. */
export function addSessionMethods(server: JSONRPCServer<ConnectionParams>, ops: Promise<SessionOps>): void {
  const started = gate(ops);
  for (const name of Object.keys(CHECKS) as (keyof SessionOps)[]) {
    server.addMethod(sessionMethod(name), async (params: unknown) => {
      const p = (CHECKS[name] as (p: P) => never)(namedParams(params));
      const op = (await started())[name] as (p: unknown) => Promise<unknown>;
      return op(p);
    });
  }
}
