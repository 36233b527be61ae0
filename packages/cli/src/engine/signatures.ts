/**
 * Ed25519 verification of received envelopes (§4 step 6) on a second thread, so that a long login drain uses a
 * second core: the receiver opens envelopes (which needs our secret key, and stays on the main thread) while the
 * worker (verify-worker.ts) checks the signatures of those already opened. The answers are the worker's run of the
 * very same `verifyEnvelopeSignature`; the caller decides what they mean exactly as it would on the main thread.
 *
 * Optional by design: if the worker cannot start or fails, `verify` rejects and the caller verifies on the main
 * thread instead; nothing is ever accepted because of a failure here.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { VerifyReply, VerifyRequest } from './signature-result.js';

export { SignatureResult } from './signature-result.js';

/**
 * The worker is tsc's dist/engine/verify-worker.js. This module is beside it when run from tsc's output, but in the
 * bundled `chat` (scripts/bundle.mjs) it sits in dist/bin/chat.js or one of dist/bin/chunks/, so each of those
 * relative places is tried; none found means no worker (as when run from the TypeScript sources).
 */
function builtWorker(): URL | undefined {
  for (const rel of ['./verify-worker.js', '../engine/verify-worker.js', '../../engine/verify-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

export class SignatureVerifier {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: Uint8Array) => void; reject: (e: Error) => void }>();
  #next = 1;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref(); // never what keeps the process alive
    worker.on('message', (reply: VerifyReply) => {
      const p = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      p?.resolve(reply.results);
    });
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', () => this.#fail(new Error('the signature worker exited')));
  }

  /**
   * A verifier on a new worker thread, or undefined where there is none to start (running from the TypeScript
   * sources, as the unit tests do: the worker is the built verify-worker.js).
   */
  static start(url: URL | undefined = builtWorker()): SignatureVerifier | undefined {
    if (url === undefined || (url.protocol === 'file:' && !existsSync(fileURLToPath(url)))) return undefined;
    try {
      return new SignatureVerifier(new Worker(url));
    } catch {
      return undefined;
    }
  }

  /** One SignatureResult per job, in order. Rejects if the worker failed; the caller then verifies itself. */
  verify(jobs: VerifyRequest['jobs']): Promise<Uint8Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const req: VerifyRequest = { id, jobs };
      try {
        this.#worker.postMessage(req);
      } catch (err) {
        this.#pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Stops the worker; anything still pending rejects. */
  async close(): Promise<void> {
    this.#fail(new Error('the signature worker was stopped'));
    await this.#worker.terminate();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
  }
}
