/**
 * What the group sender-key tests (packages/cli/src/engine/groups/sender-key*.test.ts, held-group.test.ts) share: a
 * team of users whose invitations are accepted, one receive that reports what a `chat recv` would show, a group message made and delivered by hand (as a forger or a
 * reordering relay would), and a look at a mailbox on the relay through a copy of its data directory, as an attacker
 * holding such a copy would see it.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MessageKind, type SenderKey, groupEncrypt, randomMessageId } from '@chat/crypto';
import Database from 'better-sqlite3-multiple-ciphers';
import type { GroupMessage, ReceiveSummary } from '../src/engine/events.js';
import type { Messenger, RejectedMessage } from '../src/engine/messenger.js';
import { groupPlaintext, sealGroupCopy } from '../src/engine/send/group-sender-key.js';
import type { EngineWorld } from './engine-fixture.js';

/**
 * `bases` as users of `world`, all open; each after the first has sent the first a direct message, so that the first's
 * group invitations are accepted (§15.7).
 */
export async function groupTeam(world: EngineWorld, ...bases: string[]): Promise<{ names: string[]; ms: Messenger[] }> {
  const names = await world.users(...bases);
  const ms = await Promise.all(names.map((n) => world.open(n)));
  for (const m of ms.slice(1)) await m.sendMessage(names[0]!, 'hi');
  return { names, ms };
}

/** A group text's body: the group's id, then the text (§15.4). */
export const groupBody = (gid: Uint8Array, text: string): Uint8Array => new Uint8Array([...gid, ...Buffer.from(text)]);

/**
 * A group message of `kind` in `key`'s chain, claiming to be from `from` in group `gid`, sealed to `to` and sent over
 * `by`'s connection (§25.4); returns the chain's next state. The real send path does the same, one message at a time.
 */
export async function craftGroupMessage(
  by: Messenger,
  to: Messenger,
  key: SenderKey,
  from: string,
  gid: Uint8Array,
  body: Uint8Array,
  kind: number = MessageKind.groupText,
  ts: number = Date.now(),
): Promise<SenderKey> {
  const { message, key: next } = groupEncrypt(key, from, gid, groupPlaintext(kind, ts, body));
  const env = sealGroupCopy(message, to.identity.encryption.publicKey);
  await by.withConnectionFor((c) => c.send(to.username, randomMessageId(), env));
  return next;
}

/** One receive of `m`: every group event (texts, changes, invitations) and every rejection, in order; the summary. */
export async function groupEvents(
  m: Messenger,
): Promise<{ got: GroupMessage[]; rejected: RejectedMessage[]; summary: ReceiveSummary }> {
  const got: GroupMessage[] = [];
  const rejected: RejectedMessage[] = [];
  const onGroup = (x: GroupMessage): void => void got.push(x);
  const onRejected = (r: RejectedMessage): void => void rejected.push(r);
  m.on('groupMessage', onGroup);
  m.on('rejected', onRejected);
  try {
    return { got, rejected, summary: await m.receive() };
  } finally {
    m.off('groupMessage', onGroup);
    m.off('rejected', onRejected);
  }
}

/** One receive of `m`: the group texts shown, the rejection codes, the duplicates counted. */
export async function receiveGroup(m: Messenger): Promise<{ texts: string[]; rejected: string[]; duplicates: number }> {
  const { got, rejected, summary } = await groupEvents(m);
  return {
    texts: got.filter((x) => x.kind === 'group').map((x) => x.body),
    rejected: rejected.map((r) => r.code),
    duplicates: summary.duplicates,
  };
}

let copies = 0;
/** `user`'s mailbox on the relay whose data directory is `relayDir`, oldest first, read from a fresh copy in `scratch`. */
export function relayMailbox(relayDir: string, scratch: string, user: string): { id: Uint8Array; env: Uint8Array }[] {
  const into = join(scratch, `relay-copy-${copies++}`);
  mkdirSync(into, { recursive: true });
  for (const f of ['relay.db', 'relay.db-wal', 'relay.db-shm']) {
    if (existsSync(join(relayDir, f))) copyFileSync(join(relayDir, f), join(into, f));
  }
  const db = new Database(join(into, 'relay.db'));
  try {
    const rows = db.prepare('SELECT id, envelope FROM envelopes WHERE recipient = ? ORDER BY seq').all(user) as {
      id: Buffer;
      envelope: Buffer;
    }[];
    return rows.map((r) => ({ id: new Uint8Array(r.id), env: new Uint8Array(r.envelope) }));
  } finally {
    db.close();
  }
}
