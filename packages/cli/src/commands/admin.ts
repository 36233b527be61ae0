/**
 * `chat admin <op> [user]`: one admin request to the relay (PROTOCOL.md §14); only for admins in the relay's config.
 * While `chat daemon` runs, sent on its session (`session.admin`, docs/JSONRPC.md): no passphrase.
 */
import type { AdminOp } from '@chat/protocol';
import {
  ADMIN_NEEDS_USER as NEEDS_USER,
  ADMIN_OPS,
  adminRequest,
  formatAdminAnswer,
  type AdminAnswer,
} from '../engine/admin.js';
import { sessionMethod } from '../session/ops.js';
import { withDaemonOr } from './attach.js';
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
  const req = {
    op,
    ...(args.user ? { user: args.user } : {}),
    ...(args.reason ? { reason: args.reason } : {}),
    ...(args.after ? { after: args.after } : {}),
  };
  // While `chat daemon` runs, on its relay session (the session method an attached interactive `/admin` uses).
  const answer = await withDaemonOr<AdminAnswer>(io, sessionMethod('admin'), req, async () => {
    const m = await openMessenger(io);
    try {
      return await adminRequest(m, req);
    } finally {
      m.close();
    }
  });
  if (args.json) printJson(io, answer);
  else io.stdout.write(formatAdminAnswer(answer));
  return 0;
}
