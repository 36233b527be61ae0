/**
 * A v2 mailbox drained with the unseal pool (v2/unseal-pool.ts, receive/unseal-ahead.ts) against a real relay: the
 * same messages, in the same order, the same rejections as on the main thread alone, also when the pool's workers
 * die on their first request or never answer (every box then opened on the main thread). A box that does not open is
 * always the main thread's to reject, with its own code. The delivery receipts leave sealed by the batch's own commit.
 */
import { MAX_RECEIPT_IDS, MessageKind, toHex, utf8 } from '@chat/crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sealAs } from '../../../test/seal-as.js';
import { makeUser, relayInProcess, tempDir, type InProcessRelay } from '../../../test/helpers.js';
import { Messenger } from '../messenger.js';
import { OutboxSender } from '../send/outbox-sender.js';
import { SignatureVerifier } from '../signatures.js';
import type { Profile } from '../profile.js';
import { UnsealPool } from '../v2/unseal-pool.js';
import { PARALLEL_BACKLOG, receiverTuning, secondCoreUsable, unsealPoolUsable } from './receiver.js';

/** The tests run from the sources; the worker is the built script (`npm test` builds first). */
const BUILT_WORKER = new URL('../../../dist/engine/v2/unseal-worker.js', import.meta.url);
const DYING_WORKER = new URL(
  `data:text/javascript,${encodeURIComponent(
    "import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => { throw new Error('boom'); });",
  )}`,
);
/** Workers that never answer nor claim a box: the main thread claims and opens every one (before: waited forever). */
const SILENT_WORKER = new URL(
  `data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => {});")}`,
);
/** More than one receive batch (MAX_BATCH, 512), so later batches find their boxes opened ahead. */
const COUNT = 600;

