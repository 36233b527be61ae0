/**
 * Abuse limits (PROTOCOL.md §11): token buckets for per-user message and byte rates and per-IP connection rates, and
 * the connection gate that applies the maximum connection count. Pure bookkeeping over a clock; no I/O.
 */
import type { AddressPrefix } from './address-key.js';

/** A token bucket: `rate` tokens per second, holding at most `burst`. Starts full. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
    }
  }

  /** Takes `n` tokens if there are that many; returns 0 on success, else the ms until there will be. */
  take(n: number, now: number): number {
    this.refill(now);
    if (n <= this.tokens) {
      this.tokens -= n;
      return 0;
    }
    if (n > this.burst) return Infinity;
    return Math.ceil(((n - this.tokens) / this.rate) * 1000);
  }

  /** True when the bucket is full again, i.e. forgetting it changes nothing. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}

/** Per-key buckets, forgotten once full again (so the map holds only keys that were recently active). */
export class BucketMap {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  take(key: string, n: number, now: number): number {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.rate, this.burst, now);
      this.buckets.set(key, b);
    }
    return b.take(n, now);
  }

  /** Drops full buckets; call periodically. */
  sweep(now: number): void {
    for (const [key, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * Token buckets per address block (§11): each key of `addressPrefixes` has a bucket of `shares` × the rate and burst.
 * A take succeeds only if every block of the address has the tokens; a refused take is charged to none.
 */
export class PrefixBuckets {
  private readonly byShares = new Map<number, BucketMap>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  take(prefixes: readonly AddressPrefix[], now: number): number {
    const taken: [BucketMap, string][] = [];
    for (const { key, shares } of prefixes) {
      const map = this.mapFor(shares);
      const wait = map.take(key, 1, now);
      if (wait > 0) {
        for (const [m, k] of taken) m.take(k, -1, now);
        return wait;
      }
      taken.push([map, key]);
    }
    return 0;
  }

  sweep(now: number): void {
    for (const m of this.byShares.values()) m.sweep(now);
  }

  private mapFor(shares: number): BucketMap {
    let m = this.byShares.get(shares);
    if (!m) {
      m = new BucketMap(this.rate * shares, this.burst * shares);
      this.byShares.set(shares, m);
    }
    return m;
  }
}

/** The limits of §11 that the relay enforces; every field has a documented default (`DEFAULT_LIMITS`). */
export interface Limits {
  /** Open connections at most; one more gets a fatal `TOO_MANY_CONNECTIONS`. */
  maxConnections: number;
  /**
   * Open connections from one IP address at most (an IPv6 /64; a /56 twice, a /48 four times as many: address-key.ts);
   * one more gets a fatal `TOO_MANY_IP_CONNECTIONS`.
   */
  maxConnectionsPerIp: number;
  /** Authenticated sessions of one account at most (all modes); one more `auth` gets a fatal `TOO_MANY_SESSIONS`. */
  maxSessionsPerUser: number;
  /** New connections per IP address per second (sustained), and the burst allowed above it. */
  connectionsPerIpPerSecond: number;
  connectionsPerIpBurst: number;
  /** New accounts per IP address per hour on an open relay (sustained), and the burst; past it `REGISTRATION_RATE_LIMITED`. */
  registrationsPerIpPerHour: number;
  registrationsPerIpBurst: number;
  /** An account that never logs in again after the login that registered it is deleted this many ms later. */
  unusedAccountTtlMs: number;
  /** Message ids a user may acknowledge per second, and the burst; past it the relay reads that connection later. */
  acksPerSecond: number;
  acksBurst: number;
  /** A connection not authenticated within this many ms gets a fatal `HANDSHAKE_TIMEOUT`. */
  handshakeTimeoutMs: number;
  /** After this many ms without a complete frame from the client the relay sends `keepalive`… */
  keepaliveMs: number;
  /** …and after this many a fatal `IDLE_TIMEOUT`. */
  idleTimeoutMs: number;
  /** Requests (`send`, `lookup`, `ping`, `admin`) per user per second, and the burst. */
  messagesPerSecond: number;
  messagesBurst: number;
  /** Frame body bytes of those requests per user per second, and the burst. */
  bytesPerSecond: number;
  bytesBurst: number;
  /**
   * Envelopes a user may submit for storing (a `send` is one, a `fanout` one per entry) per second, and the burst.
   * The burst must hold a full `fanout` (MAX_FANOUT entries), or a large group could never be written to.
   */
  envelopesPerSecond: number;
  envelopesBurst: number;
  /** Mailbox quota per user. */
  mailboxMaxMessages: number;
  mailboxMaxBytes: number;
  /** The share of one recipient's mailbox that envelopes from one sender may hold (§11, SECURITY.md). */
  mailboxSenderMaxMessages: number;
  mailboxSenderMaxBytes: number;
  /**
   * The share of one mailbox that envelopes submitted from one source address (an IPv4 address, an IPv6 /48) may
   * hold, whatever accounts sent them: accounts are cheap, addresses are not (§11, SECURITY.md).
   */
  mailboxAddressMaxMessages: number;
  mailboxAddressMaxBytes: number;
  /** File transfer (PROTOCOL.md §16.4): largest sealed file, and all stored blob bytes of one sender. */
  maxFileBytes: number;
  blobQuotaBytes: number;
  /** Unfinished uploads one sender may have at once (§16.4); one more `blob_new` gets `QUOTA_EXCEEDED`. */
  maxUploadsPerUser: number;
  /**
   * `prekey_get`s that may hand out one-time prekeys, per requesting account per hour and the burst (§23.6); past
   * it the answer carries the signed keys only.
   */
  prekeyTakesPerHour: number;
  prekeyTakesBurst: number;
  /** The same per requesting address (×2 per IPv6 /56, ×4 per /48). */
  prekeyTakesPerIpPerHour: number;
  prekeyTakesPerIpBurst: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxConnections: 10_000,
  maxConnectionsPerIp: 100,
  maxSessionsPerUser: 32,
  connectionsPerIpPerSecond: 20,
  connectionsPerIpBurst: 100,
  registrationsPerIpPerHour: 30,
  registrationsPerIpBurst: 100,
  unusedAccountTtlMs: 30 * 24 * 3600_000,
  acksPerSecond: 2_000,
  acksBurst: 20_000,
  handshakeTimeoutMs: 10_000,
  keepaliveMs: 30_000,
  idleTimeoutMs: 90_000,
  messagesPerSecond: 50,
  messagesBurst: 200,
  bytesPerSecond: 2 * 1024 * 1024,
  bytesBurst: 8 * 1024 * 1024,
  envelopesPerSecond: 100,
  envelopesBurst: 2_048,
  mailboxMaxMessages: 10_000,
  mailboxMaxBytes: 64 * 1024 * 1024,
  mailboxSenderMaxMessages: 1_000,
  mailboxSenderMaxBytes: 16 * 1024 * 1024,
  mailboxAddressMaxMessages: 500,
  mailboxAddressMaxBytes: 4 * 1024 * 1024,
  maxFileBytes: 4 * 1024 ** 3,
  blobQuotaBytes: 8 * 1024 ** 3,
  maxUploadsPerUser: 16,
  prekeyTakesPerHour: 60,
  prekeyTakesBurst: 30,
  prekeyTakesPerIpPerHour: 120,
  prekeyTakesPerIpBurst: 60,
});

/** Per-user request rates (shared by all of a user's sessions). */
export class UserRates {
  private readonly messages: BucketMap;
  private readonly bytes: BucketMap;
  private readonly envelopes: BucketMap;
  private readonly acks: BucketMap;
  private readonly registrations: PrefixBuckets;

  constructor(limits: Limits) {
    this.acks = new BucketMap(limits.acksPerSecond, limits.acksBurst);
    this.registrations = new PrefixBuckets(limits.registrationsPerIpPerHour / 3600, limits.registrationsPerIpBurst);
    this.messages = new BucketMap(limits.messagesPerSecond, limits.messagesBurst);
    this.bytes = new BucketMap(limits.bytesPerSecond, limits.bytesBurst);
    this.envelopes = new BucketMap(limits.envelopesPerSecond, limits.envelopesBurst);
  }

  /**
   * 0 if the request may go ahead (and is charged), else ms to wait. A refused request is not charged.
   * `envelopes`: how many envelopes it asks the relay to store (1 for `send`, the entries of a `fanout`, else 0).
   */
  take(user: string, frameBytes: number, now: number, envelopes = 0): number {
    const wait = this.messages.take(user, 1, now);
    if (wait > 0) return wait;
    const bwait = this.bytes.take(user, frameBytes, now);
    if (bwait > 0) {
      this.messages.take(user, -1, now); // give the message token back
      return bwait;
    }
    const ewait = envelopes > 0 ? this.envelopes.take(user, envelopes, now) : 0;
    if (ewait > 0) {
      this.messages.take(user, -1, now);
      this.bytes.take(user, -frameBytes, now);
    }
    return ewait;
  }

  /** Charges `ids` acknowledged ids; 0, or the ms the relay should stop reading the user's connection (never refused). */
  takeAcks(user: string, ids: number, now: number): number {
    return this.acks.take(user, ids, now);
  }

  /** Charges one new account to every block of the client's address; 0 if allowed, else ms until one would be. */
  takeRegistration(address: readonly AddressPrefix[], now: number): number {
    return this.registrations.take(address, now);
  }

  sweep(now: number): void {
    this.messages.sweep(now);
    this.bytes.sweep(now);
    this.envelopes.sweep(now);
    this.acks.sweep(now);
    this.registrations.sweep(now);
  }
}
