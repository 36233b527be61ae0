/**
 * Sends the durable outbox (outbox.ts) over a connection: in queue order, each entry sealed to the pinned key of its
 * peer (§3.4), sent under the id it was queued with, and removed only on the relay's `sent` (§9). A connection
 * failure stops the pass and leaves the rest queued for the next connection; a changed key blocks that peer's
 * entries (they stay queued); a permanent refusal marks the message failed.
 */
import { MessageKind, fromHex, sealEnvelope } from '@chat/crypto';
import type { Connection } from './connection.js';
import { ChatError, fromCryptoError } from './errors.js';
import type { Messenger } from './messenger.js';
import type { OutboxEntry } from './outbox.js';

/** Errors after which the entry stays queued and the next connection retries it. */
export function isRetryable(err: ChatError): boolean {
  return err.exitCode === 5 || err.code === 'INTERNAL' || err.code === 'SHUTTING_DOWN' || err.code === 'RELAY_PROTOCOL';
}

export class OutboxSender {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly m: Messenger) {}

  /** Seals and sends one entry; on `sent` removes it and moves a text message to `sent`. @throws {ChatError} */
  async sendEntry(conn: Connection, entry: OutboxEntry): Promise<void> {
    const m = this.m;
    const contact = await m.lookupAndPin(entry.peer, conn);
    let env: Uint8Array;
    const id = fromHex(entry.id);
    try {
      env = sealEnvelope({ kind: entry.kind, from: m.username, to: entry.peer, id, ts: entry.ts, body: entry.body }, m.identity.identity.secretKey, contact.encryptionPublicKey);
    } catch (err) {
      throw fromCryptoError(err, 'sealing the message');
    }
    await conn.send(entry.peer, id, env);
    m.store.outbox.remove(entry.id);
    if (entry.kind === MessageKind.text && m.store.outbox.advance(entry.id, entry.peer, 'sent')) {
      m.emit('delivery', { id: entry.id, peer: entry.peer, state: 'sent' });
    }
  }

  /**
   * Sends everything queued over `conn`. Concurrent calls share one pass (and trigger one more if something was
   * queued meanwhile). Rejects with the connection error that stopped the pass.
   */
  flush(conn: Connection): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass(conn).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(conn: Connection): Promise<void> {
    const m = this.m;
    do {
      this.again = false;
      const blocked = new Set<string>();
      for (const entry of m.store.outbox.list()) {
        if (blocked.has(entry.peer)) continue;
        try {
          await this.sendEntry(conn, entry);
        } catch (err) {
          if (!(err instanceof ChatError)) throw err;
          if (isRetryable(err)) throw err;
          if (err.code === 'KEY_CHANGED' || err.code === 'UNTRUSTED_IDENTITY' || err.code === 'BUNDLE_INVALID') {
            blocked.add(entry.peer);
            m.emit('blocked', { peer: entry.peer, reason: err.code });
            continue;
          }
          // A refusal that retrying will not fix (UNKNOWN_USER, MAILBOX_FULL, ENVELOPE_TOO_LARGE, …).
          m.store.outbox.remove(entry.id);
          if (m.store.outbox.advance(entry.id, entry.peer, 'failed')) {
            m.emit('delivery', { id: entry.id, peer: entry.peer, state: 'failed', error: err.code });
          }
        }
      }
    } while (this.again);
  }
}