describe.each([
  ['with the unseal pool', BUILT_WORKER, true],
  ['with workers that die on their first request', DYING_WORKER, true],
  ['with workers that never answer', SILENT_WORKER, true],
  ['on the main thread only', undefined, false],
])('a v2 mailbox, %s', (_name, url, parallel) => {
  let t: ReturnType<typeof tempDir>;
  let relay: InProcessRelay;
  let alice: Profile;
  let bob: Profile;

  beforeAll(async () => {
    t = tempDir('unseal-drain');
    relay = await relayInProcess(`${t.dir}/relay`, {
      limits: {
        messagesPerSecond: 100_000,
        messagesBurst: 100_000,
        mailboxSenderMaxMessages: 100_000,
        mailboxAddressMaxMessages: 100_000,
      },
    });
    alice = (await makeUser(t.dir, 'alice', relay.address)).profile;
    bob = (await makeUser(t.dir, 'bob', relay.address)).profile;
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });
  beforeEach(() => {
    receiverTuning.parallelBacklog = parallel ? 1 : Number.POSITIVE_INFINITY;
    receiverTuning.secondCoreUsable = () => true;
    receiverTuning.unsealPoolUsable = () => true;
    receiverTuning.unsealWorkerUrl = url;
  });
  afterEach(() => {
    receiverTuning.parallelBacklog = PARALLEL_BACKLOG;
    receiverTuning.secondCoreUsable = secondCoreUsable;
    receiverTuning.unsealPoolUsable = unsealPoolUsable;
    receiverTuning.unsealWorkerUrl = undefined;
  });

  /**
   * A following session of bob's: `synced` once its backlog is drained, `arrival(body)` (asked before the send) once
   * a message with that body is shown, every body in `bodies`; `stop` ends it.
   */
  async function following() {
    const m = await Messenger.open(bob);
    const controller = new AbortController();
    const bodies: string[] = [];
    const waiting = new Map<string, () => void>();
    m.on('message', (x) => {
      bodies.push(x.body);
      waiting.get(x.body)?.();
    });
    const synced = new Promise<void>((resolve) => m.once('synced', () => resolve()));
    const session = m.receive({ follow: true, signal: controller.signal });
    return {
      bodies,
      synced,
      arrival: (body: string) => new Promise<void>((resolve) => waiting.set(body, resolve)),
      stop: async () => {
        controller.abort();
        await session;
        m.close();
      },
    };
  }

  // Only with the real worker (registered for that case alone, not skipped for the others).
  if (url === BUILT_WORKER)
    it('a following session stops the pool once its backlog is drained, and goes on receiving without it', async () => {
      const a = await Messenger.open(alice);
      await a.withConnectionFor(async (c) => {
        for (let i = 0; i < 20; i++) {
          const e = await sealAs(a, c, 'bob', { kind: MessageKind.text, body: utf8(`backlog ${i}`) });
          await c.send('bob', e.id, e.env);
        }
      });
      const start = vi.spyOn(UnsealPool, 'start');
      const close = vi.spyOn(UnsealPool.prototype, 'close');
      const receiving = await following();
      try {
        await receiving.synced;
        // Closed right behind `synced`, while the session still runs.
        expect(start).toHaveBeenCalledTimes(1);
        expect(close).toHaveBeenCalledTimes(1);
        // A frame that arrives now is opened on the main thread: no pool runs.
        const arrived = receiving.arrival('live');
        await a.sendMessage('bob', 'live');
        await arrived;
        expect(start).toHaveBeenCalledTimes(1);
        expect(close).toHaveBeenCalledTimes(1);
      } finally {
        await receiving.stop();
        a.close();
        start.mockRestore();
        close.mockRestore();
      }
      expect(receiving.bodies.slice(-21)).toEqual([...Array.from({ length: 20 }, (_, i) => `backlog ${i}`), 'live']);
    });

  if (url === BUILT_WORKER)
    it('a following session starts no pool after its backlog: a later burst is opened on the main thread', async () => {
      const a = await Messenger.open(alice);
      const start = vi.spyOn(UnsealPool, 'start');
      const receiving = await following();
      try {
        await receiving.synced; // nothing was waiting
        // One frame is a long backlog here (parallelBacklog = 1): before, it started the pool for the rest of the session.
        const arrived = receiving.arrival('after the backlog');
        await a.sendMessage('bob', 'after the backlog');
        await arrived;
        expect(start).not.toHaveBeenCalled();
      } finally {
        await receiving.stop();
        a.close();
        start.mockRestore();
      }
    });

  async function receive() {
    const m = await Messenger.open(bob);
    const bodies: string[] = [];
    const rejected: [string, string][] = [];
    m.on('message', (x) => bodies.push(x.body));
    m.on('rejected', (x) => rejected.push([x.id, x.code]));
    try {
      const summary = await m.receive();
      return { bodies, rejected, summary };
    } finally {
      m.close();
    }
  }

  it('every message in delivery order, a box that does not open rejected by the main thread', async () => {
    // A session both ways first (alice's first contact, bob's answer), then alice's envelopes in it.
    const a = await Messenger.open(alice);
    await a.sendMessage('bob', 'first');
    expect((await receive()).bodies).toEqual(['first']);
    const envs = await a.withConnectionFor(async (c) => {
      const out = [];
      for (let i = 0; i < COUNT; i++)
        out.push(await sealAs(a, c, 'bob', { kind: MessageKind.text, body: utf8(`m${i}`) }));
      return out;
    });
    const broken = envs[COUNT - 100]!;
    broken.env[60] = (broken.env[60] ?? 0) ^ 1;
    await a.withConnectionFor((c) => Promise.all(envs.map((e) => c.send('bob', e.id, e.env))));
    a.close();

    const unseal = vi.spyOn(UnsealPool.prototype, 'unseal');
    const verifierStart = vi.spyOn(SignatureVerifier, 'start');
    const sendEntry = vi.spyOn(OutboxSender.prototype, 'sendEntry');
    const r = await receive();
    // The delivery receipts were sealed in the session by the batch's commit (queue.ts sealNow), not at their send.
    const receipts = sendEntry.mock.calls.map((c) => c[1]).filter((e) => e.kind === MessageKind.delivered);
    sendEntry.mockRestore();
    expect(receipts.length).toBeGreaterThanOrEqual(Math.ceil((COUNT - 1) / MAX_RECEIPT_IDS));
    expect(receipts.every((e) => e.env !== undefined)).toBe(true);
    if (parallel) expect(unseal).toHaveBeenCalled();
    else expect(unseal).not.toHaveBeenCalled();
    unseal.mockRestore();
    // A backlog of v2 envelopes only: no signature to check, so the signature worker never loads (receiver.ts).
    expect(verifierStart).not.toHaveBeenCalled();
    verifierStart.mockRestore();
    // The broken one is lost to its chain position only: the ratchet skips its key, the rest decrypt.
    expect(r.bodies).toEqual(envs.map((_, i) => `m${i}`).filter((_, i) => i !== COUNT - 100));
    expect(r.rejected).toEqual([[toHex(broken.id), 'ENVELOPE_OPEN_FAILED']]);
    expect(r.summary).toEqual({ received: COUNT - 1, duplicates: 0, held: 0, rejected: 1 });
    // Everything was acknowledged.
    expect((await receive()).summary).toEqual({ received: 0, duplicates: 0, held: 0, rejected: 0 });
  });
});
