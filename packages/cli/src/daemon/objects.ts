/**
 * The JSON objects of `chat recv --json`, which the daemon's `message` notifications carry unchanged
 * (docs/JSONRPC.md): one shape for a script reading `chat recv --json` and for a bot on the socket.
 */
import type { ActionEvent, FileEvent, GroupMessage, ReceivedMessage, TimerEvent } from '../engine/events.js';
import type { FileTransfer } from '../engine/store/files.js';

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
