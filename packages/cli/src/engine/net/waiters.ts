/**
 * Replies the connection is waiting for: the handshake's `challenge` / `welcome` (one at a time, no rid) and requests
 * matched by `rid` (§6). Each waits at most `timeoutMs`; a timeout fails the whole connection, since a reply that
 * arrives later could no longer be matched to anything useful.
 */
import type { RelayFrame } from '@chat/protocol';
import { ChatError } from '../errors.js';

export type RequestReply =
  | 'bundle'
  | 'sent'
  | 'pong'
  | 'online'
  | 'admin_users'
  | 'admin_stats'
  | 'admin_done'
  | 'fanout_sent'
  | 'rooms'
  | 'room_members'
  | 'blob_ok'
  | 'prekey_bundle'
  | 'prekey_count';
export type Expect = 'challenge' | 'welcome' | RequestReply;

interface Pending {
  type: Expect;
  /** Whom the request is about (recipient, looked-up user), for error messages. */
  about: string;
  resolve: (frame: RelayFrame) => void;
  reject: (err: ChatError) => void;
  timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly byRid = new Map<number, Pending>();
  private handshake: Pending | undefined;
  private failed: ChatError | undefined;
  private readonly failureListeners: ((err: ChatError) => void)[] = [];

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (err: ChatError) => void,
  ) {}

  /** Waits for the next handshake frame of `type`. */
  expect(type: 'challenge' | 'welcome', about: string): Promise<RelayFrame> {
    return this.add(type, about, (p) => {
      this.handshake = p;
    });
  }

  /** Waits for the reply of `type` to request `rid`. */
  request(rid: number, type: RequestReply, about: string): Promise<RelayFrame> {
    return this.add(type, about, (p) => this.byRid.set(rid, p));
  }

  /** Hands a handshake frame to its waiter; false if nobody waited for that type. */
  settleHandshake(frame: RelayFrame): boolean {
    const p = this.handshake;
    if (!p || p.type !== frame.t) return false;
    this.handshake = undefined;
    clearTimeout(p.timer);
    p.resolve(frame);
    return true;
  }

  /** Hands a reply to the request with its rid; false if there is none or it expected another frame type. */
  settle(rid: number, frame: RelayFrame): boolean {
    const p = this.byRid.get(rid);
    if (!p || p.type !== frame.t) return false;
    this.byRid.delete(rid);
    clearTimeout(p.timer);
    p.resolve(frame);
    return true;
  }

  /** Rejects one request (a non-fatal `err` naming its rid); false if there is none. */
  rejectRequest(rid: number, err: ChatError): boolean {
    const p = this.byRid.get(rid);
    if (!p) return false;
    this.byRid.delete(rid);
    clearTimeout(p.timer);
    p.reject(err);
    return true;
  }

  aboutOf(rid: number): string | undefined {
    return this.byRid.get(rid)?.about;
  }

  /** Rejects everything waiting now and anything added later. */
  failAll(err: ChatError): void {
    if (!this.failed) {
      this.failed = err;
      for (const f of this.failureListeners.splice(0)) f(err);
    }
    const all = [...this.byRid.values(), ...(this.handshake ? [this.handshake] : [])];
    this.byRid.clear();
    this.handshake = undefined;
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  /** Calls `f` once, at the first failure (or now, if already failed). */
  onFailure(f: (err: ChatError) => void): void {
    if (this.failed) f(this.failed);
    else this.failureListeners.push(f);
  }

  private add(type: Expect, about: string, register: (p: Pending) => void): Promise<RelayFrame> {
    const promise = new Promise<RelayFrame>((resolve, reject) => {
      if (this.failed) {
        reject(this.failed);
        return;
      }
      const timer = setTimeout(() => {
        this.onTimeout(
          new ChatError('TIMEOUT', `the relay did not answer (${type}) within ${Math.round(this.timeoutMs / 1000)} s`),
        );
      }, this.timeoutMs);
      register({ type, about, resolve, reject, timer });
    });
    // Marked handled: a caller that failed to write its request never awaits the reply, and its rejection must not
    // crash the process. Callers that await still get the rejection.
    promise.catch(() => {});
    return promise;
  }
}
