/**
 * The one place that looks a user up, pins, and decides whether a key may be used (PROTOCOL.md §3.4). Messages,
 * receipts, typing, file offers and group fan-out all go through `maySendTo` / `lookupAndPin`: a key is used only
 * while it is the accepted one (`unverified` or `verified`); a `changed` or `untrusted` key never is.
 */
import type { Connection } from '../net/connection.js';
import type { Emit } from '../events.js';
import type { Contact, Store } from '../store/store.js';
import { fetchBundle } from './bundle.js';
import { reconcile, untrustedError, type Reconciled, type TrustNewIdentities } from './identities.js';

/** The trust rule: true if `contact`'s pinned key may be sealed to now. */
export function maySendTo(contact: Contact | undefined): contact is Contact {
  return contact !== undefined && (contact.trust === 'unverified' || contact.trust === 'verified');
}

export interface ContactsDeps {
  readonly store: Pick<Store, 'contacts'>;
  readonly policy: TrustNewIdentities;
  readonly emit: Emit;
}

/**
 * Looks `name` up on `conn` and applies the trust policy (§3.4) without refusing anything: first use pins, a different
 * key is recorded as `changed` (or accepted under `always`). Emits `pinned` / `keyChanged`.
 * @throws {ChatError} UNKNOWN_USER (3), BUNDLE_INVALID (4), connection errors (5, 6).
 */
export async function lookupContact(d: ContactsDeps, name: string, conn: Connection): Promise<Reconciled> {
  const r = reconcile(d.store, await fetchBundle(conn, name), d.policy);
  if (r.outcome === 'pinned' || r.outcome === 'untrusted') d.emit('pinned', r.contact);
  if (r.outcome === 'changed' || r.outcome === 'accepted-new') {
    d.emit('keyChanged', {
      username: name,
      previous: r.previous?.fingerprint ?? '',
      current: r.contact.pending?.fingerprint ?? r.contact.fingerprint,
      accepted: r.outcome === 'accepted-new',
    });
  }
  return r;
}

/**
 * Looks `name` up and returns the contact if its key may be used: pinned on first use, or the accepted key.
 * @throws {ChatError} UNKNOWN_USER (3), KEY_CHANGED / UNTRUSTED_IDENTITY / BUNDLE_INVALID (4), connection errors.
 */
export async function lookupAndPin(d: ContactsDeps, name: string, conn: Connection): Promise<Contact> {
  const r = await lookupContact(d, name, conn);
  if (r.outcome === 'changed' || r.outcome === 'untrusted') throw untrustedError(r);
  return r.contact;
}
