/**
 * The JSON objects of `chat recv --json`, which the daemon's `message` notifications carry unchanged
 * (docs/JSONRPC.md): one shape for a script reading `chat recv --json` and for a bot on the socket.
 */
import type {
  ActionEvent,
  ExpiredEvent,
  RecoveryEvent,
  FileEvent,
  GroupMessage,
  MessengerEvents,
  ReceivedMessage,
  TimerEvent,
} from '../engine/events.js';
import type { FileTransfer } from '../engine/store/files.js';
import type { Contact } from '../engine/store/store.js';

export interface DirectMessageObject {
  type: 'message';
  id: string;
  from: string;
  to: string;
  body: string;
  ts: number;
  relayTs: number;
  receivedAt: number;
  /** A reply (§17): the id of the message it answers. */
  reply_to?: string;
}

/** A group or room message (`type` "message"), or a membership change or invitation (`type` "group_event"). */
export interface GroupMessageObject {
  type: 'message' | 'group_event';
  id: string;
  kind: GroupMessage['kind'];
  conv: string;
  group: string | undefined;
  from: string;
  body: string;
  ts: number;
  relayTs: number;
  receivedAt: number;
  /** An invitation into a group we hold another version of (§15.4 step 4). */
  competing?: true;
  reply_to?: string;
}

/**
 * What `chat recv --json` prints for what arrives, and the daemon's `message` notifications carry: messages, group
 * events, edits, deletes and reactions (§17, their `type` "edit", "delete", "reaction"), and a conversation's
 * disappearing-message timer set by the other side (§17.5, `type` "expire").
 */
export type MessageObject = DirectMessageObject | GroupMessageObject | ActionEvent | TimerEvent;

const reply = (replyTo: string | undefined) => (replyTo === undefined ? {} : { reply_to: replyTo });

export function directObject(m: ReceivedMessage): DirectMessageObject {
  return {
    type: 'message',
    id: m.id,
    from: m.from,
    to: m.to,
    body: m.body,
    ts: m.ts,
    relayTs: m.relayTs,
    receivedAt: m.receivedAt,
    ...reply(m.replyTo),
  };
}

export function groupObject(g: GroupMessage): GroupMessageObject {
  return {
    type: g.kind === 'group' || g.kind === 'room' ? 'message' : 'group_event',
    id: g.id,
    kind: g.kind,
    conv: g.conv,
    group: g.gid,
    from: g.from,
    body: g.body,
    ts: g.ts,
    relayTs: g.relayTs,
    receivedAt: g.receivedAt,
    ...(g.competing ? { competing: true as const } : {}),
    ...reply(g.replyTo),
  };
}

export function isGroupObject(m: MessageObject): m is GroupMessageObject {
  return 'kind' in m;
}

export function isTimerObject(m: MessageObject): m is TimerEvent {
  return m.type === 'expire';
}

export function isActionObject(m: MessageObject): m is ActionEvent {
  return m.type === 'edit' || m.type === 'delete' || m.type === 'reaction';
}

/** A contact as `chat contacts --json` prints it and the daemon's `listContacts` answers (`chat contacts` adds more). */
export function contactObject(c: Contact) {
  return {
    username: c.username,
    fingerprint: c.fingerprint,
    trust: c.trust,
    firstSeen: c.firstSeen,
    verifiedAt: c.verifiedAt,
    pendingFingerprint: c.pending?.fingerprint ?? null,
  };
}

/** A file transfer as `chat files --json` and `chat recv --json` describe it: never its key or hash. */
export interface FileObject {
  id: string;
  direction: 'in' | 'out';
  peer: string;
  name: string;
  size: number;
  type: string;
  state: string;
  path: string | null;
  ts: number;
}

export function fileObject(t: FileTransfer): FileObject {
  return {
    id: t.blob,
    direction: t.direction,
    peer: t.peer,
    name: t.name,
    size: t.size,
    type: t.type,
    state: t.state,
    path: t.path,
    ts: t.ts,
  };
}

/** An offer arrived, or a peer answered one of ours (§16); progress is not a notice. */
export type FileNotice =
  | { kind: 'offer'; transfer: FileObject }
  | { kind: 'answer'; outcome: 'received' | 'declined'; transfer: FileObject };

export function fileNotice(e: FileEvent): FileNotice | undefined {
  if (e.kind === 'offer') return { kind: 'offer', transfer: fileObject(e.transfer) };
  if (e.kind === 'answer') return { kind: 'answer', outcome: e.outcome, transfer: fileObject(e.transfer) };
  return undefined;
}

/** What happens now (held, delivery, typing, connection, …): the daemon's `event` notifications, `chat recv`'s warnings. */
export type EventObject =
  | { type: 'held'; id: string; from: string; reason: string }
  | { type: 'rejected'; id: string; code: string; detail: string }
  | { type: 'keyChanged'; username: string; previous: string; current: string; accepted: boolean }
  | { type: 'delivery'; id: string; peer: string; state: string; error?: string }
  | { type: 'connection'; state: string; attempt?: number; retryInMs?: number; error?: string }
  | { type: 'typing'; from: string; active: boolean }
  | ({ type: 'file' } & FileNotice)
  | ExpiredEvent
  | RecoveryEvent;

/** The part of the Messenger these objects are made from. */
export interface EventSource {
  on<K extends keyof MessengerEvents>(event: K, listener: (...args: MessengerEvents[K]) => void): unknown;
}

/**
 * Hands `f` the object of every message, group event, edit, delete, reaction and timer `source` commits: the daemon's
 * hub and `chat recv` in its own session make them here, so both print and send the same shapes.
 */
export function onMessageObjects(source: EventSource, f: (m: MessageObject) => void): void {
  source.on('message', (m) => f(directObject(m)));
  source.on('groupMessage', (g) => f(groupObject(g)));
  source.on('action', (a) => f({ ...a }));
  source.on('expire', (e) => f({ ...e }));
}

/** Hands `f` the object of every event of `source` (file progress is none). */
export function onEventObjects(source: EventSource, f: (e: EventObject) => void): void {
  source.on('expired', (e) => f({ ...e }));
  source.on('held', (h) => f({ type: 'held', id: h.id, from: h.from, reason: h.reason }));
  source.on('rejected', (r) => f({ type: 'rejected', id: r.id, code: r.code, detail: r.detail }));
  source.on('recovery', (r) => f({ ...r, ids: [...r.ids] }));
  source.on('keyChanged', (c) => f({ type: 'keyChanged', ...c }));
  source.on('delivery', (d) => f({ type: 'delivery', ...d }));
  // Typing (§4.1) reaches only a live session: an attached interactive session shows it as its own would.
  source.on('typing', (t) => f({ type: 'typing', from: t.from, active: t.active }));
  source.on('file', (e) => {
    const notice = fileNotice(e);
    if (notice) f({ type: 'file', ...notice });
  });
  source.on('connection', (c) => {
    const e: EventObject = { type: 'connection', state: c.state };
    if ('attempt' in c) e.attempt = c.attempt;
    if ('retryInMs' in c) e.retryInMs = c.retryInMs;
    if ('error' in c) e.error = c.error.code;
    f(e);
  });
}
