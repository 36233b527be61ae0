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
import type { V2Opened, V2Opener } from '../v2/open.js';
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

/**
 * What a batch read once for all its envelopes (check.ts): the contact of a sender, read once per synchronous stretch,
 * and the batch's ids already committed (`V2Table.committedAmong`). Valid only until the next await.
 */
export interface BatchReads {
  contact(name: string): Contact | undefined;
  committed(id: string): boolean;
}

/**
 * §24.3 for `frame`. Synchronous (a `Checked`, no await between the batch's reads and their use) unless it must wait:
 * for the ML-KEM code, a lookup of an unknown sender or of a changed key; then a promise, and `reads` are not used
 * after the wait.
 */
export function checkV2(
  m: CheckV2Context,
  conn: Connection,
  opener: V2Opener,
  frame: MsgFrame,
  inner: InnerV2,
  reads?: BatchReads,
): Checked | Promise<Checked> {
  // Answering an initiation decapsulates with our ML-KEM key: its code loads on the first one (before any read below).
  if (inner.initiation && !mlkemLoaded()) return loadMlkem().then(() => checkV2(m, conn, opener, frame, inner));
  const eph = frame.eph === true;
  const from = inner.from;
  const id = toHex(frame.id);
  // §24.3 step 4, with §24.7's exception: an id rejected for want of a session and awaiting a resend from `from`.
  // (Only an id already rejected can await one, so the common path asks nothing more of the store.)
  let awaited = false;
  if (!eph && (reads ? reads.committed(id) : m.store.v2.committed(id))) {
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
  const contact: Contact | undefined = reads ? reads.contact(from) : m.store.contacts.get(from);
  if (contact) return checkFrom(m, conn, opener, frame, inner, contact, settle);
  return lookupSender(m, conn, from, eph).then((found) => {
    if (!('outcome' in found)) return checkFrom(m, conn, opener, frame, inner, found.contact, settle);
    if (found.outcome === 'held') return { ...found, frame, from };
    return { ...found, frame };
  });
}

type LookupFailure =
  | { outcome: 'rejected'; code: string; detail: string }
  | { outcome: 'held'; reason: 'BUNDLE_INVALID' }
  | { outcome: 'ignored' };

/** An unknown sender looked up and pinned (§3.4), or why its envelope is not opened (ephemeral: ignored, whatever). */
async function lookupSender(
  m: CheckV2Context,
  conn: Connection,
  from: string,
  eph: boolean,
): Promise<{ contact: Contact } | LookupFailure> {
  try {
    return { contact: (await m.lookupContact(from, conn)).contact };
  } catch (err) {
    if (eph) return { outcome: 'ignored' };
    if (err instanceof ChatError && err.code === 'UNKNOWN_USER') {
      const detail = `the sender ${from} is not registered on the relay`;
      return { outcome: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail };
    }
    if (err instanceof ChatError && err.code === 'BUNDLE_INVALID') return { outcome: 'held', reason: 'BUNDLE_INVALID' };
    throw err;
  }
}

/** The rest of §24.3 once the sender's contact is known: trust, decrypt (a changed key looked up), the outcome. */
function checkFrom(
  m: CheckV2Context,
  conn: Connection,
  opener: V2Opener,
  frame: MsgFrame,
  inner: InnerV2,
  contact: Contact,
  settle: (commit: () => void) => () => void,
): Checked | Promise<Checked> {
  const eph = frame.eph === true;
  const from = inner.from;
  if (contact.trust === 'untrusted') {
    return eph ? { outcome: 'ignored', frame } : { outcome: 'held', frame, from, reason: 'UNTRUSTED_IDENTITY' };
  }
  const r = opener.open(inner, contact, frame.id, Date.now());
  if (r.outcome === 'rejected' && r.code === 'RATCHET_DECRYPT_FAILED' && !eph) {
    // As §4 step 6 does for a signature: made under another key than the pinned one? Then the sender's key changed
    // (§3.4): held, unless the policy accepts the new key, then opened under it.
    return keyChange(m, conn, contact).then((changed): Checked => {
      if (changed === 'held') return { outcome: 'held', frame, from, reason: 'KEY_CHANGED' };
      return outcomeOf(m, frame, from, changed ? opener.open(inner, changed, frame.id, Date.now()) : r, settle);
    });
  }
  return outcomeOf(m, frame, from, r, settle);
}

function outcomeOf(
  m: CheckV2Context,
  frame: MsgFrame,
  from: string,
  r: V2Opened,
  settle: (commit: () => void) => () => void,
): Checked {
  const eph = frame.eph === true;
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
