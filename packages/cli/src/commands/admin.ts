/** `chat admin <op> [user]`: one admin request to the relay (PROTOCOL.md §14); only for admins in the relay's config. */
import type { AdminOp } from '@chat/protocol';
import { adminRequest, type AdminAnswer } from '../engine/admin.js';
import { openMessenger } from './common.js';
import { ChatError } from '../engine/errors.js';
import { printJson, type Io } from './io.js';

export const ADMIN_OPS: readonly AdminOp[] = ['users', 'stats', 'invite', 'kick', 'ban', 'unban', 'shutdown'];
const NEEDS_USER = new Set<AdminOp>(['kick', 'ban', 'unban']);

export interface AdminArgs {
  op: string;
  user?: string | undefined;
  reason?: string | undefined;
  after?: string | undefined;
  json?: boolean;
}

export async function admin(args: AdminArgs, io: Io): Promise<number> {
  const op = args.op as AdminOp;
  if (!ADMIN_OPS.includes(op)) throw new ChatError('USAGE', `unknown admin command ${JSON.stringify(args.op)}; one of ${ADMIN_OPS.join(', ')}`);
  if (NEEDS_USER.has(op) !== (args.user !== undefined)) {
    throw new ChatError('USAGE', NEEDS_USER.has(op) ? `chat admin ${op} needs a username` : `chat admin ${op} takes no username`);
  }
  const m = await openMessenger(io);
  let answer: AdminAnswer;
  try {
    answer = await adminRequest(m, {
      op,
      ...(args.user ? { user: args.user } : {}),
      ...(args.reason ? { reason: args.reason } : {}),
      ...(args.after ? { after: args.after } : {}),
    });
  } finally {
    m.close();
  }
  if (args.json) printJson(io, answer);
  else io.stdout.write(format(answer));
  return 0;
}

function format(a: AdminAnswer): string {
  switch (a.op) {
    case 'users': {
      const rows = a.users.map((u) => `${u.username.padEnd(32)} ${u.online ? 'online ' : '-      '} ${u.banned ? 'banned' : '-     '} ${String(u.depth).padStart(6)} msgs ${String(u.bytes).padStart(10)} bytes`);
      return `${rows.join('\n')}${rows.length ? '\n' : ''}${a.more ? `… more: chat admin users --after ${a.users.at(-1)?.username}\n` : ''}`;
    }
    case 'stats':
      return `connections ${a.connections}, online ${a.online}, accounts ${a.users}, waiting ${a.queued} envelopes (${a.queuedBytes} bytes), up ${Math.round(a.uptimeMs / 1000)} s\n`;
    case 'invite':
      return `${a.invite}\n`;
    default:
      return `${a.op}: done\n`;
  }
}
