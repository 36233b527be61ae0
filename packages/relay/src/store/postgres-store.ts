/**
 * The relay's state on PostgreSQL (issue 17): the same contract as the SQLite engine (`mailbox-store.suite.ts`), on
 * a server that several relays can share. What this file adds to the contract:
 *
 * - A group commit is one transaction. It first locks the `users` rows of every mailbox it touches, in one fixed
 *   order (by name), so two relays committing to overlapping mailboxes wait for each other instead of deadlocking,
 *   and the quota counters they read are exact. The promise resolves only after COMMIT has returned, so `sent` is
 *   only ever written for an envelope PostgreSQL has made durable (§9).
 * - Envelopes are inserted `ON CONFLICT (recipient, id) DO NOTHING`: a client retrying after an unknown outcome
 *   gets `duplicate`, never a second copy.
 * - `seq` is a sequence value taken while the recipient's row is locked, so within one mailbox it grows in commit
 *   order: a reader's cursor never skips an envelope committed after it read.
 */
import pg from 'pg';
import { RelayStoreError } from '../errors.js';
import type { AccountStore } from './accounts.js';
import type {
  EnvelopeInput,
  MailboxQuota,
  MailboxStats,
  MailboxStore,
  PutResult,
  Removal,
  StoredEnvelope,
  UserRecord,
} from './mailbox-store.js';
import type { BlobLimits, Blobs } from '../blobs/rules.js';
import { PgAccountStore, insertUser } from './postgres-accounts.js';
import { buf, transaction, types } from './postgres-pool.js';
import { PgBlobs } from './postgres-blobs.js';
import { PgPrekeyStore } from './postgres-prekeys.js';
import { PgRoomStore } from './postgres-rooms.js';
import type { PrekeyStore } from './prekeys.js';
import { preparePgSchema } from './postgres-schema.js';
import type { RoomStore } from './rooms.js';

const key = (recipient: string, b: Uint8Array) => `${recipient}\0${Buffer.from(b).toString('hex')}`;

/** Locks the `users` rows of `names` in name order; returns the counters of those that exist. */
async function lockMailboxes(c: pg.PoolClient, names: Iterable<string>): Promise<Map<string, MailboxStats>> {
  const sorted = [...new Set(names)].sort();
  const rows = (
    await c.query(
      'SELECT username, mailbox_count, mailbox_bytes FROM users WHERE username = ANY($1::text[]) ORDER BY username FOR UPDATE',
      [sorted],
    )
  ).rows as { username: string; mailbox_count: number; mailbox_bytes: number }[];
  return new Map(rows.map((r) => [r.username, { count: r.mailbox_count, bytes: r.mailbox_bytes }]));
}

export interface PgStores {
  store: MailboxStore;
  accounts: AccountStore;
  rooms: RoomStore;
  prekeys: PrekeyStore;
  /** File blobs in the same database, under `limits`. */
  blobs(limits: BlobLimits): Blobs;
}

/**
 * Connects to `url` (`postgres://user@host:port/db`), creates the schema if needed, and returns the stores on one
 * connection pool (closed by `store.close()`).
 * @throws RelayStoreError `STORE_UNAVAILABLE` when the server cannot be reached or refuses the login,
 *   `STORE_VERSION` when the schema is another relay version's.
 */
