/**
 * The group a command's argument names, looked up in the local history database (no keys, no connection) before a
 * command asks the daemon: its methods take signal-cli's `groupId`, the commands take `#name` too. The lookup is the
 * engine's own (findGroup, resolveConversation), so a wrong name fails with the same error as without a daemon.
 */
import { ChatError } from '../engine/errors.js';
import { findGroup, resolveConversation } from '../engine/groups/index.js';
import { Profile } from '../engine/profile.js';
import type { Store } from '../engine/store/store.js';
import type { Io } from './io.js';
import { openStore } from './open-store.js';

/**
 * Which groups `ref` may name: `member` the accepted ones (add, remove, rename, leave); `any` an invitation too
 * (members, §15.7); `invitation` a pending invitation or a competing one (accept, decline, §15.4 step 4).
 */
export type GroupPool = 'member' | 'any' | 'invitation';

export async function groupIdOf(io: Io, ref: string, pool: GroupPool): Promise<string> {
  return withStore(io, (store) => {
    if (pool === 'member') return findGroup({ store }, ref).gid;
    try {
      return findGroup({ store }, ref, pool === 'invitation').gid;
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      if (pool === 'any' && err.code === 'GROUP_PENDING') return findGroup({ store }, ref, true).gid;
      if (pool === 'invitation' && err.code === 'NO_SUCH_GROUP') {
        // Only competing invitations carry that name (or id): the daemon's acceptGroup / declineGroup decide by id.
        const r = ref.replace(/^(group:|#)/, '');
        const ids = new Set(
          store.groups
            .invitations()
            .filter((i) => i.record.name === r || (/^[0-9a-f]{8,32}$/.test(r) && i.gid.startsWith(r)))
            .map((i) => i.gid),
        );
        if (ids.size === 1) return [...ids][0]!;
      }
      throw err;
    }
  });
}

/**
 * The group a `#name` / `group:<id>` conversation target names (`chat expire`), or a USAGE error for a room, as
 * setTimer gives (§17.5).
 */
export async function timerGroupId(io: Io, target: string): Promise<string> {
  return withStore(io, (store) => {
    const c = resolveConversation({ store }, target);
    if (c.kind === 'room') throw new ChatError('USAGE', 'rooms have no disappearing messages (PROTOCOL.md §17.5)');
    return c.group.gid;
  });
}

async function withStore<T>(io: Io, f: (store: Store) => T): Promise<T> {
  const profile = Profile.fromEnv(io.env);
  profile.requireConfig();
  const store = await openStore(io, profile);
  try {
    return f(store);
  } finally {
    store.close();
  }
}
