/**
 * Groups and rooms in the interactive session (PROTOCOL.md §15): `#name` conversations backed by the group store,
 * and `/group`, `/groups`, `/rooms`, `/join`, `/leave`, over the same engine calls as `chat group` and friends.
 */
import { ChatError } from '../engine/errors.js';
import { acceptGroup, declineGroup, findGroup, groupConv, resolveConversation } from '../engine/groups/index.js';
import { stateCopyNotice } from '../engine/send/fanout-codes.js';
import type { SessionEngine } from '../session/engine.js';
import { inertLine } from '../terminal-text.js';
import type { ConversationRow } from './view.js';

export type GroupAction =
  | {
      kind: 'group';
      action: 'create' | 'add' | 'remove' | 'leave' | 'rename' | 'members' | 'accept' | 'decline';
      group: string;
      args: string[];
    }
  | { kind: 'groups' | 'rooms' }
  | { kind: 'join' | 'part'; room: string };

export interface GroupHost {
  readonly m: SessionEngine;
  notice(text: string, level: 'info' | 'error', peer?: string): void;
  open(peer: string): void;
}

/** What the pane reads: the local database. */
type Reader = Pick<SessionEngine, 'store'>;

const message = (err: unknown): string =>
  err instanceof ChatError
    ? `${err.message}${err.hint ? ` (${err.hint})` : ''}`
    : err instanceof Error
      ? err.message
      : String(err);

/** The store key of the `#name` conversation (§15.7: an accepted group or a joined room); undefined if none, or ambiguous. */
export function convKey(m: Reader, peer: string): string | undefined {
  if (!peer.startsWith('#')) return undefined;
  try {
    const c = resolveConversation(m, peer);
    return c.kind === 'group' ? groupConv(c.group.gid) : `room:${c.room}`;
  } catch {
    return undefined;
  }
}

/** The store's key of a conversation: the peer itself, or `#<gid>` / `room:<name>` for `#name` (convKey). */
export function storeConv(m: Reader, current: string): { conv: string; group: boolean } | undefined {
  if (!current.startsWith('#')) return { conv: current, group: false };
  const key = convKey(m, current);
  return key === undefined ? undefined : { conv: key, group: true };
}

/** One row per group we are in and per joined room, with the unread counts the controller keeps. */
export function groupRows(
  m: Reader,
  current: string | undefined,
  unread: ReadonlyMap<string, number>,
): ConversationRow[] {
  const names = [
    ...m.store.groups
      .list()
      .filter((g) => g.member && g.invitedBy === undefined)
      .map((g) => `#${g.record.name}`),
    ...m.store.groups.joinedRooms().map((r) => `#${r}`),
  ];
  return [...new Set(names)].map((peer) => ({
    peer,
    unread: peer === current ? 0 : (unread.get(peer) ?? 0),
    online: false,
    lastSeen: null,
    muted: false,
    typing: false,
  }));
}

export async function groupCommand(host: GroupHost, a: GroupAction): Promise<void> {
  const m = host.m;
  try {
    switch (a.kind) {
      case 'groups': {
        const all = m.store.groups.list();
        host.notice(
          all.length === 0
            ? 'no groups yet: /group create <name> <user...>'
            : all
                .map(
                  (g) =>
                    `#${inertLine(g.record.name)}  ${g.gid.slice(0, 8)}  ${g.record.members.length} members${g.invitedBy !== undefined ? ` (invited by ${g.invitedBy})` : g.member ? '' : ' (left)'}`,
                )
                .concat(
                  m.store.groups
                    .invitations()
                    .map(
                      (i) =>
                        `#${inertLine(i.record.name)}  ${i.gid.slice(0, 8)}  ${i.record.members.length} members (also invited by ${i.inviter})`,
                    ),
                )
                .join('\n'),
          'info',
        );
        return;
      }
      case 'rooms': {
        const joined = new Set(m.store.groups.joinedRooms());
        host.notice(
          (await m.ops.listRooms({})).rooms
            .map((r) => `#${inertLine(r)}${joined.has(r) ? ' (joined)' : ''}`)
            .join('\n') || 'this relay has no rooms',
          'info',
        );
        return;
      }
      case 'join': {
        const { members } = await m.ops.joinRoom({ room: a.room });
        host.open(`#${a.room.replace(/^#/, '')}`);
        host.notice(`joined #${a.room.replace(/^#/, '')}: ${members.length} members`, 'info');
        return;
      }
      case 'part': {
        await m.ops.leaveRoom({ room: a.room });
        host.notice(`left #${a.room.replace(/^#/, '')}`, 'info');
        return;
      }
      case 'group': {
        const g = a.group.replace(/^#/, '');
        if (a.action === 'accept') {
          const s = acceptGroup(m, g, a.args[0]);
          host.open(`#${s.record.name}`);
          host.notice(`accepted #${inertLine(s.record.name)}`, 'info');
          return;
        }
        if (a.action === 'decline') {
          const s = declineGroup(m, g, a.args[0]);
          host.notice(
            `declined #${inertLine(s.record.name)} (${s.gid.slice(0, 8)}): forgotten, nobody was told`,
            'info',
          );
          return;
        }
        if (a.action === 'members') {
          const s = findGroup(m, g);
          host.notice(s.record.members.map((x) => `${x.user}${x.admin ? ' (admin)' : ''}`).join('\n'), 'info');
          return;
        }
        const out =
          a.action === 'create'
            ? await m.ops.createGroup({ name: g, members: a.args })
            : a.action === 'leave'
              ? await m.ops.updateGroup({ group: g, op: 'leave' })
              : a.action === 'rename'
                ? await m.ops.updateGroup({ group: g, op: 'rename', name: (a.args[0] ?? '').replace(/^#/, '') })
                : await m.ops.updateGroup({ group: g, op: a.action, member: a.args[0] ?? '' });
        for (const f of out.failed) host.notice(stateCopyNotice(f.to, f.code), 'error');
        if (a.action === 'create') host.open(`#${out.name}`);
        else host.notice(`#${inertLine(out.name)}: ${a.action} done`, 'info');
        return;
      }
    }
  } catch (err) {
    host.notice(message(err), 'error');
  }
}
