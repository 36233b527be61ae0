/**
 * Admin operations (PROTOCOL.md §14), shared by the `admin` frame of admins named in the config and by the local
 * control socket (`chat-relay admin ...`). Results carry names, counts, sizes and times — never envelopes.
 */
import { isValidUsername } from '@chat/crypto';
import { MAX_ADMIN_PAGE, type AdminOp } from '@chat/protocol';
import type { RelayContext } from '../context.js';
import type { AccountSummary } from '../store/accounts.js';

export type LocalAdminOp = AdminOp | 'delete-user';

export interface AdminRequest {
  op: LocalAdminOp;
  user?: string | undefined;
  after?: string | undefined;
  reason?: string | undefined;
}

/**
 * `connections`, `online` and `uptimeMs` are this relay's own; `users`, `queued` and `queuedBytes` are the store's,
 * alike on every relay that shares it. On a shared store, `relays` and `receiving` (Census) say what the relays
 * see together (docs/SCALING.md, "What each relay counts").
 */
export interface RelayStats {
  connections: number;
  online: number;
  users: number;
  queued: number;
  queuedBytes: number;
  uptimeMs: number;
  relays?: number;
  receiving?: number;
}

export type AdminResult =
  | { op: 'users'; users: (AccountSummary & { online: boolean })[]; more: boolean }
  | { op: 'stats'; stats: RelayStats }
  | { op: Exclude<LocalAdminOp, 'users' | 'stats'>; invite?: string };

/** What admin operations need of a relay: a running one's context, or an offline one over the database alone. */
export type AdminDeps = Pick<
  RelayContext,
  | 'accounts'
  | 'online'
  | 'receivers'
  | 'policy'
  | 'log'
  | 'now'
  | 'startedAt'
  | 'connections'
  | 'requestShutdown'
  | 'cluster'
>;

/** A refused admin request; `code` is a wire code (§10) so the frame handler can send it as is. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly code: 'UNKNOWN_USER' | 'FORBIDDEN',
    message: string,
  ) {
    super(message);
  }
}

function needUser(req: AdminRequest): string {
  if (req.user === undefined || !isValidUsername(req.user)) {
    throw new AdminError('UNKNOWN_USER', `${req.op} needs a valid username, got ${JSON.stringify(req.user ?? '')}`);
  }
  return req.user;
}

export async function relayStats(ctx: AdminDeps): Promise<RelayStats> {
  const t = await ctx.accounts.totals();
  return {
    connections: ctx.connections(),
    online: ctx.online.size,
    users: t.users,
    queued: t.queued,
    queuedBytes: t.queuedBytes,
    uptimeMs: Math.max(0, ctx.now() - ctx.startedAt),
    ...(ctx.cluster ? await ctx.cluster.census() : {}),
  };
}

/**
 * Ends `user`'s sessions here and, with other relays on the store, there too. Returns how many were known to be open:
 * those here, plus one if another relay holds the user's receiving session (its send sessions are not counted).
 */
async function endSessions(ctx: AdminDeps, user: string, code: 'KICKED' | 'BANNED', reason: string): Promise<number> {
  const sessions = [...(ctx.online.get(user) ?? [])];
  for (const s of sessions) s.fail(code, reason);
  if (!ctx.cluster) return sessions.length;
  const elsewhere = sessions.length === 0 && (await ctx.cluster.isReceiving(user)) ? 1 : 0;
  await ctx.cluster.publish({ k: 'end', user, code, reason });
  return sessions.length + elsewhere;
}

/**
 * Runs one admin request as `actor` (a username, or `local` for the control socket).
 * @throws AdminError (rejects) for an unknown or invalid user, or banning an admin.
 */
export async function runAdminOp(ctx: AdminDeps, req: AdminRequest, actor: string): Promise<AdminResult> {
  ctx.log({ event: 'admin', actor, op: req.op, user: req.user });
  switch (req.op) {
    case 'users': {
      const page = await ctx.accounts.list(req.after ?? '', MAX_ADMIN_PAGE + 1);
      const more = page.length > MAX_ADMIN_PAGE;
      const shown = page.slice(0, MAX_ADMIN_PAGE);
      // Online: a session on this relay, or (on a shared store) a receiving session on any live relay.
      const elsewhere = (await ctx.cluster?.receivingAmong(shown.map((u) => u.username))) ?? new Set<string>();
      const users = shown.map((u) => ({ ...u, online: ctx.online.has(u.username) || elsewhere.has(u.username) }));
      return { op: 'users', users, more };
    }
    case 'stats':
      return { op: 'stats', stats: await relayStats(ctx) };
    case 'kick': {
      const user = needUser(req);
      const reason = req.reason ? `kicked by an admin: ${req.reason}` : 'kicked by an admin';
      if ((await endSessions(ctx, user, 'KICKED', reason)) === 0)
        throw new AdminError('UNKNOWN_USER', `${user} has no open session`);
      return { op: 'kick' };
    }
    case 'ban': {
      const user = needUser(req);
      if (ctx.policy.admins.has(user)) throw new AdminError('FORBIDDEN', `${user} is an admin in the relay's config`);
      await ctx.accounts.ban(user, req.reason ?? '', ctx.now());
      await endSessions(ctx, user, 'BANNED', 'this account is banned on this relay');
      return { op: 'ban' };
    }
    case 'unban': {
      const user = needUser(req);
      if (!(await ctx.accounts.unban(user))) throw new AdminError('UNKNOWN_USER', `${user} is not banned`);
      return { op: 'unban' };
    }
    case 'invite': {
      const now = ctx.now();
      return { op: 'invite', invite: await ctx.accounts.createInvite(now, now + ctx.policy.inviteTtlMs) };
    }
    case 'delete-user': {
      const user = needUser(req);
      await endSessions(ctx, user, 'KICKED', 'this account was deleted by an admin');
      ctx.receivers.delete(user);
      if (!(await ctx.accounts.deleteUser(user))) throw new AdminError('UNKNOWN_USER', `no account ${user}`);
      return { op: 'delete-user' };
    }
    case 'shutdown':
      // After the reply has been written: the caller gets `admin_done` before `SHUTTING_DOWN`. Every relay on the
      // store stops: the admin asked the service to, not whichever relay the load balancer picked.
      setImmediate(() => {
        const told = ctx.cluster?.publish({ k: 'shutdown' }) ?? Promise.resolve(true);
        void told.catch(() => false).then(() => ctx.requestShutdown());
      });
      return { op: 'shutdown' };
  }
}
