/**
 * Who hears what the daemon's live session receives. Each message goes to every subscribed connection (`subscribe`,
 * docs/JSONRPC.md); one that reached nobody waits in memory for the next `receive` call (`chat recv` without
 * --follow), so each message is shown once whichever front end asks. Events (delivery, connection, …) only go to
 * subscribers: they describe now, not something to catch up on. Two kinds are kept for `receive` as well, because a
 * one-shot `chat recv` must warn about them and exit as it does without a daemon (PROTOCOL.md §4, §12): envelopes held
 * now (they stay on the relay until their key is accepted; gone from here once delivered), and rejections nobody saw.
 */
import { onEventObjects, onMessageObjects, type EventObject, type EventSource, type MessageObject } from './objects.js';

/** Messages kept for `receive` while no subscriber is attached; the oldest are dropped beyond this (history has all). */
export const MAX_PENDING = 10_000;

/** What `receive` returns beside the messages: the envelopes held now, and rejections no subscriber saw. */
export interface Undelivered {
  held: Extract<EventObject, { type: 'held' }>[];
  rejected: Extract<EventObject, { type: 'rejected' }>[];
}

export type Notification = { method: 'message'; params: MessageObject } | { method: 'event'; params: EventObject };

export interface Subscriber {
  notify(n: Notification): void;
  /** False once its connection is gone: a `subscribe` answered after the client left must not count. */
  alive(): boolean;
}

export class Hub {
  private readonly subscribers = new Set<Subscriber>();
  private pending: MessageObject[] = [];
  /** By envelope id: the session sees a held envelope again on every reconnect; one warning each. */
  private readonly held = new Map<string, Undelivered['held'][number]>();
  private rejected: Undelivered['rejected'] = [];

  /** `onSubscribers` hears the number of subscribers after each change (the daemon logs it). */
  constructor(
    source: EventSource,
    private readonly onSubscribers: (count: number) => void = () => {},
  ) {
    onMessageObjects(source, (m) => this.message(m));
    onEventObjects(source, (e) => this.event(e));
  }

  subscribe(s: Subscriber): void {
    if (this.subscribers.has(s) || !s.alive()) return;
    this.subscribers.add(s);
    this.onSubscribers(this.subscribers.size);
  }

  unsubscribe(s: Subscriber): void {
    if (this.subscribers.delete(s)) this.onSubscribers(this.subscribers.size);
  }

  /** The messages no subscriber has seen, oldest first; they are then gone from here (not from history). */
  drain(): MessageObject[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** The envelopes held now (kept: they are still held) and the unseen rejections (then gone from here). */
  undelivered(): Undelivered {
    const rejected = this.rejected;
    this.rejected = [];
    return { held: [...this.held.values()], rejected };
  }

  private message(m: MessageObject): void {
    this.held.delete(m.id); // delivered after all: its key was accepted
    if (this.subscribers.size === 0) {
      this.pending.push(m);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
      return;
    }
    for (const s of this.subscribers) s.notify({ method: 'message', params: m });
  }

  private event(e: EventObject): void {
    if (e.type === 'held' && (this.held.has(e.id) || this.held.size < MAX_PENDING)) this.held.set(e.id, e);
    if (e.type === 'rejected' && this.subscribers.size === 0 && this.rejected.length < MAX_PENDING)
      this.rejected.push(e);
    for (const s of this.subscribers) s.notify({ method: 'event', params: e });
  }
}
