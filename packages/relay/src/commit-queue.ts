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
 * drops as a duplicate, §9).
 */
export class CommitQueue {
  private pending: Pending[] = [];
  private removals: Removal[] = [];
  private scheduled = false;
  private waiters: (() => void)[] = [];

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
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Commits whatever is queued now. Called by the timer, and once more at shutdown. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    const removals = this.removals;
    const waiters = this.waiters;
    this.pending = [];
    this.removals = [];
    this.waiters = [];
    try {
      this.commit(batch, removals);
    } finally {
      for (const w of waiters) w();
    }
  }

  private commit(batch: Pending[], removals: Removal[]): void {
    if (batch.length === 0 && removals.length === 0) return;
    const started = performance.now();
    let results: PutResult[];
    try {
      results = this.store.commit(
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
