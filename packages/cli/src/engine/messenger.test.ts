/**
 * The engine against the real relay binary: send, receive, TOFU pinning, and every way §4 says an envelope can be
 * bad, delivered by a real relay exactly as a hostile relay or sender could.
 */
import { type AddressInfo, createServer } from 'node:net';
import {
  MessageKind,
  generateIdentity,
  randomMessageId,
  sealEnvelope,
  signBundle,
  toHex,
  utf8,
  type Identity,
} from '@chat/crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  handshake,
  makeUser,
  profileDb,
  scriptedRelay,
  relayInProcess,
  tempDir,
  type InProcessRelay,
} from '../../test/helpers.js';
import { sealAs } from '../../test/seal-as.js';
import { login } from './account.js';
import { parseRelayAddress } from './address.js';
import { Connection } from './net/connection.js';
import { ChatError } from './errors.js';
import { Messenger, type HeldMessage, type ReceivedMessage, type RejectedMessage } from './messenger.js';
import { Profile } from './profile.js';

interface Events {
  messages: ReceivedMessage[];
  held: HeldMessage[];
  rejected: RejectedMessage[];
}

async function receiveOnce(profile: Profile): Promise<Events & { summary: Awaited<ReturnType<Messenger['receive']>> }> {
  const m = await Messenger.open(profile);
  const ev: Events = { messages: [], held: [], rejected: [] };
  m.on('message', (x) => ev.messages.push(x));
  m.on('held', (x) => ev.held.push(x));
  m.on('rejected', (x) => ev.rejected.push(x));
  try {
    return { ...ev, summary: await m.receive() };
  } finally {
    m.close();
  }
}

async function withMessenger<T>(profile: Profile, f: (m: Messenger) => Promise<T>): Promise<T> {
  const m = await Messenger.open(profile);
  try {
    return await f(m);
  } finally {
    m.close();
  }
}

