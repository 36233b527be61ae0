/** The relay's answer to one `admin` frame (PROTOCOL.md §14): the op's reply frame, or a non-fatal `err`. */
import { errFrame, type AdminFrame, type RelayFrame } from '@chat/protocol';
import { isAdmin } from '../admins.js';
import type { RelayContext } from '../context.js';
import { AdminError, runAdminOp } from './ops.js';

/** `user` logged in with `identityPublicKey`; only the key bound to an admin name in the config may act (§14.1). */
export async function answerAdminFrame(
  ctx: RelayContext,
  user: string,
  identityPublicKey: Uint8Array,
  f: AdminFrame,
): Promise<RelayFrame> {
  if (!isAdmin(ctx.policy.admins, user, identityPublicKey))
    return errFrame('FORBIDDEN', `${user} is not an admin of this relay`, f.rid);
  let result;
  try {
    result = await runAdminOp(ctx, { op: f.op, user: f.user, after: f.after, reason: f.reason }, user);
  } catch (err) {
    if (err instanceof AdminError) return errFrame(err.code, err.message, f.rid);
    throw err;
  }
  switch (result.op) {
    case 'users': {
      const u = result.users;
      return {
        t: 'admin_users',
        rid: f.rid,
        names: u.map((x) => x.username),
        created: u.map((x) => x.createdAt),
        online: u.map((x) => x.online),
        banned: u.map((x) => x.banned),
        depth: u.map((x) => x.depth),
        bytes: u.map((x) => x.bytes),
        more: result.more,
      };
    }
    case 'stats':
      return { t: 'admin_stats', rid: f.rid, ...result.stats };
    default:
      // 'delete-user' is local only (control socket); the frame's op type cannot name it.
      return {
        t: 'admin_done',
        rid: f.rid,
        op: result.op as AdminFrame['op'],
        ...(result.invite ? { invite: result.invite } : {}),
      };
  }
}
