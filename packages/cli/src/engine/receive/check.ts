/**
 * The first half of handling a delivered envelope (§4): open it and check its sender (steps 1–6 with the trust policy
 * of §3.4), without touching history. What to do with the result is decided in receive-commit.ts, for a whole batch
 * of envelopes in one store transaction.
 */
import {
  CryptoError,
  MAX_ENVELOPE_BYTES,
  MessageKind,
  constantTimeEqual,
  openEnvelope,
  sealedBoxOpener,
  toHex,
  verifyEnvelopeSignature,
  type OpenedEnvelope,
} from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { Connection } from '../net/connection.js';
import { ChatError, isEnvelopeErrorCode } from '../errors.js';
import type { Lookup, Self } from '../context.js';
import type { HeldMessage } from '../events.js';
import { SignatureResult } from '../signature-result.js';
import type { SignatureVerifier } from '../signatures.js';
import type { UnsealAhead } from './unseal-ahead.js';
import type { Contact, Store } from '../store/store.js';

/** What the check needs: our keys, the contacts, and the lookup (§3.4). */
type CheckContext = Self & Lookup & { readonly store: Pick<Store, 'contacts' | 'v2' | 'recovery'> };
import { fetchBundle, sameKeys } from '../contacts/bundle.js';
import { type InnerV2, V2Rejection } from '../v2/envelope.js';
import { V2Opener, isV2Envelope, unsealV2 } from '../v2/open.js';
import { type BatchReads, checkV2 } from './check-v2.js';
import { isGroupEnvelope, unsealGroup } from './group-open.js';
import type { Checked } from './checked.js';

/** A v2 envelope whose sealed box opened (§24.3 steps 1–3): checked and decrypted in order below. */
interface V2Item {
  v2: InnerV2;
  frame: MsgFrame;
}

export type { Checked } from './checked.js';

type Verdict =
  | { kind: 'ok' }
  | { kind: 'held'; reason: HeldMessage['reason'] }
  | { kind: 'rejected'; code: string; detail: string };

/** Envelopes per request to the signature worker: small enough that opening and verifying overlap. */
const VERIFY_CHUNK = 64;

/** An envelope that opened, and what the signature worker said about it under which key. */
interface Opened {
  frame: MsgFrame;
  opened: OpenedEnvelope;
  /** The pinned key it was sent to the worker with, and whether that contact was `untrusted` then. */
  key?: Uint8Array;
  untrusted?: boolean;
  /** The worker's SignatureResult, once it answered. */
  result?: number;
}

/**
 * The batch's checked envelopes, and `saveSessions`: writes the v2 sessions their commits moved on (V2Opener), to
 * run in the commit's transaction after the commits (commit.ts).
 */
export type CheckedBatch = { checked: Checked[]; saveSessions: () => void } & (
  | { failed: false }
  | { failed: true; error: unknown }
);

/**
 * §4 steps 1–6 for a batch of delivered envelopes, in delivery order. First every envelope is opened (on this thread:
 * that needs our secret key); with a `verifier`, the signatures of pinned senders go to its worker thread in chunks
 * meanwhile. Then each envelope gets its verdict, in order: from the worker's answer if the sender's pinned key and
 * trust are still the ones it was checked under, else by verifying here (`quickVerdict`); only envelopes that need
 * the relay (an unknown sender, a signature that fails under the pinned key) take the slow path, `checkSender`.
 * Contacts are read once per sender for each synchronous stretch and forgotten at every await, so no other code can
 * change a contact under a cached copy. Stops early when `stop()` says so; a check that throws ends the batch with
 * what was checked before it.
 */
