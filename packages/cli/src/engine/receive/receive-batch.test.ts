/**
 * Batched receiving (receiver.ts, receive-check.ts, receive-commit.ts) against the real relay binary: a mailbox of
 * hundreds of envelopes, good ones mixed with every kind of bad one, is handled exactly as one at a time would be —
 * with the signature worker (signatures.ts) and without it.
 */
import {
  MessageKind,
  generateIdentity,
  openEnvelope,
  randomMessageId,
  sealEnvelope,
  toHex,
  utf8,
  type Identity,
} from '@chat/crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeUser, relayInProcess, tempDir, type InProcessRelay } from '../../../test/helpers.js';
import { Connection } from '../net/connection.js';
import { Messenger, type HeldMessage, type ReceivedMessage, type RejectedMessage } from '../messenger.js';
import type { Profile } from '../profile.js';
import { PARALLEL_BACKLOG, receiverTuning, secondCoreUsable } from './receiver.js';
import { SignatureResult, SignatureVerifier } from '../signatures.js';
import type { TrustNewIdentities } from '../contacts/identities.js';

/** The tests run from the sources; the worker is the built script (`npm test` builds first). */
const BUILT_WORKER = new URL('../../../dist/engine/verify-worker.js', import.meta.url);

describe('SignatureVerifier (the worker thread)', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const open = (signer: Uint8Array) => {
    const id = randomMessageId();
    const env = sealEnvelope(
      { kind: MessageKind.text, from: 'alice', to: 'bob', id, ts: Date.now(), body: utf8('hi') },
      signer,
      bob.encryption.publicKey,
    );
    return openEnvelope(env, { username: 'bob', encryption: bob.encryption }, id);
  };

  it('answers verified / failed / error per envelope, in order, like verifyEnvelopeSignature', async () => {
    const v = SignatureVerifier.start(BUILT_WORKER);
    expect(v).toBeDefined();
    try {
      const good = open(alice.identity.secretKey);
      const forged = open(generateIdentity().identity.secretKey);
      const altered = { ...good, body: utf8('ho') }; // fields no longer the ones signed
      const results = await v!.verify([
        { opened: good, publicKey: alice.identity.publicKey },
        { opened: forged, publicKey: alice.identity.publicKey },
        { opened: good, publicKey: bob.identity.publicKey },
        { opened: altered, publicKey: alice.identity.publicKey },
        { opened: good, publicKey: new Uint8Array(31) },
      ]);
      expect([...results]).toEqual([
        SignatureResult.verified,
        SignatureResult.failed,
        SignatureResult.failed,
        SignatureResult.failed,
        SignatureResult.error,
      ]);
    } finally {
      await v!.close();
    }
    await expect(v!.verify([])).rejects.toThrow(/stopped/);
  });

  it('is not started where there is no worker script', () => {
    expect(SignatureVerifier.start(new URL('./no-such-worker.js', import.meta.url))).toBeUndefined();
  });
});