export async function openPostgresStores(url: string, poolSize = 10): Promise<PgStores> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  pool.on('error', () => {}); // an idle connection dropped by the server: the pool replaces it on next use
  let relayId: Uint8Array;
  try {
    const c = await pool.connect().catch((err: Error) => {
      throw new RelayStoreError('STORE_UNAVAILABLE', `cannot connect to PostgreSQL: ${err.message}`);
    });
    try {
      relayId = await preparePgSchema(c);
    } finally {
      c.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const store = new PgMailboxStore(pool, relayId);
  return {
    store,
    accounts: new PgAccountStore(pool),
    rooms: new PgRoomStore(pool),
    prekeys: new PgPrekeyStore(pool),
    blobs: (limits) => new PgBlobs(pool, limits),
  };
}

class PgMailboxStore implements MailboxStore {
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    readonly relayId: Uint8Array,
  ) {}

  async getUser(username: string): Promise<UserRecord | undefined> {
    const r = await this.pool.query('SELECT username, idpk, encpk, bsig, created_at FROM users WHERE username = $1', [
      username,
    ]);
    const row = r.rows[0] as { username: string; idpk: Buffer; encpk: Buffer; bsig: Buffer; created_at: number };
    if (!row) return undefined;
    return {
      username: row.username,
      identityPublicKey: new Uint8Array(row.idpk),
      encryptionPublicKey: new Uint8Array(row.encpk),
      bundleSignature: new Uint8Array(row.bsig),
      createdAt: row.created_at,
    };
  }

  async hasUser(username: string): Promise<boolean> {
    return (await this.pool.query('SELECT 1 FROM users WHERE username = $1', [username])).rowCount === 1;
  }

  async registerUser(user: UserRecord): Promise<{ created: boolean; user: UserRecord }> {
    const r = await insertUser(this.pool, user);
    const stored = await this.getUser(user.username);
    if (!stored) throw new RelayStoreError('STORE_CORRUPT', 'registered user vanished');
    return { created: r.rowCount === 1, user: stored };
  }

  putMany(items: readonly EnvelopeInput[], quota: MailboxQuota): Promise<PutResult[]> {
    return this.commit([], items, quota);
  }

  async list(recipient: string, afterSeq: number, limit: number): Promise<StoredEnvelope[]> {
    const r = await this.pool.query(
      'SELECT seq, id, envelope, received_at FROM envelopes WHERE recipient = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [recipient, afterSeq, limit],
    );
    return (r.rows as { seq: number; id: Buffer; envelope: Buffer; received_at: number }[]).map((row) => ({
      seq: row.seq,
      id: new Uint8Array(row.id),
      envelope: new Uint8Array(row.envelope),
      receivedAt: row.received_at,
    }));
  }

  async remove(recipient: string, ids: readonly Uint8Array[]): Promise<number> {
    if (ids.length === 0) return 0;
    return transaction(this.pool, async (c) => {
      await lockMailboxes(c, [recipient]);
      return removeSome(c, recipient, ids);
    });
  }

  async commit(
    removals: readonly Removal[],
    items: readonly EnvelopeInput[],
    quota: MailboxQuota,
  ): Promise<PutResult[]> {
    if (removals.length === 0 && items.length === 0) return [];
    return transaction(this.pool, async (c) => {
      await lockMailboxes(c, [...removals.map((r) => r.recipient), ...items.map((i) => i.recipient)]);
      for (const r of removals) await removeSome(c, r.recipient, r.ids);
      return items.length === 0 ? [] : putLocked(c, items, quota);
    });
  }

  async expire(now: number): Promise<number> {
    return transaction(this.pool, async (c) => {
      const who = await c.query('SELECT DISTINCT recipient FROM envelopes WHERE expires_at <= $1', [now]);
      if (who.rowCount === 0) return 0;
      const names = (who.rows as { recipient: string }[]).map((r) => r.recipient);
      await lockMailboxes(c, names);
      // Only the mailboxes locked above: the delete trigger then touches no row out of the lock order.
      const gone = await c.query('DELETE FROM envelopes WHERE expires_at <= $1 AND recipient = ANY($2::text[])', [
        now,
        names,
      ]);
      return gone.rowCount ?? 0;
    });
  }

  async stats(recipient: string): Promise<MailboxStats> {
    const r = await this.pool.query('SELECT mailbox_count, mailbox_bytes FROM users WHERE username = $1', [recipient]);
    const row = r.rows[0] as { mailbox_count: number; mailbox_bytes: number } | undefined;
    return { count: row?.mailbox_count ?? 0, bytes: row?.mailbox_bytes ?? 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

async function removeSome(c: pg.PoolClient, recipient: string, ids: readonly Uint8Array[]): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await c.query('DELETE FROM envelopes WHERE recipient = $1 AND id = ANY($2::bytea[])', [
    recipient,
    ids.map(buf),
  ]);
  return r.rowCount ?? 0;
}

/**
 * The puts of one commit, with the recipients' rows already locked: the outcome of every item is decided from the
 * counters read under the lock, in input order, with the same rules as the SQLite engine (a stored id is
 * `duplicate` whatever the quota; a share with nothing held yet never refuses); then the stored ones are inserted
 * in one statement, in input order.
 */
async function putLocked(c: pg.PoolClient, items: readonly EnvelopeInput[], quota: MailboxQuota): Promise<PutResult[]> {
  const names = items.map((i) => i.recipient);
  const counters = new Map(
    (
      (
        await c.query('SELECT username, mailbox_count, mailbox_bytes FROM users WHERE username = ANY($1::text[])', [
          names,
        ])
      ).rows as { username: string; mailbox_count: number; mailbox_bytes: number }[]
    ).map((r) => [r.username, { count: r.mailbox_count, bytes: r.mailbox_bytes }]),
  );
  const existing = new Set(
    (
      (
        await c.query(
          'SELECT recipient, id FROM envelopes WHERE (recipient, id) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))',
          [names, items.map((i) => buf(i.id))],
        )
      ).rows as { recipient: string; id: Buffer }[]
    ).map((r) => key(r.recipient, r.id)),
  );
  const tagged = items.flatMap((i) =>
    [i.senderTag, i.addressTag].filter((t) => t !== undefined).map((t) => ({ r: i.recipient, t: buf(t) })),
  );
  const shares = new Map<string, MailboxStats>();
  if (tagged.length > 0) {
    const rows = (
      await c.query(
        'SELECT recipient, tag, count, bytes FROM mailbox_shares WHERE (recipient, tag) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))',
        [tagged.map((x) => x.r), tagged.map((x) => x.t)],
      )
    ).rows as { recipient: string; tag: Buffer; count: number; bytes: number }[];
    for (const r of rows) shares.set(key(r.recipient, r.tag), { count: r.count, bytes: r.bytes });
  }
  const over = (recipient: string, tag: Uint8Array | undefined, share: MailboxQuota['perSender'], size: number) => {
    if (!tag || !share) return false;
    const held = shares.get(key(recipient, tag));
    return held !== undefined && (held.count + 1 > share.maxMessages || held.bytes + size > share.maxBytes);
  };
  const hold = (recipient: string, tag: Uint8Array | undefined, size: number) => {
    if (!tag) return;
    const k = key(recipient, tag);
    const held = shares.get(k) ?? { count: 0, bytes: 0 };
    shares.set(k, { count: held.count + 1, bytes: held.bytes + size });
  };
  const stored: EnvelopeInput[] = [];
  const results = items.map((item): PutResult => {
    const mailbox = counters.get(item.recipient);
    if (!mailbox) return 'unknown_recipient';
    const k = key(item.recipient, item.id);
    if (existing.has(k)) return 'duplicate';
    const size = item.envelope.length;
    if (mailbox.count + 1 > quota.maxMessages || mailbox.bytes + size > quota.maxBytes) return 'mailbox_full';
    if (
      over(item.recipient, item.senderTag, quota.perSender, size) ||
      over(item.recipient, item.addressTag, quota.perAddress, size)
    ) {
      return 'mailbox_full';
    }
    existing.add(k);
    mailbox.count++;
    mailbox.bytes += size;
    hold(item.recipient, item.senderTag, size);
    hold(item.recipient, item.addressTag, size);
    stored.push(item);
    return 'stored';
  });
  if (stored.length > 0) {
    await c.query(
      `INSERT INTO envelopes (recipient, id, envelope, size, received_at, expires_at, sender_tag, address_tag)
       SELECT r, i, e, s, ra, ea, st, at
       FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::int[], $5::bigint[], $6::bigint[], $7::bytea[], $8::bytea[])
         WITH ORDINALITY AS t (r, i, e, s, ra, ea, st, at, n)
       ORDER BY n
       ON CONFLICT (recipient, id) DO NOTHING`,
      [
        stored.map((i) => i.recipient),
        stored.map((i) => buf(i.id)),
        stored.map((i) => buf(i.envelope)),
        stored.map((i) => i.envelope.length),
        stored.map((i) => i.receivedAt),
        stored.map((i) => i.expiresAt),
        stored.map((i) => (i.senderTag ? buf(i.senderTag) : null)),
        stored.map((i) => (i.addressTag ? buf(i.addressTag) : null)),
      ],
    );
  }
  return results;
}
