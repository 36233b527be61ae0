/**
 * Contacts' identity keys and how far they are trusted (PROTOCOL.md §3.4, §3.5): what a bundle from the relay means
 * for a pinned contact, safety numbers, and accepting a key. Shared by `chat send` / `recv` / `verify` / `trust` and,
 * through Messenger, by the interactive UI's `/verify`.
 */
import { fingerprint, formatSafetyNumber, safetyNumber, safetyNumberMatches, typedSafetyNumber } from '@chat/crypto';
import type { BundleFrame } from '@chat/protocol';
import { ChatError } from '../errors.js';
import type { Contact, Store } from '../store/store.js';
import { sameKeys } from './bundle.js';

/** Like signal-cli's `--trust-new-identities`: what happens to a key the client has not accepted before. */
export type TrustNewIdentities = 'on-first-use' | 'always' | 'never';
export const TRUST_NEW_IDENTITIES: readonly TrustNewIdentities[] = ['on-first-use', 'always', 'never'];
export const DEFAULT_TRUST_NEW_IDENTITIES: TrustNewIdentities = 'on-first-use';

/** @throws {ChatError} USAGE for anything but the three policies. */
export function parseTrustNewIdentities(text: string): TrustNewIdentities {
  const v = text.trim().toLowerCase();
  if ((TRUST_NEW_IDENTITIES as readonly string[]).includes(v)) return v as TrustNewIdentities;
  throw new ChatError('USAGE', `invalid trust policy "${text}": expected on-first-use, always or never`);
}

/**
 * What a verified bundle from the relay did to the contact:
 * `pinned` first seen and accepted (on-first-use, always); `untrusted` first seen under `never`; `same` the accepted
 * key; `accepted-new` a different key accepted automatically (`always`); `changed` a different key, held back.
 */
export type Reconciled = {
  outcome: 'pinned' | 'untrusted' | 'same' | 'accepted-new' | 'changed';
  contact: Contact;
  previous?: Contact;
};

/** Applies the policy to a bundle that already passed §3.2 (`fetchBundle`). Never throws for a key change. */
export function reconcile(
  store: Pick<Store, 'contacts'>,
  bundle: BundleFrame,
  policy: TrustNewIdentities,
  now = Date.now(),
): Reconciled {
  const name = bundle.user;
  const pinned = store.contacts.get(name);
  const fp = fingerprint(bundle.idpk);
  if (!pinned) {
    const trust = policy === 'never' ? 'untrusted' : 'unverified';
    const contact = store.contacts.pin({
      username: name,
      identityPublicKey: bundle.idpk,
      encryptionPublicKey: bundle.encpk,
      fingerprint: fp,
      firstSeen: now,
      trust,
    });
    return { outcome: trust === 'untrusted' ? 'untrusted' : 'pinned', contact };
  }
  if (sameKeys(pinned, bundle))
    return { outcome: pinned.trust === 'untrusted' ? 'untrusted' : 'same', contact: pinned };
  const key = { identityPublicKey: bundle.idpk, encryptionPublicKey: bundle.encpk, fingerprint: fp };
  if (policy === 'always')
    return {
      outcome: 'accepted-new',
      contact: store.contacts.acceptKey(name, key, 'unverified', now),
      previous: pinned,
    };
  return { outcome: 'changed', contact: store.contacts.markChanged(name, { ...key, seenAt: now }), previous: pinned };
}

/** The error `chat send` exits 4 with when a contact cannot be sent to (§12). */
export function untrustedError(r: Reconciled): ChatError {
  const name = r.contact.username;
  if (r.outcome === 'changed') {
    const old = r.previous?.fingerprint ?? r.contact.fingerprint;
    const now = r.contact.pending?.fingerprint ?? '?';
    return new ChatError(
      'KEY_CHANGED',
      `${name}'s key changed: you accepted ${old}, the relay now gives ${now}; nothing was sent`,
      {
        hint: `compare safety numbers with ${name} in person (chat verify ${name}), then accept the new key with chat trust ${name} --verify <digits>`,
      },
    );
  }
  return new ChatError(
    'UNTRUSTED_IDENTITY',
    `${name}'s key ${r.contact.fingerprint} is not trusted yet (trust-new-identities: never); nothing was sent`,
    {
      hint: `compare safety numbers with ${name} (chat verify ${name}), then chat trust ${name} --verify <digits>`,
    },
  );
}

export interface SafetyNumberView {
  username: string;
  /** 60 digits. */
  digits: string;
  /** 12 groups of 5 digits. */
  formatted: string;
  /** The contact key it is computed with: the pending one when the key changed (what `chat trust` would accept). */
  fingerprint: string;
  trust: Contact['trust'];
  forPendingKey: boolean;
}

/** The safety number between us and a contact (§3.5), for the key `chat trust` would accept. */
export function safetyNumberView(
  me: { username: string; identityPublicKey: Uint8Array },
  contact: Contact,
): SafetyNumberView {
  const key = contact.pending ?? contact;
  const digits = safetyNumber(me.username, me.identityPublicKey, contact.username, key.identityPublicKey);
  return {
    username: contact.username,
    digits,
    formatted: formatSafetyNumber(digits),
    fingerprint: key.fingerprint,
    trust: contact.trust,
    forPendingKey: contact.pending !== null,
  };
}

export interface TrustResult {
  contact: Contact;
  /** True if a changed or untrusted key was accepted by this call. */
  acceptedNewKey: boolean;
  previousFingerprint: string | undefined;
}

/**
 * `chat trust`: accepts the contact's pending (changed) or untrusted key, and with `verify` marks it verified after
 * comparing the typed safety number in constant time. Nothing changes when the comparison fails.
 *
 * @throws {ChatError} USAGE (exit 2) when `verify` is not 60 digits; SAFETY_NUMBER_MISMATCH (exit 4) when it does not
 *   match.
 */
export function trustContact(
  store: Store,
  me: { username: string; identityPublicKey: Uint8Array },
  contact: Contact,
  verify?: string,
  now = Date.now(),
): TrustResult {
  const view = safetyNumberView(me, contact);
  // Not 60 digits at all (an empty --verify, a fingerprint pasted instead): a usage error, not a mismatch (hunt3).
  if (verify !== undefined && typedSafetyNumber(verify) === undefined) {
    throw new ChatError(
      'USAGE',
      `a safety number is 60 digits (spaces and dashes allowed): ${JSON.stringify(verify.slice(0, 20))}${verify.length > 20 ? '…' : ''} is not one`,
      { hint: `chat verify ${contact.username} shows it; nothing was changed` },
    );
  }
  if (verify !== undefined && !safetyNumberMatches(verify, view.digits)) {
    throw new ChatError(
      'SAFETY_NUMBER_MISMATCH',
      `the safety number you entered does not match the one for ${contact.username} (key ${view.fingerprint}); nothing was changed`,
      {
        hint: `compare again with chat verify ${contact.username}; if the digits really differ, someone may be impersonating ${contact.username}`,
      },
    );
  }
  const pending = contact.pending ?? undefined;
  const acceptedNewKey = pending !== undefined || contact.trust === 'untrusted';
  const trust =
    verify !== undefined ? 'verified' : contact.trust === 'verified' && !pending ? 'verified' : 'unverified';
  const updated = store.contacts.acceptKey(
    contact.username,
    pending,
    trust,
    trust === 'verified' && verify === undefined ? (contact.verifiedAt ?? now) : now,
  );
  return { contact: updated, acceptedNewKey, previousFingerprint: pending ? contact.fingerprint : undefined };
}
