/**
 * One receiving session (§9): envelopes are handled strictly in delivery order, each opened and checked as §4
 * prescribes (receive-check.ts), committed to history (receive-commit.ts), and only then acknowledged. Envelopes are
 * taken in batches — whatever has arrived, up to MAX_BATCH — and a batch commits in one transaction, so a login drain
 * of thousands of messages costs a few dozen commits instead of several per message. Held envelopes (changed sender
 * key) are not acknowledged and stay on the relay.
 */
import { availableParallelism, loadavg } from 'node:os';
import type { MsgFrame } from '@chat/protocol';
import { toHex } from '@chat/crypto';
import { ChatError } from '../errors.js';
import type { ReceiveContext } from '../context.js';
import type { ReceiveOptions, ReceiveSummary } from '../events.js';
import { checkBatch } from './check.js';
import { commitChecked, type Committed } from './commit.js';
import { HeldEnvelopes } from './held.js';
import type { SignatureVerifier } from '../signatures.js';
import { SessionsChanged, isV2Envelope } from '../v2/open.js';
import type { UnsealPool } from '../v2/unseal-pool.js';
import { UnsealAhead } from './unseal-ahead.js';

/**
 * Most envelopes committed in one transaction. Large enough that the per-commit fsync and the per-batch receipt are
 * spread over many messages, small enough that the first of a long drain is shown (and acknowledged) quickly.
 */
export const MAX_BATCH = 512;

/**
 * Most envelopes in one batch while at least this many are queued (a long backlog: a login drain). Message ids are
 * random, so each commit rewrites (encrypts, logs, later checkpoints) nearly every page of the history's id index that
 * a batch's rows land in: with 50,000 messages in the history a commit of 512 rows rewrote ~330 of its ~550 pages,
 * ~11 ms a commit, ~14 % of the drain (docs/BENCHMARKS.md, "The drain: HMAC on libsodium, batches for long
 * drains, …"). A batch of 2,048 rewrites about as many pages for four times the rows. Below it the batches stay at
 * MAX_BATCH, and so they do for a receiver that follows (the interactive session, the daemon): a v2 batch is checked
 * without an await, ~0.2–0.3 s for 2,048 here, and the session must keep drawing meanwhile (review rev6, I1); a
 * one-shot `chat recv` drains with nobody waiting on its event loop.
 */
export const LONG_BATCH = 2048;

/**
 * A batch whose sessions changed under it this many times in a row (each time checked again) ends the receive with
 * SESSION_BUSY, a retryable error: nothing of it was committed or acknowledged.
 */
export const MAX_SESSION_CONFLICTS = 3;

/** A backlog at least this long starts the signature worker (signatures.ts); a few messages are not worth a thread. */
export const PARALLEL_BACKLOG = 256;

/**
 * Whether the signature worker can help: at least two cores, and the machine not already oversubscribed (1-minute
 * load average below twice the core count; the drain itself and a local relay count too). Measured on a shared
 * 2-core machine, 10,000 messages: at load ~3 the worker cut the drain from 2.46 to 2.06 s (medians of 3); at
 * load 4–5 it made it slower (3.7 against 3.0 s), a second thread only competing with everything else.
 */
export function secondCoreUsable(): boolean {
  const cores = availableParallelism();
  return cores >= 2 && loadavg()[0]! < 2 * cores;
}

/**
 * On a machine with at least this many cores the unseal pool starts whenever `secondCoreUsable` holds; below it,
 * only while the machine is otherwise close to idle (`unsealPoolUsable`). With more cores the main thread's box opens
 * (a third of its CPU) move to otherwise idle ones; not measured here.
 */
export const UNSEAL_MIN_CORES = 4;

