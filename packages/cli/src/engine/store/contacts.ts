/** The pinned contacts (§3.4): one row per user, with the accepted key, its trust state and a pending changed key. */
import { ChatError } from '../errors.js';
import type { Statements } from './statements.js';
import type { Contact, NewContact, PendingKey, TrustState } from './types.js';

interface ContactRow {
  username: string;
  idpk: Buffer;
  encpk: Buffer;
  fingerprint: string;
  first_seen: number;
  trust: TrustState;
  verified_at: number | null;
  pending_idpk: Buffer | null;
  pending_encpk: Buffer | null;
  pending_fingerprint: string | null;
  pending_seen: number | null;
}
export class ContactTable {
  constructor(private readonly sql: Statements) {}

  get(username: string): Contact | undefined {
    const row = this.sql.get('SELECT * FROM contacts WHERE username = ?').get(username) as ContactRow | undefined;
    return row && toContact(row);
  }

  /** Pins a contact unless one is already pinned under that name; returns the pinned one (§3.4: first use wins). */
  pin(contact: NewContact): Contact {
    this.sql
      .get(
        'INSERT OR IGNORE INTO contacts (username, idpk, encpk, fingerprint, first_seen, trust) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        contact.username,
        Buffer.from(contact.identityPublicKey),
        Buffer.from(contact.encryptionPublicKey),
        contact.fingerprint,
        contact.firstSeen,
        contact.trust ?? 'unverified',
      );
    return this.require(contact.username);
  }

  /** Records the relay's new, different key as pending; the accepted key stays. A verified contact loses `verified`. */
  markChanged(username: string, key: PendingKey): Contact {
    this.sql
      .get(
        `UPDATE contacts SET trust = 'changed', verified_at = NULL, pending_idpk = ?, pending_encpk = ?, pending_fingerprint = ?,
           pending_seen = CASE WHEN pending_idpk = ? THEN pending_seen ELSE ? END
         WHERE username = ?`,
      )
      .run(
        Buffer.from(key.identityPublicKey),
        Buffer.from(key.encryptionPublicKey),
        key.fingerprint,
        Buffer.from(key.identityPublicKey),
        key.seenAt,
        username,
      );
    return this.require(username);
  }

  /**
   * Makes `key` the accepted key (or keeps the current one when undefined) with trust `trust`, clearing any pending
   * key; `verifiedAt` is set for `verified`, cleared otherwise.
   */
  acceptKey(
    username: string,
    key: Pick<PendingKey, 'identityPublicKey' | 'encryptionPublicKey' | 'fingerprint'> | undefined,
    trust: 'unverified' | 'verified',
    at: number,
  ): Contact {
    const current = this.require(username);
    const k = key ?? current;
    this.sql
      .get(
        `UPDATE contacts SET idpk = ?, encpk = ?, fingerprint = ?, trust = ?, verified_at = ?,
           pending_idpk = NULL, pending_encpk = NULL, pending_fingerprint = NULL, pending_seen = NULL
         WHERE username = ?`,
      )
      .run(
        Buffer.from(k.identityPublicKey),
        Buffer.from(k.encryptionPublicKey),
        k.fingerprint,
        trust,
        trust === 'verified' ? at : null,
        username,
      );
    return this.require(username);
  }

  /** Writes a contact as it is, replacing one of the same name (restoring a backup, `chat key import`). */
  import(c: Contact): void {
    this.sql
      .get(
        `INSERT OR REPLACE INTO contacts (username, idpk, encpk, fingerprint, first_seen, trust, verified_at, pending_idpk, pending_encpk, pending_fingerprint, pending_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.username,
        Buffer.from(c.identityPublicKey),
        Buffer.from(c.encryptionPublicKey),
        c.fingerprint,
        c.firstSeen,
        c.trust,
        c.verifiedAt,
        c.pending ? Buffer.from(c.pending.identityPublicKey) : null,
        c.pending ? Buffer.from(c.pending.encryptionPublicKey) : null,
        c.pending?.fingerprint ?? null,
        c.pending?.seenAt ?? null,
      );
  }

  private require(username: string): Contact {
    const c = this.get(username);
    if (!c) throw new ChatError('UNEXPECTED', `no contact ${username} in the store`);
    return c;
  }

  list(): Contact[] {
    return (this.sql.get('SELECT * FROM contacts ORDER BY username').all() as ContactRow[]).map(toContact);
  }
}

function toContact(row: ContactRow): Contact {
  return {
    username: row.username,
    identityPublicKey: new Uint8Array(row.idpk),
    encryptionPublicKey: new Uint8Array(row.encpk),
    fingerprint: row.fingerprint,
    firstSeen: row.first_seen,
    trust: row.trust,
    verifiedAt: row.verified_at,
    pending:
      row.pending_idpk && row.pending_encpk && row.pending_fingerprint !== null
        ? {
            identityPublicKey: new Uint8Array(row.pending_idpk),
            encryptionPublicKey: new Uint8Array(row.pending_encpk),
            fingerprint: row.pending_fingerprint,
            seenAt: row.pending_seen ?? 0,
          }
        : null,
  };
}
