/**
 * `chat rooms`, `chat join`, `chat leave` (PROTOCOL.md §15.6): public rooms live on the relay. While `chat daemon`
 * runs, each asks it (listRooms, joinRoom, leaveRoom; docs/JSONRPC.md): the same output, no passphrase.
 */
import { joinRoom, leaveRoom, listRooms, roomMembers } from '../engine/groups/index.js';
import { inertLine } from '../terminal-text.js';
import { withDaemonOr } from './attach.js';
import { withMessenger } from './group.js';
import { printJson, type Io } from './io.js';

export async function rooms(args: { json?: boolean }, io: Io): Promise<number> {
  const list = await withDaemonOr<{ name: string; joined: boolean }[]>(io, 'listRooms', {}, () =>
    withMessenger(io, async (m) => {
      const names = await listRooms(m);
      const joined = new Set(m.store.groups.joinedRooms());
      return names.map((name) => ({ name, joined: joined.has(name) }));
    }),
  );
  if (args.json) printJson(io, list);
  else for (const r of list) io.stdout.write(`#${inertLine(r.name)}${r.joined ? '  (joined)' : ''}\n`);
  return 0;
}

const ROOM_METHODS = { join: 'joinRoom', leave: 'leaveRoom', members: 'listRoomMembers' } as const;

export async function room(
  args: { action: 'join' | 'leave' | 'members'; room: string; json?: boolean },
  io: Io,
): Promise<number> {
  const { members } = await withDaemonOr<{ room: string; members: string[] }>(
    io,
    ROOM_METHODS[args.action],
    { room: args.room },
    () =>
      withMessenger(io, async (m) => ({
        room: args.room,
        members:
          args.action === 'join'
            ? await joinRoom(m, args.room)
            : args.action === 'leave'
              ? await leaveRoom(m, args.room)
              : await roomMembers(m, args.room),
      })),
  );
  const name = args.room.replace(/^#/, '');
  if (args.json) printJson(io, { room: name, members });
  else if (args.action === 'members') io.stdout.write(`${members.map(inertLine).join('\n')}\n`);
  else io.stdout.write(`${args.action === 'join' ? 'joined' : 'left'} #${name} (${members.length} members)\n`);
  return 0;
}