/**
 * Whether the unseal pool pays on `cores` cores at a 1-minute load average of `load` (when `secondCoreUsable` holds):
 * always from UNSEAL_MIN_CORES cores; on two or three, only while the load average is below the core count, i.e.
 * the machine not already saturated (the drain's own recent work counts: back-to-back drains here keep it at
 * 1.8–2.0). Where the load is unknown (`undefined`: Windows, whose load average is always 0), only from
 * UNSEAL_MIN_CORES. In a container or under a CPU affinity mask the load average is the host's while `cores` is this
 * process's share, so the gate can be wrong either way there.
 *
 * Measured on this project's 2-core machine with the relay beside the client (`CHAT_BENCH_WORKERS=on|off node
 * scripts/bench/scenario.mjs drain-v2`, alternated; docs/BENCHMARKS.md, "The drain on a quiet machine"): quiet,
 * 10,000 in a median 1.04 s with the pool against 1.18 s without (9 alternated runs each), 50,000 in 4.27–4.29 s
 * against 5.02–5.85 s; beside one busy loop (load 1.1–1.8), a tie (medians 1.34 against 1.28 s, 7.32 against 7.45 s
 * for 50,000); with other builds and tests running (load 2–3.6) the pool lost ("The unseal pool on two cores"): its
 * worker's start-up and its own isolate add ~25–40 µs of CPU per message, and on a busy machine that CPU is the
 * drain's.
 */
export function unsealPoolFits(cores: number, load: number | undefined): boolean {
  if (cores >= UNSEAL_MIN_CORES) return true;
  return load !== undefined && cores >= 2 && load < cores;
}

/** Whether a long v2 backlog starts the unseal pool on this machine now (`unsealPoolFits`). */
export const unsealPoolUsable = (): boolean =>
  unsealPoolFits(availableParallelism(), process.platform === 'win32' ? undefined : loadavg()[0]);

/** Unseal workers for a long v2 backlog: the cores beside the main thread's, at most 3 (one box each is cheap). */
export const unsealWorkers = (): number => Math.max(1, Math.min(availableParallelism() - 1, 3));

/**
 * @internal For tests: when the signature worker and the unseal pool start, and their scripts (the tests run from the
 * TypeScript sources, next to which there is no verify-worker.js or unseal-worker.js; they point at the built ones).
 */
export const receiverTuning: {
  parallelBacklog: number;
  secondCoreUsable: () => boolean;
  workerUrl: URL | undefined;
  unsealWorkerUrl: URL | undefined;
  unsealPoolUsable: () => boolean;
} = {
  parallelBacklog: PARALLEL_BACKLOG,
  secondCoreUsable,
  unsealPoolUsable,
  workerUrl: undefined,
  unsealWorkerUrl: undefined,
};

export type { ReceiveOptions, ReceiveSummary } from '../events.js';

