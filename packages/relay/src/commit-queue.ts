import type { EnvelopeInput, MailboxQuota, MailboxStore, PutResult } from './store/mailbox-store.js';

interface Pending {
  item: EnvelopeInput;
  resolve: (result: PutResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: every `send` that arrives in the same turn of the event loop is stored in one transaction, so one
 * disk sync covers many envelopes. Each caller still learns its own result, and only after the transaction that
 * holds its envelope has committed (PROTOCOL.md §9: stored before `sent`).
 */
export class CommitQueue {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly store: MailboxStore,
    private readonly quota: MailboxQuota,
    private readonly onCommit: (batchSize: number, ms: number) => void = () => {},
  ) {}

  /** Queues one envelope; resolves with its outcome once the batch it landed in has committed. */
  put(item: EnvelopeInput): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now. Called by the timer, and once more at shutdown. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const started = performance.now();
    let results: PutResult[];
    try {
      results = this.store.putMany(
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
