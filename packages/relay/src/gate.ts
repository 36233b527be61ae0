import type { Socket } from 'node:net';
import { encodeFrame, errFrame, type ErrorCode } from '@chat/protocol';
import type { RelayContext } from './context.js';
import { addressPrefixes } from './address-key.js';
import { PrefixBuckets, type Limits } from './limits.js';

const REFUSE_GRACE_MS = 1_000;

/**
 * Admission of new connections (PROTOCOL.md §11): at most `maxConnections` open, at most `maxConnectionsPerIp` of them
 * from one IP address, and at most `connectionsPerIpPerSecond` new ones per IP address (with a burst). An IPv6 client
 * counts under its /64, /56 and /48 at once, with one, two and four times those limits (address-key.ts). A refused
 * connection gets one fatal `err` (`TOO_MANY_CONNECTIONS` / `TOO_MANY_IP_CONNECTIONS` / `CONNECT_RATE_LIMITED`) before
 * any `hello`, and is closed; it never gets a session.
 */
export class ConnectionGate {
  private readonly perIp: PrefixBuckets;
  /** Open admitted connections per address key (address block); a key leaves the map with its last connection. */
  private readonly openPerIp = new Map<string, number>();

  constructor(
    private readonly limits: Limits,
    private readonly open: () => number,
  ) {
    this.perIp = new PrefixBuckets(limits.connectionsPerIpPerSecond, limits.connectionsPerIpBurst);
  }

  /**
   * True if `socket` may get a session; otherwise it has been answered and is closing. `answer` writes the refusal
   * (over TLS on a TLS relay); by default it goes out as plaintext.
   */
  admit(
    socket: Socket,
    ctx: RelayContext,
    answer: (socket: Socket, reply: Uint8Array) => void = plaintextAnswer,
  ): boolean {
    if (this.open() >= this.limits.maxConnections) {
      return this.refuse(
        socket,
        ctx,
        answer,
        'TOO_MANY_CONNECTIONS',
        'the relay is at its connection limit; retry later',
      );
    }
    const prefixes = addressPrefixes(socket.remoteAddress);
    for (const { key, shares } of prefixes) {
      const mine = this.openPerIp.get(key) ?? 0;
      if (mine >= this.limits.maxConnectionsPerIp * shares) {
        const block = shares === 1 ? 'your address has' : `your network (${key}) has`;
        return this.refuse(
          socket,
          ctx,
          answer,
          'TOO_MANY_IP_CONNECTIONS',
          `${block} ${mine} connections open, the most this relay allows; close one`,
        );
      }
    }
    if (this.perIp.take(prefixes, Date.now()) > 0) {
      return this.refuse(
        socket,
        ctx,
        answer,
        'CONNECT_RATE_LIMITED',
        'too many new connections from your address; retry later',
      );
    }
    for (const { key } of prefixes) this.openPerIp.set(key, (this.openPerIp.get(key) ?? 0) + 1);
    socket.once('close', () => {
      for (const { key } of prefixes) {
        const n = (this.openPerIp.get(key) ?? 1) - 1;
        if (n > 0) this.openPerIp.set(key, n);
        else this.openPerIp.delete(key);
      }
    });
    return true;
  }

  private refuse(
    socket: Socket,
    ctx: RelayContext,
    answer: (socket: Socket, reply: Uint8Array) => void,
    code: ErrorCode,
    msg: string,
  ): false {
    ctx.metrics.connectionRejected(code);
    ctx.metrics.errSent(code);
    socket.on('error', () => {});
    answer(socket, encodeFrame({ ...errFrame(code, msg), fatal: true }));
    setTimeout(() => socket.destroy(), REFUSE_GRACE_MS * 5).unref(); // a backstop; the answer closes it sooner
    return false;
  }

  sweep(now: number): void {
    this.perIp.sweep(now);
  }
}

function plaintextAnswer(socket: Socket, reply: Uint8Array): void {
  socket.end(reply);
  setTimeout(() => socket.destroy(), REFUSE_GRACE_MS).unref();
}
