/**
 * Admin requests (PROTOCOL.md §13) for users named as admins in the relay's config: list accounts, stats, kick, ban,
 * unban, invite, shutdown. One short `send`-mode connection per request; no history database is opened. The
 * interactive UI's `/admin ...` commands and the one-shot `chat admin ...` both call `adminRequest`.
 */
import { fromHex, type Identity } from '@chat/crypto';
import type { AdminFrame, AdminOp } from '@chat/protocol';
import { parseRelayAddress, type RelayAddress } from './address.js';
import { Connection, type AdminReplyFrame } from './connection.js';
import type { Profile } from './profile.js';

export type { AdminOp };

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
  | { op: 'stats'; connections: number; online: number; users: number; queued: number; queuedBytes: number; uptimeMs: number }
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
 * Connects as the profile's user to its relay (relay id checked, §8), sends one admin request, closes.
 * @throws {ChatError} FORBIDDEN (not an admin), UNKNOWN_USER, NOT_LOGGED_IN, connection errors (exit 5, 6).
 */
export async function adminRequest(profile: Profile, req: AdminRequest, relay?: RelayAddress): Promise<AdminAnswer> {
  const identity: Identity = profile.loadIdentity();
  const config = profile.requireConfig();
  const conn = await Connection.open({
    address: relay ?? parseRelayAddress(config.relay),
    username: config.username,
    identity,
    mode: 'send',
    expectedRelayId: fromHex(config.relayId),
  });
  try {
    return await adminOn(conn, req);
  } finally {
    await conn.close();
  }
}
