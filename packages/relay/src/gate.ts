import type { Socket } from 'node:net';
import { encodeFrame, errFrame, type ErrorCode } from '@chat/protocol';
import type { RelayContext } from './context.js';
import { addressKey } from './address-key.js';
import { BucketMap, type Limits } from './limits.js';

const REFUSE_GRACE_MS = 1_000;

/**
 * Admission of new connections (PROTOCOL.md §11): at most `maxConnections` open, at most `maxConnectionsPerIp` of them
 * from one IP address (an IPv6 client counts by its /64: address-key.ts), and at most `connectionsPerIpPerSecond` new ones per IP address (with a burst). A refused
 * connection gets one fatal `err` (`TOO_MANY_CONNECTIONS` / `TOO_MANY_IP_CONNECTIONS` / `CONNECT_RATE_LIMITED`) before
 * any `hello`, and is closed; it never gets a session.
 */
export class ConnectionGate {
  private readonly perIp: BucketMap;
  /** Open admitted connections per IP address; an address leaves the map with its last connection. */
  private readonly openPerIp = new Map<string, number>();

  constructor(
    private readonly limits: Limits,
    private readonly open: () => number,
  ) {
    this.perIp = new BucketMap(limits.connectionsPerIpPerSecond, limits.connectionsPerIpBurst);
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
    const ip = addressKey(socket.remoteAddress);
    const mine = this.openPerIp.get(ip) ?? 0;
    if (mine >= this.limits.maxConnectionsPerIp) {
      return this.refuse(
        socket,
        ctx,
        answer,
        'TOO_MANY_IP_CONNECTIONS',
        `your address has ${mine} connections open, the most this relay allows; close one`,
      );
    }
    if (this.perIp.take(ip, 1, Date.now()) > 0) {
      return this.refuse(
        socket,
        ctx,
        answer,
        'CONNECT_RATE_LIMITED',
        'too many new connections from your address; retry later',
      );
    }
    this.openPerIp.set(ip, mine + 1);
    socket.once('close', () => {
      const n = (this.openPerIp.get(ip) ?? 1) - 1;
      if (n > 0) this.openPerIp.set(ip, n);
      else this.openPerIp.delete(ip);
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
