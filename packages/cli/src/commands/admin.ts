/** `chat admin <op> [user]`: one admin request to the relay (PROTOCOL.md §14); only for admins in the relay's config. */
import type { AdminOp } from '@chat/protocol';
import {
  ADMIN_NEEDS_USER as NEEDS_USER,
  ADMIN_OPS,
  adminRequest,
  formatAdminAnswer,
  type AdminAnswer,
} from '../engine/admin.js';
import { openMessenger } from './common.js';
import { ChatError } from '../engine/errors.js';
import { printJson, type Io } from './io.js';

export interface AdminArgs {
  op: string;
  user?: string | undefined;
  reason?: string | undefined;
  after?: string | undefined;
  json?: boolean;
}

export async function admin(args: AdminArgs, io: Io): Promise<number> {
  const op = args.op as AdminOp;
  if (!ADMIN_OPS.includes(op))
    throw new ChatError('USAGE', `unknown admin command ${JSON.stringify(args.op)}; one of ${ADMIN_OPS.join(', ')}`);
  if (NEEDS_USER.has(op) !== (args.user !== undefined)) {
    throw new ChatError(
      'USAGE',
      NEEDS_USER.has(op) ? `chat admin ${op} needs a username` : `chat admin ${op} takes no username`,
    );
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
  else io.stdout.write(formatAdminAnswer(answer));
  return 0;
}
