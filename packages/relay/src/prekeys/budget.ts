/**
 * The one-time budget (PROTOCOL.md §23.6): every `prekey_get` costs one token from its requester's account bucket
 * and one from its source address's buckets (the IPv6 blocks as in §11). Without both, the relay answers from the
 * signed keys only, so nobody drains another user's one-time keys faster than the budget. Also the upload budget
 * (§23.3): prekeys one account may upload, each a signature to verify. In memory, per process.
 */
import type { AddressPrefix } from '../address-key.js';
import { BucketMap, PrefixBuckets, type Limits } from '../limits.js';

export type PrekeyBudgetLimits = Pick<
  Limits,
  | 'prekeyTakesPerHour'
  | 'prekeyTakesBurst'
  | 'prekeyTakesPerIpPerHour'
  | 'prekeyTakesPerIpBurst'
  | 'prekeyUploadsPerHour'
  | 'prekeyUploadsBurst'
>;

export class PrekeyBudget {
  private readonly accounts: BucketMap;
  private readonly addresses: PrefixBuckets;
  private readonly uploads: BucketMap;

  constructor(limits: PrekeyBudgetLimits) {
    this.uploads = new BucketMap(limits.prekeyUploadsPerHour / 3600, limits.prekeyUploadsBurst);
    this.accounts = new BucketMap(limits.prekeyTakesPerHour / 3600, limits.prekeyTakesBurst);
    this.addresses = new PrefixBuckets(limits.prekeyTakesPerIpPerHour / 3600, limits.prekeyTakesPerIpBurst);
  }

  /** True if `requester` from `address` may take one-time keys now (and is charged); a refusal charges nothing. */
  take(requester: string, address: readonly AddressPrefix[], now: number): boolean {
    if (this.accounts.take(requester, 1, now) > 0) return false;
    if (this.addresses.take(address, now) > 0) {
      this.accounts.take(requester, -1, now); // give the account's token back
      return false;
    }
    return true;
  }

  /**
   * Charges `entries` uploaded prekeys to `owner` (§23.3: each is a signature to verify); 0 if allowed, else the ms
   * until it would be (Infinity: never, the batch is larger than the burst). A refusal charges nothing.
   */
  takeUploads(owner: string, entries: number, now: number): number {
    return entries === 0 ? 0 : this.uploads.take(owner, entries, now);
  }

  sweep(now: number): void {
    this.uploads.sweep(now);
    this.accounts.sweep(now);
    this.addresses.sweep(now);
  }
}
