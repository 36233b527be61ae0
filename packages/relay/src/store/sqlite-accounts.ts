import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { AccountStore, AccountSummary, AccountTotals, InviteResult } from './accounts.js';
import type { UserRecord } from './mailbox-store.js';

/** Schema version 2 adds these tables to version 1 (see `sqlite-store.ts`). */
export const ACCOUNTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS bans (username TEXT PRIMARY KEY, reason TEXT NOT NULL, banned_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS invites (
  code_hash BLOB PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_by TEXT,
  used_at INTEGER
) STRICT;
`;

/** What is stored of an invite code (every engine): its SHA-256 under a label, never the code. */
export function hashCode(code: string): Buffer {
  return createHash('sha256').update(`chat-relay/invite\0${code}`).digest();
}

/** SQLite implementation of AccountStore on the relay's database handle (synchronous inside each call). */
export class SqliteAccountStore implements AccountStore {
  private readonly stmt;
  private readonly redeem: (user: UserRecord, code: string, now: number) => InviteResult;
  private readonly remove: (username: string) => boolean;

  constructor(db: Database.Database) {
    this.stmt = {
      list: db.prepare(`
        SELECT u.username, u.created_at, u.mailbox_count, u.mailbox_bytes, (b.username IS NOT NULL) AS banned
        FROM users u LEFT JOIN bans b ON b.username = u.username
        WHERE u.username > ? ORDER BY u.username LIMIT ?`),
      totals: db.prepare(
        'SELECT count(*) AS users, coalesce(sum(mailbox_count), 0) AS queued, coalesce(sum(mailbox_bytes), 0) AS bytes FROM users',
      ),
      isBanned: db.prepare('SELECT 1 FROM bans WHERE username = ?').pluck(),
      ban: db.prepare('INSERT OR IGNORE INTO bans (username, reason, banned_at) VALUES (?, ?, ?)'),
      unban: db.prepare('DELETE FROM bans WHERE username = ?'),
      createInvite: db.prepare('INSERT INTO invites (code_hash, created_at, expires_at) VALUES (?, ?, ?)'),
      useInvite: db.prepare(
        'UPDATE invites SET used_by = ?, used_at = ? WHERE code_hash = ? AND used_by IS NULL AND expires_at > ?',
      ),
      insertUser: db.prepare(
        'INSERT OR IGNORE INTO users (username, idpk, encpk, bsig, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteEnvelopes: db.prepare('DELETE FROM envelopes WHERE recipient = ?'),
      deleteUser: db.prepare('DELETE FROM users WHERE username = ?'),
      noteReturn: db.prepare('UPDATE users SET returned_at = ? WHERE username = ? AND returned_at IS NULL'),
      unused: db.prepare('SELECT username FROM users WHERE returned_at IS NULL AND created_at <= ?').pluck(),
    };
    this.redeem = db.transaction((user: UserRecord, code: string, now: number): InviteResult => {
      if (this.stmt.useInvite.run(user.username, now, hashCode(code), now).changes !== 1) return 'invalid';
      this.stmt.insertUser.run(
        user.username,
        user.identityPublicKey,
        user.encryptionPublicKey,
        user.bundleSignature,
        user.createdAt,
      );
      return 'ok';
    });
    this.remove = db.transaction((username: string) => {
      this.stmt.deleteEnvelopes.run(username);
      return this.stmt.deleteUser.run(username).changes === 1;
    });
  }

  async list(after: string, limit: number): Promise<AccountSummary[]> {
    const rows = this.stmt.list.all(after, limit) as {
      username: string;
      created_at: number;
      mailbox_count: number;
      mailbox_bytes: number;
      banned: number;
    }[];
    return rows.map((r) => ({
      username: r.username,
      createdAt: r.created_at,
      banned: r.banned === 1,
      depth: r.mailbox_count,
      bytes: r.mailbox_bytes,
    }));
  }

  async totals(): Promise<AccountTotals> {
    const r = this.stmt.totals.get() as { users: number; queued: number; bytes: number };
    return { users: r.users, queued: r.queued, queuedBytes: r.bytes };
  }

  async isBanned(username: string): Promise<boolean> {
    return this.stmt.isBanned.get(username) !== undefined;
  }

  async ban(username: string, reason: string, now: number): Promise<boolean> {
    return this.stmt.ban.run(username, reason, now).changes === 1;
  }

  async unban(username: string): Promise<boolean> {
    return this.stmt.unban.run(username).changes === 1;
  }

  async createInvite(now: number, expiresAt: number): Promise<string> {
    // 20 random bytes in lower-case base32-ish hex: 40 characters, easy to paste, never stored in the clear.
    const code = randomBytes(20).toString('hex');
    this.stmt.createInvite.run(hashCode(code), now, expiresAt);
    return code;
  }

  async registerWithInvite(user: UserRecord, code: string, now: number): Promise<InviteResult> {
    return this.redeem(user, code, now);
  }

  async deleteUser(username: string): Promise<boolean> {
    return this.remove(username);
  }

  async noteReturn(username: string, now: number): Promise<void> {
    this.stmt.noteReturn.run(now, username);
  }

  async expireUnused(registeredBefore: number, keep: (username: string) => boolean): Promise<string[]> {
    const names = (this.stmt.unused.all(registeredBefore) as string[]).filter((u) => !keep(u));
    for (const u of names) this.remove(u);
    return names;
  }
}
