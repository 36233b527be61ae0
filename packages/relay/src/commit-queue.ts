import type { EnvelopeInput, MailboxQuota, MailboxStore, PutResult, Removal } from './store/mailbox-store.js';

interface Pending {
  item: EnvelopeInput;
  resolve: (result: PutResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: every `send` and every `ack` that arrives in the same turn of the event loop is applied in one
 * transaction, so one disk sync covers many envelopes. Each sender still learns its own result, and only after the
 * transaction that holds its envelope has committed (PROTOCOL.md §9: stored before `sent`). An `ack` has no reply;
 * its deletions ride in the next transaction (losing them in a crash only means a redelivery, which the client
 * drops as a duplicate, §9). One transaction is in flight at a time; what arrives meanwhile forms the next batch.
 */
export class CommitQueue {
  private pending: Pending[] = [];
  private removals: Removal[] = [];
  private scheduled = false;
  private waiters: (() => void)[] = [];
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly store: MailboxStore,
    private readonly quota: MailboxQuota,
    private readonly onCommit: (batchSize: number, ms: number) => void = () => {},
  ) {}

  /** Queues one envelope; resolves with its outcome once the batch it landed in has committed. */
  put(item: EnvelopeInput): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Queues the deletion of acknowledged envelopes for the next commit. */
  remove(recipient: string, ids: readonly Uint8Array[]): void {
    if (ids.length === 0) return;
    this.removals.push({ recipient, ids });
    this.schedule();
  }

  /** Resolves once everything queued up to this moment has been committed (or failed): at once if nothing is. */
  settled(): Promise<void> {
    if (!this.scheduled && this.inFlight === undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // While a transaction is in flight the next batch gathers; it starts when that one is done (`run`).
    if (this.inFlight === undefined) setImmediate(() => void this.run());
  }

  /**
   * Commits whatever is queued now, after the transaction in flight (if any); resolves once it has committed or
   * failed. Called by the timer, and at shutdown.
   */
  flush(): Promise<void> {
    if (this.inFlight !== undefined) {
      this.scheduled = true;
      return this.settled();
    }
    return this.run();
  }

  /**
   * One transaction at a time: the next batch starts only after the last one has committed, so envelopes reach the
   * store in the order they were queued (per-recipient order, §9) even on an engine whose calls could overtake each
   * other (PostgreSQL over several connections).
   */
  private async run(): Promise<void> {
    if (this.inFlight !== undefined) return this.inFlight;
    this.scheduled = false;
    const batch = this.pending;
    const removals = this.removals;
    const waiters = this.waiters;
    this.pending = [];
    this.removals = [];
    this.waiters = [];
    this.inFlight = this.commit(batch, removals);
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
      for (const w of waiters) w();
      if (this.scheduled) setImmediate(() => void this.run());
    }
  }

  private async commit(batch: Pending[], removals: Removal[]): Promise<void> {
    if (batch.length === 0 && removals.length === 0) return;
    const started = performance.now();
    let results: PutResult[];
    try {
      results = await this.store.commit(
        removals,
        batch.map((p) => p.item),
        this.quota,
      );
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    this.onCommit(batch.length, performance.now() - started);
    batch.forEach((p, i) => p.resolve(results[i]!));
  }
}
