import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AccountStore, AccountSummary, AccountTotals, InviteResult } from './accounts.js';
import type { UserRecord } from './mailbox-store.js';
import { buf, transaction } from './postgres-pool.js';
import { hashCode } from './sqlite-accounts.js';

/** Adds `user` to `users` unless the name is taken (ON CONFLICT DO NOTHING): rowCount 1 if it was added, else 0. */
export function insertUser(q: pg.Pool | pg.PoolClient, user: UserRecord): Promise<pg.QueryResult> {
  return q.query(
    'INSERT INTO users (username, idpk, encpk, bsig, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
    [
      user.username,
      buf(user.identityPublicKey),
      buf(user.encryptionPublicKey),
      buf(user.bundleSignature),
      user.createdAt,
    ],
  );
}

/** PostgreSQL implementation of AccountStore (§14), on the mailbox store's pool and schema (postgres-schema.ts). */
export class PgAccountStore implements AccountStore {
  constructor(private readonly pool: pg.Pool) {}

  async list(after: string, limit: number): Promise<AccountSummary[]> {
    const r = await this.pool.query(
      `SELECT u.username, u.created_at, u.mailbox_count, u.mailbox_bytes, (b.username IS NOT NULL) AS banned
       FROM users u LEFT JOIN bans b ON b.username = u.username
       WHERE u.username COLLATE "C" > $1 ORDER BY u.username COLLATE "C" LIMIT $2`,
      [after, limit],
    );
    return (
      r.rows as {
        username: string;
        created_at: number;
        mailbox_count: number;
        mailbox_bytes: number;
        banned: boolean;
      }[]
    ).map((row) => ({
      username: row.username,
      createdAt: row.created_at,
      banned: row.banned,
      depth: row.mailbox_count,
      bytes: row.mailbox_bytes,
    }));
  }

  async totals(): Promise<AccountTotals> {
    const r = await this.pool.query(
      'SELECT count(*) AS users, coalesce(sum(mailbox_count), 0)::bigint AS queued, coalesce(sum(mailbox_bytes), 0)::bigint AS bytes FROM users',
    );
    const row = r.rows[0] as { users: number; queued: number; bytes: number };
    return { users: row.users, queued: row.queued, queuedBytes: row.bytes };
  }

  async isBanned(username: string): Promise<boolean> {
    return (await this.pool.query('SELECT 1 FROM bans WHERE username = $1', [username])).rowCount === 1;
  }

  async ban(username: string, reason: string, now: number): Promise<boolean> {
    const r = await this.pool.query(
      'INSERT INTO bans (username, reason, banned_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [username, reason, now],
    );
    return r.rowCount === 1;
  }

  async unban(username: string): Promise<boolean> {
    return (await this.pool.query('DELETE FROM bans WHERE username = $1', [username])).rowCount === 1;
  }

  async createInvite(now: number, expiresAt: number): Promise<string> {
    const code = randomBytes(20).toString('hex');
    await this.pool.query('INSERT INTO invites (code_hash, created_at, expires_at) VALUES ($1, $2, $3)', [
      hashCode(code),
      now,
      expiresAt,
    ]);
    return code;
  }

  async registerWithInvite(user: UserRecord, code: string, now: number): Promise<InviteResult> {
    return transaction(this.pool, async (c) => {
      const used = await c.query(
        'UPDATE invites SET used_by = $1, used_at = $2 WHERE code_hash = $3 AND used_by IS NULL AND expires_at > $2',
        [user.username, now, hashCode(code)],
      );
      if (used.rowCount !== 1) return 'invalid';
      await insertUser(c, user);
      return 'ok';
    });
  }

  async deleteUser(username: string): Promise<boolean> {
    return transaction(this.pool, async (c) => {
      // The row lock first, as every writer of a mailbox takes it (postgres-store.ts).
      if ((await c.query('SELECT 1 FROM users WHERE username = $1 FOR UPDATE', [username])).rowCount !== 1)
        return false;
      await c.query('DELETE FROM envelopes WHERE recipient = $1', [username]);
      await c.query('DELETE FROM mailbox_shares WHERE recipient = $1', [username]);
      return (await c.query('DELETE FROM users WHERE username = $1', [username])).rowCount === 1;
    });
  }

  async noteReturn(username: string, now: number): Promise<void> {
    await this.pool.query('UPDATE users SET returned_at = $1 WHERE username = $2 AND returned_at IS NULL', [
      now,
      username,
    ]);
  }

  async expireUnused(registeredBefore: number, keep: (username: string) => boolean): Promise<string[]> {
    const r = await this.pool.query('SELECT username FROM users WHERE returned_at IS NULL AND created_at <= $1', [
      registeredBefore,
    ]);
    const names = (r.rows as { username: string }[]).map((x) => x.username).filter((u) => !keep(u));
    const gone: string[] = [];
    for (const u of names) if (await this.deleteUser(u)) gone.push(u);
    return gone;
  }
}