export async function checkBatch(
  m: CheckContext,
  conn: Connection,
  frames: readonly MsgFrame[],
  stop: () => boolean,
  verifier?: SignatureVerifier,
  ahead?: UnsealAhead,
): Promise<CheckedBatch> {
  // The sealed boxes the unseal pool opened meanwhile (undefined where it did not: opened below, on this thread).
  const unsealed = ahead ? await ahead.take(frames, m.identity.encryption.publicKey) : undefined;
  let contacts = new Map<string, Contact | undefined>();
  const contact = (name: string): Contact | undefined => {
    if (!contacts.has(name)) contacts.set(name, m.store.contacts.get(name));
    return contacts.get(name);
  };
  const items: (Opened | Checked | V2Item)[] = [];
  const opener = new V2Opener(m);
  const saveSessions = (): void => opener.saveSessions();
  const answers: Promise<void>[] = [];
  let jobs: Opened[] = [];
  const send = (): void => {
    const sent = jobs;
    jobs = [];
    const answer = verifier!.verify(sent.map((j) => ({ opened: j.opened, publicKey: j.key! })));
    // A failed worker leaves `result` unset: those are verified on this thread below.
    answers.push(
      answer.then(
        (r) => sent.forEach((j, i) => (j.result = r[i])),
        () => {},
      ),
    );
  };
  let openFailed: { error: unknown } | undefined;
  let openBox: ((sealed: Uint8Array) => Uint8Array) | undefined;
  const boxOpener = (): ((sealed: Uint8Array) => Uint8Array) => {
    const { publicKey, secretKey } = m.identity.encryption;
    openBox ??= sealedBoxOpener(publicKey, secretKey);
    return openBox;
  };
  for (const [i, frame] of frames.entries()) {
    let opened: OpenedEnvelope | Checked | V2Item;
    try {
      opened = open(m, frame, unsealed?.[i], boxOpener);
    } catch (error) {
      openFailed = { error };
      break;
    }
    if (!('signedMessage' in opened)) {
      items.push(opened);
      continue;
    }

    const item: Opened = { frame, opened };
    const pinned = verifier ? contact(opened.from) : undefined;
    if (pinned) {
      item.key = pinned.identityPublicKey;
      item.untrusted = pinned.trust === 'untrusted';
      jobs.push(item);
      if (jobs.length >= VERIFY_CHUNK) send();
    }
    items.push(item);
  }
  if (jobs.length > 0) send();
  if (answers.length > 0) {
    await Promise.all(answers);
    contacts = new Map();
  }
  /** The batch's v2 ids already committed, read at once when first needed (and again after any await). */
  let committed: Set<string> | undefined;
  const reads: BatchReads = {
    contact,
    committed: (id) => {
      committed ??= m.store.v2.committedAmong(items.flatMap((i) => ('v2' in i ? [toHex(i.frame.id)] : [])));
      return committed.has(id);
    },
  };
  const checked: Checked[] = [];
  /** What is checked so far, ended by `error` (committed and acknowledged all the same, then the session ends). */
  const failed = (error: unknown): CheckedBatch => ({ checked, saveSessions, failed: true, error });
  for (const item of items) {
    if (stop()) break;
    if ('outcome' in item) {
      checked.push(item);
      continue;
    }
    if ('v2' in item) {
      try {
        const c = checkV2(m, conn, opener, item.frame, item.v2, reads);
        if (c instanceof Promise) {
          // It waited (a lookup, the ML-KEM code): what was read before may have changed meanwhile.
          checked.push(await c);
          contacts = new Map();
          committed = undefined;
        } else checked.push(c);
      } catch (error) {
        return failed(error);
      }
      continue;
    }
    const { frame, opened } = item;
    const pinned = contact(opened.from);
    let verdict = workerVerdict(item, pinned);
    if (verdict === undefined) verdict = quickVerdict(opened, pinned);
    if (verdict === null) {
      contacts = new Map();
      try {
        verdict = await checkSender(m, conn, opened);
      } catch (error) {
        return failed(error);
      }
    }
    // §24.5: a v1 envelope that verifies, from a peer that has used v2, is a downgrade (a forged one stays a forgery).
    if (verdict.kind === 'ok' && m.store.v2.isV2Peer(opened.from)) {
      const detail = `${opened.from} has used protocol v2; a v1 envelope from it is a downgrade`;
      verdict = { kind: 'rejected', code: 'ENVELOPE_DOWNGRADE', detail };
    }
    checked.push(outcome(frame, opened, verdict));
  }
  return openFailed ? failed(openFailed.error) : { checked, saveSessions, failed: false };
}

/**
 * §4 steps 1–5: length and version, open, parse, addressed to us, id as delivered; v2: §24.3 steps 1–3 (`inner`: its
 * sealed box already opened by the unseal pool).
 */
function open(
  m: CheckContext,
  frame: MsgFrame,
  inner: Uint8Array | undefined,
  boxOpener: () => (sealed: Uint8Array) => Uint8Array,
): OpenedEnvelope | Checked | V2Item {
  if (isGroupEnvelope(frame.env)) return unsealGroup(m, frame);
  if (isV2Envelope(frame.env) && frame.env.length <= MAX_ENVELOPE_BYTES) {
    try {
      return { v2: unsealV2(m, frame.env, inner, inner ? undefined : boxOpener()), frame };
    } catch (err) {
      if (!(err instanceof V2Rejection)) throw err;
      return frame.eph === true
        ? { outcome: 'ignored', frame }
        : { outcome: 'rejected', frame, code: err.code, detail: err.message };
    }
  }
  try {
    const recipient = { username: m.username, encryption: m.identity.encryption, openBox: boxOpener() };
    return openEnvelope(frame.env, recipient, frame.id);
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    // An ephemeral envelope (§9) was never stored: it is never acknowledged, recorded or counted, whatever happens.
    return frame.eph === true
      ? { outcome: 'ignored', frame }
      : { outcome: 'rejected', frame, code: err.code, detail: err.message };
  }
}

