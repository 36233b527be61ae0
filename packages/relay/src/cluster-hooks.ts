/**
 * What a relay does with what the other relays on its store tell it (docs/SCALING.md): wake its receiving sessions,
 * forward an ephemeral envelope, end a user's sessions, stop, or fence itself. Events come from the database's
 * notification channel, which any role connected to the database could write to: each is checked before it acts.
 */
import { isValidUsername } from '@chat/crypto';
import type { RelayContext } from './context.js';
import type { ClusterEvent, ClusterHooks } from './store/cluster.js';

const bytes = (b64: unknown): Uint8Array | undefined =>
  typeof b64 === 'string' ? new Uint8Array(Buffer.from(b64, 'base64')) : undefined;

function act(ctx: RelayContext, e: ClusterEvent): void {
  switch (e.k) {
    case 'eph': {
      const [id, env] = [bytes(e.id), bytes(e.env)];
      if (!isValidUsername(e.to) || id?.length !== 16 || !env || env.length > ctx.limits.maxEnvelopeBytes) return;
      ctx.receivers.get(e.to)?.forwardEphemeral(id, env, typeof e.ts === 'number' ? e.ts : ctx.now());
      return;
    }
    case 'end':
      if (!isValidUsername(e.user) || (e.code !== 'KICKED' && e.code !== 'BANNED')) return;
      for (const s of [...(ctx.online.get(e.user) ?? [])]) s.fail(e.code, String(e.reason));
      return;
    case 'shutdown':
      ctx.log({ event: 'cluster_shutdown' });
      ctx.requestShutdown();
      return;
  }
}

export function clusterHooks(ctx: RelayContext): ClusterHooks {
  return {
    wake: (users) => {
      for (const u of users) ctx.receivers.get(u)?.notify();
    },
    receiving: () => [...ctx.receivers.keys()],
    event: (e) => act(ctx, e),
    fence: () => {
      for (const r of [...ctx.receivers.values()]) r.fail('SHUTTING_DOWN', 'this relay lost its lease; reconnect');
    },
    log: (event, fields) => ctx.log({ event, ...fields }),
  };
}