describe('Messenger', () => {
  let t: ReturnType<typeof tempDir>;
  let relay: InProcessRelay;
  let alice: Profile;
  let bob: Profile;
  let aliceId: Identity;
  let bobEncPk: Uint8Array;

  beforeAll(async () => {
    t = tempDir('messenger');
    relay = await relayInProcess(`${t.dir}/relay`);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  let n = 0;
  beforeEach(async () => {
    // Fresh users per test (the relay stays), so mailboxes start empty.
    n++;
    alice = (await makeUser(t.dir, `alice${n}`, relay.address)).profile;
    bob = (await makeUser(t.dir, `bob${n}`, relay.address)).profile;
    aliceId = alice.loadIdentity();
    bobEncPk = bob.loadIdentity().encryption.publicKey;
  });

  /** Sends a raw envelope into bob's mailbox over a real connection as alice (what a hostile sender can do). */
  async function deliverRaw(id: Uint8Array, env: Uint8Array): Promise<void> {
    const conn = await Connection.open({
      address: { host: '127.0.0.1', port: relay.port },
      username: `alice${n}`,
      identity: aliceId,
      mode: 'send',
    });
    await conn.send(`bob${n}`, id, env);
    await conn.close();
  }
  const seal = (
    over: { from?: string; to?: string; id?: Uint8Array; body?: string } = {},
    signer = aliceId.identity.secretKey,
    encPk = bobEncPk,
  ): { id: Uint8Array; env: Uint8Array } => {
    const id = over.id ?? randomMessageId();
    const env = sealEnvelope(
      {
        kind: MessageKind.text,
        from: over.from ?? `alice${n}`,
        to: over.to ?? `bob${n}`,
        id,
        ts: Date.now(),
        body: utf8(over.body ?? 'raw'),
      },
      signer,
      encPk,
    );
    return { id, env };
  };

  it('sends, receives once, pins both ways and keeps history', async () => {
    const sent = await withMessenger(alice, (m) => m.sendMessage(`Bob${n}`, 'hello bob 👋'));
    expect(sent.id).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.to).toBe(`bob${n}`);

    const r = await receiveOnce(bob);
    expect(r.messages).toEqual([
      {
        id: sent.id,
        from: `alice${n}`,
        to: `bob${n}`,
        body: 'hello bob 👋',
        ts: sent.ts,
        relayTs: expect.any(Number) as number,
        receivedAt: expect.any(Number) as number,
      },
    ]);
    expect(r.summary).toEqual({ received: 1, duplicates: 0, held: 0, rejected: 0 });

    // Acknowledged: the mailbox is empty now.
    expect((await receiveOnce(bob)).messages).toEqual([]);

    await withMessenger(alice, async (m) => {
      expect(m.history().map((h) => [h.id, h.direction, h.peer, h.body])).toEqual([
        [sent.id, 'out', `bob${n}`, 'hello bob 👋'],
      ]);
      expect(m.contacts().map((c) => c.username)).toEqual([`bob${n}`]);
    });
    await withMessenger(bob, async (m) => {
      expect(m.history().map((h) => [h.id, h.direction, h.peer])).toEqual([[sent.id, 'in', `alice${n}`]]);
      expect(m.contacts()[0]?.fingerprint).toMatch(/^([0-9A-F]{4} ){7}[0-9A-F]{4}$/);
    });
  });

  it('a note to self is shown when received and enters history once', async () => {
    const sent = await withMessenger(alice, (m) => m.sendMessage(`alice${n}`, 'remember the milk'));
    expect((await receiveOnce(alice)).messages.map((m) => [m.id, m.from, m.body])).toEqual([
      [sent.id, `alice${n}`, 'remember the milk'],
    ]);
    await withMessenger(alice, async (m) =>
      expect(m.history().map((h) => [h.id, h.direction])).toEqual([[sent.id, 'in']]),
    );
  });

  it('unknown recipient: UNKNOWN_USER (exit 3)', async () => {
    const e = await withMessenger(alice, (m) => m.sendMessage('nobody-here', 'x')).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ChatError);
    expect((e as ChatError).exitCode).toBe(3);
  });

  it('a replayed envelope (same id, after it was acknowledged) is acknowledged but not shown again', async () => {
    // Sealed as alice's client seals it (v2 once she has a session with bob; §24.5 refuses v1 from her then).
    const { id, env } = await withMessenger(alice, (m) =>
      m.withConnectionFor((c) => sealAs(m, c, `bob${n}`, { kind: MessageKind.text, body: utf8('once') })),
    );
    await deliverRaw(id, env);
    expect((await receiveOnce(bob)).messages.map((m) => m.body)).toEqual(['once']);
    await deliverRaw(id, env);
    const again = await receiveOnce(bob);
    expect(again.messages).toEqual([]);
    expect(again.summary.duplicates).toBe(1);
    expect((await receiveOnce(bob)).summary.duplicates).toBe(0);
  });

  it.each([
    [
      'ENVELOPE_OPEN_FAILED',
      'a flipped byte',
      () => {
        const s = seal();
        s.env[60] = (s.env[60] ?? 0) ^ 1;
        return s;
      },
    ],
    [
      'ENVELOPE_MALFORMED',
      'an unknown envelope version',
      () => {
        const s = seal();
        s.env[0] = 2;
        return s;
      },
    ],
    ['ENVELOPE_MISADDRESSED', 'a message for someone else', () => seal({ to: 'carol' })],
    [
      'ENVELOPE_ID_MISMATCH',
      'another id than it was delivered under',
      () => ({ id: randomMessageId(), env: seal().env }),
    ],
    ['ENVELOPE_BAD_SIGNATURE', 'a forged sender', () => seal({}, generateIdentity().identity.secretKey)],
  ] as const)('%s (%s): recorded, warned, acknowledged, never shown', async (code, _what, make) => {
    // Pin alice first, so the forged signature is checked against her real key.
    await withMessenger(alice, (m) => m.sendMessage(`bob${n}`, 'first'));
    await receiveOnce(bob);
    const { id, env } = make();
    await deliverRaw(id, env);
    const r = await receiveOnce(bob);
    expect(r.messages).toEqual([]);
    expect(r.rejected).toEqual([{ id: toHex(id), code, detail: expect.any(String) as string }]);
    const db = await profileDb(bob, { readonly: true });
    expect(db.prepare('SELECT id, reason FROM rejected').all()).toEqual([{ id: toHex(id), reason: code }]);
    db.close();
    // Acknowledged: it does not come back.
    expect((await receiveOnce(bob)).summary).toEqual({ received: 0, duplicates: 0, held: 0, rejected: 0 });
  });

  it('acknowledges only after the commit: a failed commit leaves the message on the relay', async () => {
    await withMessenger(alice, (m) => m.sendMessage(`bob${n}`, 'must not be lost'));
    await withMessenger(bob, async () => {}); // creates the database
    const db = await profileDb(bob);
    db.exec("CREATE TRIGGER no_room BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    const e = await receiveOnce(bob).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    db.exec('DROP TRIGGER no_room');
    db.close();
    expect((await receiveOnce(bob)).messages.map((m) => m.body)).toEqual(['must not be lost']);
  });

  it('sends over the receiving connection while following (the UI path)', async () => {
    const m = await Messenger.open(alice);
    const controller = new AbortController();
    const synced = new Promise<void>((r) => m.once('synced', () => r()));
    const receiving = m.receive({ follow: true, signal: controller.signal });
    await synced;
    expect(m.recvConnection).toBeDefined();
    const sent = await m.sendMessage(`bob${n}`, 'from the ui');
    controller.abort();
    expect(await receiving).toEqual({ received: 0, duplicates: 0, held: 0, rejected: 0 });
    expect(m.recvConnection).toBeUndefined();
    m.close();
    expect((await receiveOnce(bob)).messages.map((x) => x.id)).toEqual([sent.id]);
  });

  it('follow delivers messages as they arrive', async () => {
    const m = await Messenger.open(bob);
    const controller = new AbortController();
    const got: string[] = [];
    const arrived = new Promise<void>((r) =>
      m.on('message', (x) => {
        got.push(x.body);
        if (got.length === 2) r();
      }),
    );
    const synced = new Promise<void>((r) => m.once('synced', () => r()));
    const receiving = m.receive({ follow: true, signal: controller.signal });
    await synced;
    await withMessenger(alice, async (a) => {
      await a.sendMessage(`bob${n}`, 'one');
      await a.sendMessage(`bob${n}`, 'two');
    });
    await arrived;
    controller.abort();
    expect((await receiving).received).toBe(2);
    m.close();
    expect(got).toEqual(['one', 'two']);
    expect((await receiveOnce(bob)).messages).toEqual([]);
  });
});

describe('Messenger with a changed key (§3.4)', () => {
  it('refuses to send (exit 4, nothing sent) and holds incoming messages signed by the new key', async () => {
    const t = tempDir('keychange');
    const relay1 = await relayInProcess(`${t.dir}/r1`);
    const relay2 = await relayInProcess(`${t.dir}/r2`);
    try {
      const alice = (await makeUser(t.dir, 'alice', relay1.address)).profile;
      const bob = (await makeUser(t.dir, 'bob', relay1.address)).profile;
      await withMessenger(alice, (m) => m.sendMessage('bob', 'hi'));
      await receiveOnce(bob); // bob pins alice
      // A fresh relay where "bob" is a new key. Alice re-joins it deliberately, by its chat:// address (a bare
      // host:port must present the certificate she has pinned, §5.1); her pinned relay id changes.
      const newBob = (await makeUser(`${t.dir}/new`, 'bob', relay2.address)).profile;
      await login(alice, 'alice', parseRelayAddress(relay2.address));

      const e = await withMessenger(alice, (m) => m.sendMessage('bob', 'secret')).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ChatError);
      expect((e as ChatError).code).toBe('KEY_CHANGED');
      expect((e as ChatError).exitCode).toBe(4);
      expect((await receiveOnce(newBob)).summary.received).toBe(0);
      await withMessenger(alice, async (m) => expect(m.history().map((h) => h.body)).toEqual(['hi']));

      // The new "bob" writes to alice, who pinned the old bob: held, not acknowledged, so held again next time.
      await withMessenger(newBob, (m) => m.sendMessage('alice', 'trust me'));
      const r = await receiveOnce(alice);
      expect(r.messages).toEqual([]);
      expect(r.held).toEqual([
        { id: expect.stringMatching(/^[0-9a-f]{32}$/) as string, from: 'bob', reason: 'KEY_CHANGED' },
      ]);
      expect((await receiveOnce(alice)).summary.held).toBe(1);
    } finally {
      await relay1.stop();
      await relay2.stop();
      t.cleanup();
    }
  });
});

