/**
 * Public rooms (PROTOCOL.md §15.6): membership lives on the relay; each message is queued in the durable outbox and
 * fanned out, end-to-end encrypted, to the members the relay lists at send time.
 */
import { MAX_BODY_BYTES, MessageKind, ROOM_PATTERN, encodeRoomText } from '@chat/crypto';
import { inertLine } from '../../terminal-text.js';
import { ChatError } from '../errors.js';
import type { GroupsContext } from '../context.js';
import type { FanoutResult } from '../events.js';

export function roomName(ref: string): string {
  const name = ref.replace(/^#/, '').toLowerCase();
  if (!ROOM_PATTERN.test(name))
    throw new ChatError('USAGE', `${JSON.stringify(ref)} is not a room name`, {
      hint: 'room names look like general or dev-chat; chat rooms lists them',
    });
  return name;
}

/** The relay's rooms. A name that is not one (§15.6) means a broken or hostile relay: refused, not printed. */
export async function listRooms(m: GroupsContext): Promise<string[]> {
  const names = await m.withConnectionFor((c) => c.room('list'));
  const bad = names.find((n) => !ROOM_PATTERN.test(n));
  if (bad !== undefined)
    throw new ChatError(
      'RELAY_PROTOCOL',
      `the relay listed a room whose name is not a room name: ${JSON.stringify(inertLine(bad))}`,
    );
  return names;
}

/** Joins on the relay, then locally (so room texts for it are accepted). Returns the members. */
export async function joinRoom(m: GroupsContext, ref: string): Promise<string[]> {
  const room = roomName(ref);
  const members = await m.withConnectionFor((c) => c.room('join', room));
  m.store.groups.joinRoom(room, Date.now());
  return members;
}

export async function leaveRoom(m: GroupsContext, ref: string): Promise<string[]> {
  const room = roomName(ref);
  const members = await m.withConnectionFor((c) => c.room('leave', room));
  m.store.groups.leaveRoom(room);
  return members;
}

export function roomMembers(m: GroupsContext, ref: string): Promise<string[]> {
  const room = roomName(ref);
  return m.withConnectionFor((c) => c.room('members', room));
}

/** Sends `text` to the room's members at send time (we must have joined); if the connection fails it stays queued. */
export async function sendRoomText(m: GroupsContext, ref: string, text: string): Promise<FanoutResult> {
  const room = roomName(ref);
  if (!m.store.groups.joinedRooms().includes(room))
    throw new ChatError('NOT_IN_ROOM', `you have not joined #${room}`, { hint: `chat join ${room}` });
  const body = encodeRoomText(room, text);
  if (body.length > MAX_BODY_BYTES)
    throw new ChatError('BODY_TOO_LARGE', `the message is too long; the limit is ${MAX_BODY_BYTES} bytes (UTF-8)`);
  const now = Date.now();
  const history = (id: string) =>
    m.store.groups.addMessage({
      id,
      conv: `room:${room}`,
      sender: m.username,
      body: text,
      ts: now,
      relayTs: null,
      receivedAt: now,
    });
  return m.queueFanout(MessageKind.roomText, body, { room }, history);
}
