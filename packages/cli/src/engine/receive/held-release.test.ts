/**
 * Held messages released by a trust while a following session runs (PROTOCOL.md §3.4, issue 15: "after /trust, the
 * held messages appear at once, in order, without a reconnect"): a trust given in the session itself, and one given
 * by another process of the profile (`chat trust bob` in another terminal: here another Messenger, which is another
 * connection to chat.db exactly as another process is), with more held than the old in-memory count limit of 256.
 */
import { MessageKind, randomMessageId, sealEnvelope, utf8 } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { until } from '../../../test/helpers.js';
import type { Messenger } from '../messenger.js';
import { Connection } from '../net/connection.js';

// One sender puts hundreds of envelopes into one mailbox within a second: the relay's rates and shares are raised.
const world = engineWorld('held-release', {
  limits: {
    messagesPerSecond: 100_000,
    messagesBurst: 100_000,
    envelopesPerSecond: 100_000,
    envelopesBurst: 100_000,
  },
});

/**
 * `from` sends `count` texts numbered from `first` over one connection, pipelined, in that order: v1 envelopes sealed
 * here (these users never spoke v2, so v1 is what the product sends them too), which keeps 300 sends to a second
 * instead of a sealed, committed outbox entry each.
 */
async function sendNumbered(from: string, to: string, count: number, first = 0): Promise<void> {
  const sender = world.profile(from).loadIdentity();
  const encPk = world.profile(to).loadIdentity().encryption.publicKey;
  const conn = await Connection.open({
    address: { host: '127.0.0.1', port: world.relay().port },
    username: from,
    identity: sender,
    mode: 'send',
  });
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = first; i < first + count; i++) {
      const id = randomMessageId();
      const body = utf8(`n${i}`);
      const env = sealEnvelope(
        { kind: MessageKind.text, from, to, id, ts: Date.now(), body },
        sender.identity.secretKey,
        encPk,
      );
      sends.push(conn.send(to, id, env));
    }
    await Promise.all(sends);
  } finally {
    await conn.close();
  }
}

/** A following session of `user` under the policy `never` (every new sender held as untrusted), with its events. */
async function follow(user: string): Promise<{ m: Messenger; held: string[]; shown: string[] }> {
  const m = await world.open(user, { trustNewIdentities: 'never' });
  const held: string[] = [];
  const shown: string[] = [];
  m.on('held', (h) => held.push(h.id));
  m.on('message', (x) => shown.push(x.body));
  const stop = new AbortController();
  const running = m.receive({ follow: true, signal: stop.signal });
  world.cleanup(async () => {
    stop.abort();
    await running;
  });
  return { m, held, shown };
}

const numbered = (count: number) => Array.from({ length: count }, (_, i) => `n${i}`);

describe('held messages released by a trust, without a reconnect', () => {
  it('a trust by another process of the profile releases what the session holds, in order', async () => {
    const [alice, bob] = (await world.users('alice', 'bob')) as [string, string];
    const s = await follow(alice);
    await sendNumbered(bob, alice, 5);
    await until(() => s.held.length === 5, 'five held messages');
    expect(s.shown).toEqual([]);
    // `chat trust bob` in another terminal: its own connection to chat.db, then gone.
    await world.as(alice, async (other) => void other.trust(bob));
    await until(() => s.shown.length === 5, 'the held messages shown');
    expect(s.shown).toEqual(numbered(5));
  });

  it('more than 256 held from one contact: after the trust all appear, in order, nothing left behind', async () => {
    const [alice, bob] = (await world.users('alice', 'bob')) as [string, string];
    const s = await follow(alice);
    const count = 300;
    await sendNumbered(bob, alice, count);
    await until(() => s.held.length === count, `${count} held messages`);
    s.m.trust(bob);
    await until(() => s.shown.length === count, `${count} messages shown`);
    // Sent after the trust: shown after all of them.
    await sendNumbered(bob, alice, 1, count);
    await until(() => s.shown.length === count + 1, 'the next message');
    expect(s.shown).toEqual(numbered(count + 1));
  });
});