function outcome(frame: MsgFrame, opened: OpenedEnvelope, verdict: Verdict): Checked {
  if (frame.eph === true) {
    // §4.1: only `typing` travels ephemerally; anything else marked eph is ignored.
    if (verdict.kind === 'ok' && opened.kind === MessageKind.typing)
      return { outcome: 'typing', frame, from: opened.from, active: opened.body[0] === 1 };
    return { outcome: 'ignored', frame };
  }
  if (verdict.kind === 'rejected') return { outcome: 'rejected', frame, code: verdict.code, detail: verdict.detail };
  if (verdict.kind === 'held') return { outcome: 'held', frame, from: opened.from, reason: verdict.reason };
  return { outcome: 'ok', frame, opened };
}

/**
 * The first steps of `checkSender` that need no relay: a pinned sender whose key is untrusted (held or rejected), or
 * whose pinned key verifies the signature (ok). Null otherwise: `checkSender` decides, from the start.
 */
function quickVerdict(opened: OpenedEnvelope, contact: Contact | undefined): Verdict | null {
  if (!contact) return null;
  if (contact.trust === 'untrusted') {
    if (verifies(opened, contact.identityPublicKey)) return { kind: 'held', reason: 'UNTRUSTED_IDENTITY' };
    return { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'the signature does not verify' };
  }
  return verifies(opened, contact.identityPublicKey) ? { kind: 'ok' } : null;
}

/**
 * `quickVerdict` from the worker's answer, if there is one and the contact still has the key and trust it was
 * checked under; undefined if not (then it is verified here).
 */
function workerVerdict(item: Opened, contact: Contact | undefined): Verdict | null | undefined {
  const { result, key } = item;
  if (result === undefined || key === undefined || !contact) return undefined;
  const untrusted = contact.trust === 'untrusted';
  if (untrusted !== item.untrusted || !constantTimeEqual(contact.identityPublicKey, key)) return undefined;
  if (result === SignatureResult.verified)
    return untrusted ? { kind: 'held', reason: 'UNTRUSTED_IDENTITY' } : { kind: 'ok' };
  if (result === SignatureResult.failed)
    return untrusted
      ? { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'the signature does not verify' }
      : null;
  return undefined;
}

/**
 * §4 step 6 with §3.4: verify under the pinned key, pinning an unknown sender first. A signature that fails under
 * the pinned key but verifies under the relay's current, different bundle is a changed key: held, not shown.
 */
async function checkSender(m: CheckContext, conn: Connection, opened: OpenedEnvelope): Promise<Verdict> {
  const from = opened.from;
  let contact = m.store.contacts.get(from);
  if (!contact) {
    try {
      contact = (await m.lookupContact(from, conn)).contact;
    } catch (err) {
      if (err instanceof ChatError && err.code === 'UNKNOWN_USER') {
        return {
          kind: 'rejected',
          code: 'ENVELOPE_BAD_SIGNATURE',
          detail: `the sender ${from} is not registered on the relay`,
        };
      }
      if (err instanceof ChatError && err.code === 'BUNDLE_INVALID') return { kind: 'held', reason: 'BUNDLE_INVALID' };
      throw err;
    }
  }
  // Untrusted (trust-new-identities never): even a good signature waits until the user accepts the key.
  const quick = quickVerdict(opened, contact);
  if (quick) return quick;
  let current;
  try {
    current = await fetchBundle(conn, from);
  } catch (err) {
    if (err instanceof ChatError && (err.code === 'UNKNOWN_USER' || err.code === 'BUNDLE_INVALID')) {
      return { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'the signature does not verify' };
    }
    throw err;
  }
  if (!sameKeys(contact, current) && verifies(opened, current.idpk)) {
    // Signed by the relay's new key for the sender: held (and the contact marked changed) unless the policy is `always`.
    const r = await m.lookupContact(from, conn);
    if (r.outcome === 'accepted-new' && verifies(opened, r.contact.identityPublicKey)) return { kind: 'ok' };
    return { kind: 'held', reason: 'KEY_CHANGED' };
  }
  return { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'the signature does not verify' };
}

function verifies(opened: OpenedEnvelope, identityPublicKey: Uint8Array): boolean {
  try {
    verifyEnvelopeSignature(opened, identityPublicKey);
    return true;
  } catch (err) {
    if (err instanceof CryptoError && isEnvelopeErrorCode(err.code)) return false;
    throw err;
  }
}