export async function receive(m: ReceiveContext, options: ReceiveOptions): Promise<ReceiveSummary> {
  const { follow = false, signal } = options;
  if (signal?.aborted) return { received: 0, duplicates: 0, held: 0, rejected: 0 };
  m.emit('status', 'connecting');
  const conn = await m.connect('recv');
  m.setLive(conn, true);
  m.emit('status', 'online');
  // The outbox goes out on every (re)connect; a failure here is the connection's, which `close` reports.
  m.flushOutbox(conn).catch(() => {});
  const published = m.publishPrekeys(conn);
  const summary: ReceiveSummary = { received: 0, duplicates: 0, held: 0, rejected: 0 };
  const queue: (MsgFrame | null)[] = [];
  const acks: Uint8Array[] = [];
  let draining = false;
  let done = false;
  let verifier: SignatureVerifier | undefined;
  let verifierTried = false;
  /** The backlog is drained (`synced` seen): from here on no unseal pool starts (see `stopPool`). */
  let synced = false;
  let pool: UnsealPool | undefined;
  let ahead: UnsealAhead | undefined;
  /** Batches in a row checked again because a session changed under them (SessionsChanged). */
  let conflicts = 0;
  /** Ids checked again once already: a frame held twice waits for the next `retry` (no loop). */
  const retried = new Set<string>();

  return new Promise<ReceiveSummary>((resolve, reject) => {
    /** Held envelopes of this session, in delivery order (held.ts): released by a trust, here or in another process. */
    const held = new HeldEnvelopes(m.store, (from) => void retry(from));
    /** Checks what was held from `from` again, now, in order, behind whatever is already queued. */
    const retry = (from: string): number => {
      if (done) return 0;
      const again = held.take(from);
      if (again.length === 0) return 0;
      queue.push(...again);
      schedule();
      return again.length;
    };
    /** Stops once: acknowledges what is committed, waits for the relay to have handled it (`pong`), closes. */
    const finish = async (err?: unknown): Promise<void> => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      m.setLive(conn, false);
      if (follow) m.setHeldRetry(undefined);
      held.stop();
      try {
        // Acknowledge what is committed even when stopping on an error, if the connection still lives.
        flush();
        // Receipts queued while draining (and anything else waiting) go out before we leave.
        if (!err) await m.flushOutbox(conn);
        if (!err) await published; // a one-shot `chat recv` leaves its prekeys on the relay before it closes
        if (!err) await conn.ping();
      } catch (e) {
        err ??= e;
      }
      ahead?.close();
      await Promise.all([conn.close(), verifier?.close(), pool?.close()]);
      m.emit('status', 'offline');
      if (err) reject(err);
      else resolve(summary);
    };
    /**
     * Keeps what was held for `retry`; but a frame whose check began before its sender's key was accepted and ended
     * after (a race with /trust) is checked again at once, once, so it is not left behind the ones `retry` released.
     */
    const keepHeld = (list: Committed['held']): void => {
      for (const h of list) {
        const id = toHex(h.frame.id);
        const trust = m.store.contacts.get(h.from)?.trust;
        if (h.reason !== 'BUNDLE_INVALID' && (trust === 'unverified' || trust === 'verified') && !retried.has(id)) {
          retried.add(id);
          queue.push(h.frame);
          schedule();
        } else held.keep(h);
      }
    };
    const flush = (): void => {
      if (acks.length > 0) conn.ack(acks.splice(0));
    };
    /** The frames up to the next `synced` marker, at most MAX_BATCH (LONG_BATCH behind a one-shot's long backlog). */
    const takeBatch = (): MsgFrame[] => {
      const limit = !follow && queue.length >= LONG_BATCH ? LONG_BATCH : MAX_BATCH;
      let n = 0;
      while (n < queue.length && n < limit && queue[n] !== null) n++;
      return queue.splice(0, n) as MsgFrame[];
    };
    /**
     * Checks the frames in order, commits the checked ones in one transaction, then acknowledges them and emits their
     * events. A check that throws (a lookup's connection error) stops the batch: what was checked before it is still
     * committed and acknowledged, then the error ends the session; the rest is delivered again next time.
     */
    const handleBatch = async (frames: readonly MsgFrame[]): Promise<void> => {
      if (!verifierTried && frames.length + queue.length >= receiverTuning.parallelBacklog) {
        verifierTried = true;
        // Loaded only for a long backlog: a one-shot `chat recv` of a few messages never pays for worker_threads.
        if (receiverTuning.secondCoreUsable()) {
          // Each worker only for the envelopes it serves: a v2 envelope carries no signature (§24.1), and a worker
          // that loads for nothing takes the second core's time from the relay and the unseal pool.
          if (frames.some((f) => !isV2Envelope(f.env)))
            verifier = (await import('../signatures.js')).SignatureVerifier.start(receiverTuning.workerUrl);
          // Not after the backlog: a following session's later burst (a `/trust` releasing held messages, a busy
          // sender) is opened here, so the workers' copies of our key live only while a login drain needs them.
          if (!synced && frames.some((f) => isV2Envelope(f.env)) && receiverTuning.unsealPoolUsable())
            await startPool();
        }
      }
      const result = await checkBatch(m, conn, frames, () => done || signal?.aborted === true, verifier, ahead);
      const checked = result.checked;
      if (checked.length > 0) {
        let committed: Committed;
        try {
          committed = commitChecked(m, checked, options, summary, result.saveSessions);
        } catch (err) {
          // A v2 session changed under the batch (the outbox sealed in it while the batch awaited): nothing was
          // committed or acknowledged; the same frames are checked again, first, against the sessions as stored now.
          if (!(err instanceof SessionsChanged)) throw err;
          if (conflicts >= MAX_SESSION_CONFLICTS) {
            // Retryable (exit 5): a live session reconnects and checks them again; `chat recv` says to run it again.
            throw new ChatError(
              'SESSION_BUSY',
              `the v2 session with ${err.peer} changed under this receive ${conflicts + 1} times in a row (another chat process or session sealed in it meanwhile)`,
              { hint: 'nothing was committed or acknowledged: receive again', cause: err },
            );
          }
          conflicts++;
          queue.unshift(...frames);
          return;
        }
        conflicts = 0;
        // Committed: from here on the relay may delete them (§9), and the receipts may go out.
        acks.push(...committed.acks);
        if (follow) keepHeld(committed.held);
        for (const emit of committed.events) emit();
        if (!done) flush();
        // After the acks, on the same connection: a resend request (§24.7) reaches the relay after the ack of the
        // envelope it asks for, so the resent copy is stored anew rather than taken for a retry of the old one.
        if (committed.queued) m.kickOutbox();
      }
      if (result.failed) throw result.error;
    };
    /**
     * Starts the unseal pool (v2/unseal-pool.ts) and sends it what is queued behind this batch: this batch is opened
     * here meanwhile, the next ones by the workers.
     */
    const startPool = async (): Promise<void> => {
      const { encryption } = m.identity;
      const keys = { publicKey: encryption.publicKey, secretKey: encryption.secretKey };
      pool = (await import('../v2/unseal-pool.js')).UnsealPool.start(
        keys,
        unsealWorkers(),
        receiverTuning.unsealWorkerUrl,
      );
      if (pool && done) await pool.close(); // `finish` ran during the import: it closed no pool
      if (!pool || done) return;
      ahead = new UnsealAhead(pool);
      for (const f of queue) if (f) ahead.add(f);
    };
    /**
     * A following session's backlog is drained (`synced`): what comes now arrives a few frames at a time, so the
     * workers, and with them their copies of our secret key, go; a box still with them is opened here.
     */
    const stopPool = async (): Promise<void> => {
      ahead?.close();
      ahead = undefined;
      const stopping = pool;
      pool = undefined;
      await stopping?.close();
    };
    const drain = async (): Promise<void> => {
      if (draining) return;
      draining = true;
      try {
        while (!done && !signal?.aborted && queue.length > 0) {
          if (queue[0] === null) {
            queue.shift();
            m.emit('synced');
            synced = true;
            if (!follow) await finish();
            else await stopPool();
            continue;
          }
          await handleBatch(takeBatch());
          // Let the event loop run between batches: replies to our requests (receipts being sent) and more frames
          // are read, and a long drain never holds off I/O for long.
          if (queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (err) {
        await finish(err);
      } finally {
        draining = false;
      }
      if (!done && signal?.aborted) await finish();
    };
    /**
     * Starts draining on the next turn of the event loop rather than at once, so that every frame already read from
     * the socket joins the batch (one commit for all of them instead of one for the first and one for the rest).
     */
    let scheduled = false;
    const schedule = (): void => {
      if (scheduled || draining) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void drain();
      });
    };
    const onAbort = (): void => {
      if (!draining) void finish();
    };
    signal?.addEventListener('abort', onAbort);
    // A key accepted while we listen (§3.4): what was held from that sender is checked again now, in order, behind
    // whatever is already queued; the relay still has it (never acknowledged), so a failure loses nothing.
    if (follow) m.setHeldRetry(retry);
    conn.on('msg', (frame) => {
      queue.push(frame);
      ahead?.add(frame);
      schedule();
    });
    conn.on('synced', () => {
      queue.push(null);
      schedule();
    });
    conn.on('close', (err) => {
      if (!done)
        void finish(err ?? new ChatError('CONNECTION_LOST', `the relay at ${conn.address} closed the connection`));
    });
    conn.resume();
  });
}
