/**
 * Admin requests (PROTOCOL.md §14) for users named as admins in the relay's config: list accounts, stats, kick, ban,
 * unban, invite, shutdown, over the messenger's connection (so with its relay-id and certificate pins). The
 * interactive UI's `/admin ...` commands and the one-shot `chat admin ...` both call `adminRequest`.
 */
import type { AdminFrame, AdminOp } from '@chat/protocol';
import type { AdminReplyFrame, Connection } from './net/connection.js';
import type { Messenger } from './messenger.js';
import { inertLine } from '../terminal-text.js';

export type { AdminOp };

/** The `admin` operations (PROTOCOL.md §14.2), and those that name a user. */
export const ADMIN_OPS: readonly AdminOp[] = ['users', 'stats', 'invite', 'kick', 'ban', 'unban', 'shutdown'];
export const ADMIN_NEEDS_USER: ReadonlySet<AdminOp> = new Set<AdminOp>(['kick', 'ban', 'unban']);

export interface AdminAccount {
  username: string;
  createdAt: number;
  online: boolean;
  banned: boolean;
  /** Envelopes waiting in the mailbox, and their total size in bytes. */
  depth: number;
  bytes: number;
}

export type AdminAnswer =
  | { op: 'users'; users: AdminAccount[]; more: boolean }
  | {
      op: 'stats';
      connections: number;
      online: number;
      users: number;
      queued: number;
      queuedBytes: number;
      uptimeMs: number;
      /** On relays sharing one store: live relays, and users receiving on any of them (§14). */
      relays?: number;
      receiving?: number;
    }
  | { op: Exclude<AdminOp, 'users' | 'stats'>; invite?: string };

export type AdminRequest = Omit<AdminFrame, 't' | 'rid'>;

/** Turns the relay's reply frame into a plain answer. */
export function toAnswer(frame: AdminReplyFrame): AdminAnswer {
  switch (frame.t) {
    case 'admin_users':
      return {
        op: 'users',
        users: frame.names.map((username, i) => ({
          username,
          createdAt: frame.created[i] ?? 0,
          online: frame.online[i] ?? false,
          banned: frame.banned[i] ?? false,
          depth: frame.depth[i] ?? 0,
          bytes: frame.bytes[i] ?? 0,
        })),
        more: frame.more,
      };
    case 'admin_stats': {
      const { t: _t, rid: _rid, ...stats } = frame;
      return { op: 'stats', ...stats };
    }
    case 'admin_done': {
      const op = frame.op as Exclude<AdminOp, 'users' | 'stats'>;
      return frame.invite === undefined ? { op } : { op, invite: frame.invite };
    }
  }
}

/** Sends one admin request on an open connection (e.g. the UI's own session). */
export async function adminOn(conn: Connection, req: AdminRequest): Promise<AdminAnswer> {
  return toAnswer(await conn.admin(req));
}

/**
 * Sends one admin request over the messenger's live session, or over a connection of its own to the profile's relay,
 * with every check a message gets: relay id (§8), pinned TLS certificate (§5.1), unlocked keys.
 * @throws {ChatError} FORBIDDEN (not an admin), UNKNOWN_USER, connection errors (exit 5, 6).
 */
export async function adminRequest(m: Messenger, req: AdminRequest): Promise<AdminAnswer> {
  if (m.recvConnection) return adminOn(m.recvConnection, req);
  const conn = await m.connect('send');
  try {
    return await adminOn(conn, req);
  } finally {
    await conn.close();
  }
}

/**
 * Plain lines for an answer, as `chat admin` prints them and the interactive session shows them. Every string in it
 * comes from the relay, another party: each goes through `inertLine` (the decoder already refuses names that are not
 * usernames, §6.2; this keeps the output safe whatever a future frame carries).
 */
export function formatAdminAnswer(a: AdminAnswer): string {
  switch (a.op) {
    case 'users': {
      const rows = a.users.map(
        (u) =>
          `${inertLine(u.username).padEnd(32)} ${u.online ? 'online ' : '-      '} ${u.banned ? 'banned' : '-     '} ${String(u.depth).padStart(6)} msgs ${String(u.bytes).padStart(10)} bytes`,
      );
      return `${rows.join('\n')}${rows.length ? '\n' : ''}${a.more ? `… more: chat admin users --after ${inertLine(a.users.at(-1)?.username ?? '')}\n` : ''}`;
    }
    case 'stats':
      return `connections ${a.connections}, online ${a.online}, accounts ${a.users}, waiting ${a.queued} envelopes (${a.queuedBytes} bytes), up ${Math.round(a.uptimeMs / 1000)} s${a.relays === undefined ? '' : `; ${a.relays} relays on its store, ${a.receiving ?? 0} users receiving on them`}\n`;
    case 'invite':
      return `${inertLine(a.invite ?? '')}\n`;
    default:
      return `${a.op}: done\n`;
  }
}
