import { randomBytes } from 'node:crypto';
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

interface Row extends StoredEnvelope {
  key: string;
  tag: string | undefined;
  addressTag: string | undefined;
  expiresAt: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A `MailboxStore` in process memory: nothing survives a restart. It exists so the store contract is defined by
 * behaviour (both engines pass `describeMailboxStore`) rather than by SQLite's quirks, and for fast unit tests.
 */
export function createMemoryStore(): MailboxStore {
  const relayId = new Uint8Array(randomBytes(32));
  const users = new Map<string, UserRecord>();
  const mailboxes = new Map<string, Row[]>();
  let seq = 0;

  const stats = (recipient: string): MailboxStats => {
    const rows = mailboxes.get(recipient) ?? [];
    return { count: rows.length, bytes: rows.reduce((n, r) => n + r.envelope.length, 0) };
  };

  const putOne = (item: EnvelopeInput, quota: MailboxQuota): PutResult => {
    if (!users.has(item.recipient)) return 'unknown_recipient';
    const rows = mailboxes.get(item.recipient) ?? [];
    const key = hex(item.id);
    if (rows.some((r) => r.key === key)) return 'duplicate';
    const s = stats(item.recipient);
    if (s.count + 1 > quota.maxMessages || s.bytes + item.envelope.length > quota.maxBytes) return 'mailbox_full';
    const tag = item.senderTag && hex(item.senderTag);
    const addressTag = item.addressTag && hex(item.addressTag);
    // Over a share: what `held` holds plus this envelope exceeds it (no share asked for: never).
    const over = (held: Row[], share: MailboxQuota['perSender']) =>
      share !== undefined &&
      (held.length + 1 > share.maxMessages ||
        held.reduce((n, r) => n + r.envelope.length, 0) + item.envelope.length > share.maxBytes);
    const bySender = tag === undefined ? [] : rows.filter((r) => r.tag === tag);
    const byAddress = addressTag === undefined ? [] : rows.filter((r) => r.addressTag === addressTag);
    if (tag !== undefined && over(bySender, quota.perSender)) return 'mailbox_full';
    if (addressTag !== undefined && over(byAddress, quota.perAddress)) return 'mailbox_full';
    rows.push({
      seq: ++seq,
      key,
      tag,
      addressTag,
      id: Uint8Array.from(item.id),
      envelope: Uint8Array.from(item.envelope),
      receivedAt: item.receivedAt,
      expiresAt: item.expiresAt,
    });
    mailboxes.set(item.recipient, rows);
    return 'stored';
  };

  const remove = (recipient: string, ids: readonly Uint8Array[]): number => {
    const rows = mailboxes.get(recipient);
    if (!rows) return 0;
    const gone = new Set(ids.map(hex));
    const kept = rows.filter((r) => !gone.has(r.key));
    mailboxes.set(recipient, kept);
    return rows.length - kept.length;
  };

  // Each method does its work when called and returns a settled promise, like the SQLite engine.
  return {
    relayId,
    getUser: async (username) => users.get(username),
    hasUser: async (username) => users.has(username),
    async registerUser(user) {
      const existing = users.get(user.username);
      if (existing) return { created: false, user: existing };
      users.set(user.username, user);
      return { created: true, user };
    },
    putMany: async (items, quota) => items.map((item) => putOne(item, quota)),
    async list(recipient, afterSeq, limit) {
      return (mailboxes.get(recipient) ?? [])
        .filter((r) => r.seq > afterSeq)
        .slice(0, limit)
        .map(({ seq: s, id, envelope, receivedAt }) => ({ seq: s, id, envelope, receivedAt }));
    },
    remove: async (recipient, ids) => remove(recipient, ids),
    async commit(removals: readonly Removal[], items, quota) {
      for (const r of removals) remove(r.recipient, r.ids);
      return items.map((item) => putOne(item, quota));
    },
    async expire(now) {
      let n = 0;
      for (const [recipient, rows] of mailboxes) {
        const kept = rows.filter((r) => r.expiresAt > now);
        n += rows.length - kept.length;
        mailboxes.set(recipient, kept);
      }
      return n;
    },
    stats: async (recipient) => stats(recipient),
    async close() {},
  };
}
