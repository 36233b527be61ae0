/**
 * The PostgreSQL schema of the relay's state (issue 17), created on first start. The tables mirror the SQLite
 * schema (sqlite-store.ts, sqlite-accounts.ts, sqlite-rooms.ts) column for column: the relay stores the same things
 * whichever engine holds them (PROTOCOL.md §9). Times are milliseconds since the epoch in `bigint`.
 *
 * Mailbox and share counters are kept by one trigger in the transaction that inserts or deletes the envelope, as on
 * SQLite; writers lock the recipient's `users` row first (postgres-store.ts), so the counters they read are exact.
 */
import type pg from 'pg';
import { randomBytes } from 'node:crypto';
import { RelayStoreError } from '../errors.js';
import { PG_PREKEYS_SCHEMA } from './postgres-prekeys.js';

export const PG_SCHEMA_VERSION = 1;
/** Held (per transaction) while the schema is created, so relays starting together create it once. */
const SCHEMA_LOCK = 7717_0017;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS relay_meta (key text PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  username text PRIMARY KEY,
  idpk bytea NOT NULL,
  encpk bytea NOT NULL,
  bsig bytea NOT NULL,
  created_at bigint NOT NULL,
  returned_at bigint,
  mailbox_count bigint NOT NULL DEFAULT 0,
  mailbox_bytes bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS users_unused ON users (created_at) WHERE returned_at IS NULL;
CREATE TABLE IF NOT EXISTS envelopes (
  seq bigserial PRIMARY KEY,
  recipient text NOT NULL REFERENCES users (username),
  id bytea NOT NULL,
  envelope bytea NOT NULL,
  size integer NOT NULL,
  received_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  sender_tag bytea,
  address_tag bytea,
  UNIQUE (recipient, id)
);
CREATE INDEX IF NOT EXISTS envelopes_mailbox ON envelopes (recipient, seq);
CREATE INDEX IF NOT EXISTS envelopes_expiry ON envelopes (expires_at);
CREATE TABLE IF NOT EXISTS mailbox_shares (
  recipient text NOT NULL,
  tag bytea NOT NULL,
  count bigint NOT NULL,
  bytes bigint NOT NULL,
  PRIMARY KEY (recipient, tag)
);
CREATE TABLE IF NOT EXISTS bans (username text PRIMARY KEY, reason text NOT NULL, banned_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS invites (
  code_hash bytea PRIMARY KEY,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_by text,
  used_at bigint
);
CREATE TABLE IF NOT EXISTS room_members (
  room text NOT NULL,
  username text NOT NULL,
  joined_at bigint NOT NULL,
  PRIMARY KEY (room, username)
);
CREATE TABLE IF NOT EXISTS blobs (
  bid text PRIMARY KEY,
  owner text NOT NULL,
  recipient text NOT NULL,
  size bigint NOT NULL,
  chunks integer NOT NULL,
  created_at bigint NOT NULL,
  have integer NOT NULL DEFAULT 0,
  completed_at bigint
);
CREATE INDEX IF NOT EXISTS blobs_owner ON blobs (owner);
CREATE TABLE IF NOT EXISTS blob_chunks (
  bid text NOT NULL REFERENCES blobs (bid) ON DELETE CASCADE,
  n integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (bid, n)
);
CREATE OR REPLACE FUNCTION envelopes_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t bytea;
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE users SET mailbox_count = mailbox_count + 1, mailbox_bytes = mailbox_bytes + NEW.size
    WHERE username = NEW.recipient;
    FOREACH t IN ARRAY array_remove(ARRAY[NEW.sender_tag, NEW.address_tag], NULL) LOOP
      INSERT INTO mailbox_shares (recipient, tag, count, bytes) VALUES (NEW.recipient, t, 1, NEW.size)
      ON CONFLICT (recipient, tag) DO UPDATE
      SET count = mailbox_shares.count + 1, bytes = mailbox_shares.bytes + NEW.size;
    END LOOP;
    RETURN NEW;
  END IF;
  UPDATE users SET mailbox_count = mailbox_count - 1, mailbox_bytes = mailbox_bytes - OLD.size
  WHERE username = OLD.recipient;
  FOREACH t IN ARRAY array_remove(ARRAY[OLD.sender_tag, OLD.address_tag], NULL) LOOP
    UPDATE mailbox_shares SET count = count - 1, bytes = bytes - OLD.size WHERE recipient = OLD.recipient AND tag = t;
    DELETE FROM mailbox_shares WHERE recipient = OLD.recipient AND tag = t AND count <= 0;
  END LOOP;
  RETURN OLD;
END $$;
CREATE OR REPLACE TRIGGER envelopes_counted AFTER INSERT OR DELETE ON envelopes
  FOR EACH ROW EXECUTE FUNCTION envelopes_counted();
`;

/**
 * Creates the schema if missing and returns the relay id (made once, kept for the database's life).
 * @throws RelayStoreError `STORE_VERSION` if the database was set up by a relay with another schema version.
 */
export async function preparePgSchema(client: pg.PoolClient): Promise<Uint8Array> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(SCHEMA + PG_PREKEYS_SCHEMA);
    const version = Buffer.from(String(PG_SCHEMA_VERSION));
    await client.query(
      "INSERT INTO relay_meta (key, value) VALUES ('schema_version', $1), ('relay_id', $2) ON CONFLICT DO NOTHING",
      [version, randomBytes(32)],
    );
    const rows = (await client.query('SELECT key, value FROM relay_meta')).rows as { key: string; value: Buffer }[];
    const got = rows.find((r) => r.key === 'schema_version')?.value.toString();
    if (got !== String(PG_SCHEMA_VERSION)) {
      throw new RelayStoreError('STORE_VERSION', `database schema ${got} is not ${PG_SCHEMA_VERSION}`);
    }
    const id = rows.find((r) => r.key === 'relay_id')?.value;
    if (id?.length !== 32) throw new RelayStoreError('STORE_CORRUPT', 'relay id missing');
    await client.query('COMMIT');
    return new Uint8Array(id);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
