/**
 * The JSON objects of `chat recv --json`, which the daemon's `message` notifications carry unchanged
 * (docs/JSONRPC.md): one shape for a script reading `chat recv --json` and for a bot on the socket.
 */
import type { GroupMessage, ReceivedMessage } from '../engine/events.js';

export interface DirectMessageObject {
  id: string;
  from: string;
  to: string;
  body: string;
  ts: number;
  relayTs: number;
  receivedAt: number;
}

export interface GroupMessageObject {
  id: string;
  kind: GroupMessage['kind'];
  conv: string;
  group: string | undefined;
  from: string;
  body: string;
  ts: number;
  relayTs: number;
  receivedAt: number;
}

export type MessageObject = DirectMessageObject | GroupMessageObject;

export function directObject(m: ReceivedMessage): DirectMessageObject {
  return { id: m.id, from: m.from, to: m.to, body: m.body, ts: m.ts, relayTs: m.relayTs, receivedAt: m.receivedAt };
}

export function groupObject(g: GroupMessage): GroupMessageObject {
  return {
    id: g.id,
    kind: g.kind,
    conv: g.conv,
    group: g.gid,
    from: g.from,
    body: g.body,
    ts: g.ts,
    relayTs: g.relayTs,
    receivedAt: g.receivedAt,
  };
}

export function isGroupObject(m: MessageObject): m is GroupMessageObject {
  return 'kind' in m;
}
