/**
 * Addressing groups and rooms (PROTOCOL.md §15.7): `#name` names an accepted group or a joined room, and is refused
 * when it names more than one; `group:<id>` and `room:<name>` choose explicitly. A pending invitation never takes a name.
 */
import { ChatError } from '../errors.js';
import type { GroupsContext } from '../context.js';
import type { FanoutResult } from '../events.js';
import type { StoredGroup } from '../store/groups.js';
import { findGroup, sendGroupText } from './groups.js';
import { sendRoomText } from './rooms.js';

export type Conversation = { kind: 'group'; group: StoredGroup } | { kind: 'room'; room: string };

/** What `target` (`#name`, `group:<id>`, `room:<name>`) addresses. @throws {ChatError} AMBIGUOUS_NAME, NO_SUCH_GROUP, GROUP_PENDING. */
export function resolveConversation(m: Pick<GroupsContext, 'store'>, target: string): Conversation {
  if (target.startsWith('room:')) return { kind: 'room', room: target.slice(5) };
  if (target.startsWith('group:')) return { kind: 'group', group: findGroup(m, target) };
  const name = target.replace(/^#/, '');
  const groups = m.store.groups.list().filter((g) => g.invitedBy === undefined && g.record.name === name);
  const room = m.store.groups.joinedRooms().includes(name);
  if (groups.length + (room ? 1 : 0) > 1) {
    const choices = [...groups.map((g) => `group:${g.gid}`), ...(room ? [`room:${name}`] : [])];
    throw new ChatError('AMBIGUOUS_NAME', `#${name} names ${choices.length} conversations: ${choices.join(', ')}`, {
      hint: `name one of them instead of #${name}, e.g. chat send ${choices[0]} <text>`,
    });
  }
  if (groups.length === 1) return { kind: 'group', group: groups[0]! };
  if (room) return { kind: 'room', room: name };
  // Neither: an id (prefix) written as #<hex>, or a pending invitation (findGroup says which).
  return { kind: 'group', group: findGroup(m, name) };
}

/** `chat send '#name' ...` and `#name` conversations in the interactive session. */
export async function sendToConversation(
  m: GroupsContext,
  target: string,
  text: string,
  replyTo?: string,
): Promise<{ to: string; result: FanoutResult }> {
  const c = resolveConversation(m, target);
  if (c.kind === 'room') {
    if (replyTo !== undefined)
      throw new ChatError('USAGE', 'replies are for direct conversations and groups, not rooms (PROTOCOL.md §17)');
    return { to: `#${c.room}`, result: await sendRoomText(m, c.room, text) };
  }
  const { group: g, result } = await sendGroupText(m, `group:${c.group.gid}`, text, replyTo);
  return { to: `#${g.record.name}`, result };
}
