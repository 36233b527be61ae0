/** `chat send '#name'` and `#name` conversations in the interactive session: a group by that name, else a joined room. */
import { ChatError } from '../errors.js';
import type { GroupsContext } from '../context.js';
import type { FanoutResult } from '../events.js';
import { sendGroupText } from './groups.js';
import { sendRoomText } from './rooms.js';

/** `chat send '#name' ...`: a group of that name if we have one, else a joined room. */
export async function sendToConversation(m: GroupsContext, target: string, text: string): Promise<{ to: string; result: FanoutResult }> {
  const name = target.replace(/^#/, '');
  const isGroup = m.store.groups.list().some((g) => g.record.name === name || (/^[0-9a-f]{4,32}$/.test(name) && g.gid.startsWith(name)));
  if (isGroup) {
    const { group: g, result } = await sendGroupText(m, name, text);
    return { to: `#${g.record.name}`, result };
  }
  if (m.store.groups.joinedRooms().includes(name)) return { to: `#${name}`, result: await sendRoomText(m, name, text) };
  throw new ChatError('NO_SUCH_GROUP', `no group or joined room called #${name}`, { hint: 'chat groups and chat rooms list them; chat join <room> joins a room' });
}