describe.each([
  ['with the signature worker', 1],
  ['on the main thread only', Number.POSITIVE_INFINITY],
])('a mailbox of mixed envelopes, %s', (_name, backlog) => {
  let t: ReturnType<typeof tempDir>;
  let relay: InProcessRelay;
  let n = 0;
  let alice: Profile;
  let bob: Profile;
  let carol: Profile;
  let aliceId: Identity;
  let carolId: Identity;
  let bobEncPk: Uint8Array;

  beforeAll(async () => {
    t = tempDir('receive-batch');
    // Hundreds of sends at once: lift the per-user request rate (§11) for this relay.
    relay = await relayInProcess(`${t.dir}/relay`, { limits: { messagesPerSecond: 100_000, messagesBurst: 100_000 } });
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });
  beforeEach(async () => {
    n++;
    alice = (await makeUser(t.dir, `alice${n}`, relay.address)).profile;
    bob = (await makeUser(t.dir, `bob${n}`, relay.address)).profile;
    carol = (await makeUser(t.dir, `carol${n}`, relay.address)).profile;
    aliceId = alice.loadIdentity();
    carolId = carol.loadIdentity();
    bobEncPk = bob.loadIdentity().encryption.publicKey;
    receiverTuning.parallelBacklog = backlog;
    receiverTuning.secondCoreUsable = () => true;
    receiverTuning.workerUrl = BUILT_WORKER;
  });
  afterEach(() => {
    receiverTuning.parallelBacklog = PARALLEL_BACKLOG;
    receiverTuning.secondCoreUsable = secondCoreUsable;
    receiverTuning.workerUrl = undefined;
  });

  interface Raw {
    id: Uint8Array;
    env: Uint8Array;
  }
  const seal = (from: string, signer: Identity, body: string): Raw => {
    const id = randomMessageId();
    return {
      id,
      env: sealEnvelope(
        { kind: MessageKind.text, from, to: `bob${n}`, id, ts: Date.now(), body: utf8(body) },
        signer.identity.secretKey,
        bobEncPk,
      ),
    };
  };
  /** Stores `envs` in bob's mailbox in this order (one connection, pipelined; the relay stores them in order). */
  async function deliver(envs: Raw[]): Promise<void> {
    const conn = await Connection.open({
      address: { host: '127.0.0.1', port: relay.port },
      username: `alice${n}`,
      identity: aliceId,
      mode: 'send',
    });
    await Promise.all(envs.map((e) => conn.send(`bob${n}`, e.id, e.env)));
    await conn.close();
  }
  async function receive(policy: TrustNewIdentities = 'on-first-use') {
    const m = await Messenger.open(bob, { trustNewIdentities: policy });
    const ev = { messages: [] as ReceivedMessage[], held: [] as HeldMessage[], rejected: [] as RejectedMessage[] };
    m.on('message', (x) => ev.messages.push(x));
    m.on('held', (x) => ev.held.push(x));
    m.on('rejected', (x) => ev.rejected.push(x));
    try {
      const summary = await m.receive();
      return { ...ev, summary, history: m.history().filter((h) => h.direction === 'in').length };
    } finally {
      m.close();
    }
  }

  it('good ones in order, a forgery and a broken one rejected, an unknown sender pinned on the way', async () => {
    // Bob knows alice already (so her signatures are checked in batches against her pinned key), not carol.
    await deliver([seal(`alice${n}`, aliceId, 'hello')]);
    expect((await receive()).summary.received).toBe(1);

    const forged = seal(`alice${n}`, generateIdentity(), 'forged');
    const broken = seal(`alice${n}`, aliceId, 'broken');
    broken.env[60] = (broken.env[60] ?? 0) ^ 1;
    const fromCarol = seal(`carol${n}`, carolId, 'from carol');
    const texts = (p: string) => Array.from({ length: 100 }, (_, i) => seal(`alice${n}`, aliceId, `${p}${i}`));
    const [a, b, c] = [texts('a'), texts('b'), texts('c')];
    await deliver([...a, forged, ...b, fromCarol, broken, ...c]);

    const verify = vi.spyOn(SignatureVerifier.prototype, 'verify');
    const r = await receive();
    // The worker checked alice's signatures (all but what came before her key was read), or was never asked.
    if (backlog === 1) expect(verify.mock.calls.flatMap((c) => c[0]).length).toBeGreaterThanOrEqual(300);
    else expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
    expect(r.summary).toEqual({ received: 301, duplicates: 0, held: 0, rejected: 2 });
    expect(r.messages.map((x) => x.body)).toEqual([
      ...a.map((_, i) => `a${i}`),
      ...b.map((_, i) => `b${i}`),
      'from carol',
      ...c.map((_, i) => `c${i}`),
    ]);
    expect(r.rejected.map((x) => [x.id, x.code])).toEqual([
      [toHex(forged.id), 'ENVELOPE_BAD_SIGNATURE'],
      [toHex(broken.id), 'ENVELOPE_OPEN_FAILED'],
    ]);
    expect(r.history).toBe(302);
    // Everything was acknowledged.
    expect((await receive()).summary).toEqual({ received: 0, duplicates: 0, held: 0, rejected: 0 });
  });

  it('an untrusted sender (trust-new-identities never) is held, message after message, and nothing is acknowledged', async () => {
    const first = seal(`carol${n}`, carolId, 'first');
    await deliver([first]);
    expect((await receive('never')).summary).toEqual({ received: 0, duplicates: 0, held: 1, rejected: 0 }); // pinned untrusted
    const more = Array.from({ length: 300 }, (_, i) =>
      seal(i % 3 === 0 ? `alice${n}` : `carol${n}`, i % 3 === 0 ? aliceId : carolId, `m${i}`),
    );
    await deliver(more);
    const r = await receive('never');
    // alice is new under `never` too: her first message pins her untrusted, so all of hers are held as well.
    expect(r.summary).toEqual({ received: 0, duplicates: 0, held: 301, rejected: 0 });
    expect(r.held.every((h) => h.reason === 'UNTRUSTED_IDENTITY')).toBe(true);
    expect(r.held.map((h) => h.id)).toEqual([toHex(first.id), ...more.map((e) => toHex(e.id))]);
    // Held envelopes stay on the relay.
    expect((await receive('never')).summary.held).toBe(301);
  });
});
