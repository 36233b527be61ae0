/**
 * The one-time budget (PROTOCOL.md §23.6): every `prekey_get` costs one token from its requester's account bucket
 * and one from its source address's buckets (the IPv6 blocks as in §11). Without both, the relay answers from the
 * signed keys only, so nobody drains another user's one-time keys faster than the budget. In memory, per process.
 */
import type { AddressPrefix } from '../address-key.js';
import { BucketMap, PrefixBuckets, type Limits } from '../limits.js';

export type PrekeyBudgetLimits = Pick<
  Limits,
  'prekeyTakesPerHour' | 'prekeyTakesBurst' | 'prekeyTakesPerIpPerHour' | 'prekeyTakesPerIpBurst'
>;

export class PrekeyBudget {
  private readonly accounts: BucketMap;
  private readonly addresses: PrefixBuckets;

  constructor(limits: PrekeyBudgetLimits) {
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

  sweep(now: number): void {
    this.accounts.sweep(now);
    this.addresses.sweep(now);
  }
}
