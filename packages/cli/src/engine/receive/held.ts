/**
 * The envelopes a following session held (§3.4: a changed or untrusted sender key), kept in memory in delivery order
 * so that accepting the key shows them at once, without a reconnect (they are never acknowledged, so the relay still
 * has them and a crash loses nothing). The key may be accepted in the session itself (`/trust`, Messenger.trust calls
 * the session's retry) or by another process of the profile (`chat trust bob` in another terminal): that one only
 * commits to chat.db, so while anything is held the session watches the database for commits of other connections
 * (`data_version`) and compares the held senders' keys with those they were held under.
 */
import type { MsgFrame } from '@chat/protocol';
import type { Store } from '../store/store.js';
import type { Committed } from './commit.js';

/**
 * Most envelope bytes kept (not a count: a count of large envelopes was the old limit of 256, which 300 short
 * messages from one contact passed). 16 MiB is one sender's whole share of a mailbox on a relay with the default
 * limits (`mailboxSenderMaxBytes`, §11), so everything one contact can have waiting fits; beyond it (several senders
 * held at once, or a relay with larger shares) the rest stays on the relay for the next login.
 */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;

/** How often a session holding something looks for a trust given by another process: only a PRAGMA when idle. */
export const HELD_POLL_MS = 250;

export type Held = Committed['held'][number];

type HeldStore = Pick<Store, 'contacts' | 'dataVersion'>;

export class HeldEnvelopes {
  private readonly list: Held[] = [];
  private bytes = 0;
  /**
   * Senders with an envelope left on the relay, over the budget: nothing later of theirs is kept either, so a release
   * never shows a later held message before an earlier one (those come at the next login; what the sender sends
   * after the release may show before them, PROTOCOL.md §3.4).
   */
  private readonly overflowed = new Set<string>();
  /** Each held sender's key state (trust and fingerprint) when its envelopes were held. */
  private readonly keyAt = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private version = 0;

  /** `release(from)`: the key of `from` was accepted elsewhere; check its held envelopes again (Messenger.trust's). */
  constructor(
    private readonly store: HeldStore,
    private readonly release: (from: string) => void,
  ) {}

  /** Keeps `h` (in delivery order) if the budget allows; else it stays on the relay. */
  keep(h: Held): void {
    const size = h.frame.env.length;
    if (this.overflowed.has(h.from) || this.bytes + size > MAX_HELD_BYTES) {
      this.overflowed.add(h.from);
      return;
    }
    this.list.push(h);
    this.bytes += size;
    if (!this.keyAt.has(h.from)) this.keyAt.set(h.from, this.keyState(h.from));
    this.watch();
  }

  /** Removes and returns the frames held from `from`, in delivery order. */
  take(from: string): MsgFrame[] {
    const again: MsgFrame[] = [];
    let kept = 0;
    for (const h of this.list) {
      if (h.from === from) {
        again.push(h.frame);
        this.bytes -= h.frame.env.length;
      } else this.list[kept++] = h;
    }
    this.list.length = kept;
    this.keyAt.delete(from);
    this.overflowed.delete(from);
    if (this.list.length === 0) this.stop();
    return again;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private watch(): void {
    if (this.timer) return;
    this.version = this.store.dataVersion();
    this.timer = setInterval(() => this.poll(), HELD_POLL_MS);
    this.timer.unref();
  }

  /** Releases every held sender whose key another connection accepted since it was held. */
  private poll(): void {
    const v = this.store.dataVersion();
    if (v === this.version) return;
    this.version = v;
    for (const [from, before] of [...this.keyAt]) {
      const now = this.keyState(from);
      if (now !== before && /^(unverified|verified):/.test(now)) this.release(from);
    }
  }

  private keyState(user: string): string {
    const c = this.store.contacts.get(user);
    return c ? `${c.trust}:${c.fingerprint}` : 'none';
  }
}