describe('Messenger when the relay drops the connection mid-send', () => {
  it('exits 5 with the retry hint, and records nothing as sent', async () => {
    const t = tempDir('drop');
    const bob = signBundle('bob', generateIdentity());
    const { server, port } = await scriptedRelay((frame, socket, reply) => {
      if (handshake(frame, reply)) return;
      if (frame.t === 'lookup')
        reply({
          t: 'bundle',
          rid: frame.rid,
          user: 'bob',
          idpk: bob.identityPublicKey,
          encpk: bob.encryptionPublicKey,
          bsig: bob.signature,
        });
      if (frame.t === 'send') socket.destroy();
    });
    try {
      const profile = new Profile(`${t.dir}/alice`);
      profile.saveIdentity(generateIdentity());
      profile.saveConfig({ version: 1, username: 'alice', relay: `127.0.0.1:${port}`, relayId: '01'.repeat(32) });
      const e = await withMessenger(profile, (m) => m.sendMessage('bob', 'lost?')).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ChatError);
      expect((e as ChatError).exitCode).toBe(5);
      expect((e as ChatError).message).toContain('not confirmed');
      expect((e as ChatError).hint).toContain('new message');
      await withMessenger(profile, async (m) => expect(m.history()).toEqual([]));
    } finally {
      await new Promise((r) => server.close(r));
      t.cleanup();
    }
  });
});

describe('Messenger when no connection to the relay can be made', () => {
  it('exits 5 saying the message was not sent (not "may or may not have been stored"), and records nothing', async () => {
    const t = tempDir('refused');
    // A port that was just free: connection refused, so nothing can have reached a relay (hunt3).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    try {
      const profile = new Profile(`${t.dir}/alice`);
      profile.saveIdentity(generateIdentity());
      profile.saveConfig({ version: 1, username: 'alice', relay: `127.0.0.1:${port}`, relayId: '01'.repeat(32) });
      const e = await withMessenger(profile, (m) => m.sendMessage('bob', 'never sent')).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ChatError);
      expect((e as ChatError).exitCode).toBe(5);
      expect((e as ChatError).message).toMatch(/; the message was not sent$/);
      expect((e as ChatError).hint).toBe('nothing reached the relay; running chat send again sends it');
      await withMessenger(profile, async (m) => expect(m.history()).toEqual([]));
    } finally {
      t.cleanup();
    }
  });
});
