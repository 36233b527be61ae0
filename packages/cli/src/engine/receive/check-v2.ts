/**
 * §24.3 for one v2 envelope, in delivery order within its batch: duplicates dropped before any session is touched,
 * the sender checked as §4 step 6 does (pinned, looked up if unknown, held while its key is not accepted), then
 * decrypted by the batch's V2Opener. The session's new state is written by `commit` in the batch's transaction.
 */
import { MessageKind, loadMlkem, mlkemLoaded, toHex } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { Lookup, Self } from '../context.js';
import { fetchBundle, sameKeys } from '../contacts/bundle.js';
import { ChatError } from '../errors.js';
import type { Connection } from '../net/connection.js';
import type { Contact, Store } from '../store/store.js';
import type { InnerV2 } from '../v2/envelope.js';
import type { V2Opener } from '../v2/open.js';
import { WANT_OF_SESSION } from '../v2/recovery.js';
import type { Checked } from './checked.js';

type CheckV2Context = Self & Lookup & { readonly store: Pick<Store, 'contacts' | 'v2' | 'recovery'> };

/** The relay's current key for `contact` if it differs: the accepted new contact, or 'held'; else undefined. */
async function keyChange(m: CheckV2Context, conn: Connection, contact: Contact): Promise<Contact | 'held' | undefined> {
  let current;
  try {
    current = await fetchBundle(conn, contact.username);
  } catch (err) {
    if (err instanceof ChatError && (err.code === 'UNKNOWN_USER' || err.code === 'BUNDLE_INVALID')) return undefined;
    throw err;
  }
  if (sameKeys(contact, current)) return undefined;
  const r = await m.lookupContact(contact.username, conn);
  return r.outcome === 'accepted-new' ? r.contact : 'held';
}

export async function checkV2(
  m: CheckV2Context,
  conn: Connection,
  opener: V2Opener,
  frame: MsgFrame,
  inner: InnerV2,
): Promise<Checked> {
  // Answering an initiation decapsulates with our ML-KEM key: its code loads on the first one (before any read below).
  if (inner.initiation && !mlkemLoaded()) await loadMlkem();
  const eph = frame.eph === true;
  const from = inner.from;
  const id = toHex(frame.id);
  // §24.3 step 4, with §24.7's exception: an id rejected for want of a session and awaiting a resend from `from`.
  // (Only an id already rejected can await one, so the common path asks nothing more of the store.)
  let awaited = false;
  if (!eph && m.store.v2.committed(id)) {
    if (!m.store.recovery.awaits(id, from)) return { outcome: 'duplicate', frame };
    awaited = true;
  }
  /** The session's commit; for a resent id, it stops awaiting in the same transaction (§24.7). */
  const settle = (commit: () => void): (() => void) =>
    awaited
      ? () => {
          commit();
          m.store.recovery.arrived(id, from);
        }
      : commit;
  let contact: Contact | undefined = m.store.contacts.get(from);
  if (!contact) {
    try {
      contact = (await m.lookupContact(from, conn)).contact;
    } catch (err) {
      if (eph) return { outcome: 'ignored', frame };
      if (err instanceof ChatError && err.code === 'UNKNOWN_USER') {
        const detail = `the sender ${from} is not registered on the relay`;
        return { outcome: 'rejected', frame, code: 'ENVELOPE_BAD_SIGNATURE', detail };
      }
      if (err instanceof ChatError && err.code === 'BUNDLE_INVALID') {
        return { outcome: 'held', frame, from, reason: 'BUNDLE_INVALID' };
      }
      throw err;
    }
  }
  if (contact.trust === 'untrusted') {
    return eph ? { outcome: 'ignored', frame } : { outcome: 'held', frame, from, reason: 'UNTRUSTED_IDENTITY' };
  }
  let r = opener.open(inner, contact, frame.id, Date.now());
  if (r.outcome === 'rejected' && r.code === 'RATCHET_DECRYPT_FAILED' && !eph) {
    // As §4 step 6 does for a signature: made under another key than the pinned one? Then the sender's key changed
    // (§3.4): held, unless the policy accepts the new key, then opened under it.
    const changed = await keyChange(m, conn, contact);
    if (changed === 'held') return { outcome: 'held', frame, from, reason: 'KEY_CHANGED' };
    if (changed) r = opener.open(inner, changed, frame.id, Date.now());
  }
  if (r.outcome === 'duplicate') return eph ? { outcome: 'ignored', frame } : { outcome: 'duplicate', frame };
  if (r.outcome === 'rejected') {
    if (eph) return { outcome: 'ignored', frame };
    // §24.7: decrypted (its kind's rules refused it): the peer answered; not decrypted for want of a session: ask.
    if (r.commit) return { outcome: 'rejected', frame, code: r.code, detail: r.detail, commit: settle(r.commit), from };
    const awaitFrom = WANT_OF_SESSION.has(r.code) ? from : undefined;
    return { outcome: 'rejected', frame, code: r.code, detail: r.detail, awaitFrom };
  }
  const commit = settle(r.commit);
  const { kind, ts, body } = r.plain;
  if (eph) {
    // §4.1: only typing travels ephemerally; the key it spent is still gone (its state is committed).
    if (kind === MessageKind.typing) return { outcome: 'typing', frame, from, active: body[0] === 1, commit };
    return { outcome: 'ignored', frame };
  }
  const opened = {
    kind,
    from,
    to: m.username,
    id: r.plain.id,
    ts,
    body,
    signature: new Uint8Array(0),
    signedMessage: new Uint8Array(0),
  };
  return { outcome: 'ok', frame, opened, commit };
}
