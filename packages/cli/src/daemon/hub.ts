/**
 * Who hears what the daemon's live session receives. Each message goes to every subscribed connection (`subscribe`,
 * docs/JSONRPC.md); one that reached nobody waits in memory for the next `receive` call (`chat recv` without
 * --follow), so each message is shown once whichever front end asks. Events (held, delivery, connection, …) only
 * go to subscribers: they describe now, not something to catch up on.
 */
import type { ExpiredEvent, MessengerEvents } from '../engine/events.js';
import { directObject, fileNotice, groupObject, type FileNotice, type MessageObject } from './objects.js';

/** Messages kept for `receive` while no subscriber is attached; the oldest are dropped beyond this (history has all). */
export const MAX_PENDING = 10_000;

export type Notification = { method: 'message'; params: MessageObject } | { method: 'event'; params: EventObject };

export type EventObject =
  | { type: 'held'; id: string; from: string; reason: string }
  | { type: 'rejected'; id: string; code: string; detail: string }
  | { type: 'keyChanged'; username: string; previous: string; current: string; accepted: boolean }
  | { type: 'delivery'; id: string; peer: string; state: string; error?: string }
  | { type: 'connection'; state: string; attempt?: number; retryInMs?: number; error?: string }
  | ({ type: 'file' } & FileNotice)
  | ExpiredEvent;

export interface Subscriber {
  notify(n: Notification): void;
  /** False once its connection is gone: a `subscribe` answered after the client left must not count. */
  alive(): boolean;
}

/** The part of the Messenger the hub listens to. */
export interface EventSource {
  on<K extends keyof MessengerEvents>(event: K, listener: (...args: MessengerEvents[K]) => void): unknown;
}

export class Hub {
  private readonly subscribers = new Set<Subscriber>();
  private pending: MessageObject[] = [];

  /** `onSubscribers` hears the number of subscribers after each change (the daemon logs it). */
  constructor(
    source: EventSource,
    private readonly onSubscribers: (count: number) => void = () => {},
  ) {
    source.on('message', (m) => this.message(directObject(m)));
    source.on('groupMessage', (g) => this.message(groupObject(g)));
    source.on('action', (a) => this.message({ ...a }));
    source.on('expire', (e) => this.message({ ...e }));
    source.on('expired', (e) => this.event({ ...e }));
    source.on('held', (h) => this.event({ type: 'held', id: h.id, from: h.from, reason: h.reason }));
    source.on('rejected', (r) => this.event({ type: 'rejected', id: r.id, code: r.code, detail: r.detail }));
    source.on('keyChanged', (c) => this.event({ type: 'keyChanged', ...c }));
    source.on('delivery', (d) => this.event({ type: 'delivery', ...d }));
    source.on('file', (f) => {
      const notice = fileNotice(f);
      if (notice) this.event({ type: 'file', ...notice });
    });
    source.on('connection', (c) => {
      const e: EventObject = { type: 'connection', state: c.state };
      if ('attempt' in c) e.attempt = c.attempt;
      if ('retryInMs' in c) e.retryInMs = c.retryInMs;
      if ('error' in c) e.error = c.error.code;
      this.event(e);
    });
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

  private message(m: MessageObject): void {
    if (this.subscribers.size === 0) {
      this.pending.push(m);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
      return;
    }
    for (const s of this.subscribers) s.notify({ method: 'message', params: m });
  }

  private event(e: EventObject): void {
    for (const s of this.subscribers) s.notify({ method: 'event', params: e });
  }
}
