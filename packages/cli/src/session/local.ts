/**
 * The session engine over this process's own Messenger: the interactive session as it runs without a daemon. It
 * holds the receiving session itself (engine/live.ts) and sweeps disappearing messages (§17.5).
 */
import { fingerprint } from '@chat/crypto';
import { runExpirer } from '../engine/expire/expirer.js';
import { runLive } from '../engine/live.js';
import type { Messenger } from '../engine/messenger.js';
import type { SessionEngine, SessionEvents } from './engine.js';
import { localOps } from './ops.js';

export function localEngine(m: Messenger): SessionEngine {
  return {
    username: m.username,
    fingerprint: fingerprint(m.identity.identity.publicKey),
    relay: `${m.address.host}:${m.address.port}`,
    settings: m.settings,
    store: m.store,
    ops: localOps(m),
    online: () => m.recvConnection !== undefined,
    contacts: () => m.contacts(),
    history: (o) => m.history(o),
    on<K extends keyof SessionEvents>(event: K, listener: (...args: SessionEvents[K]) => void) {
      // Each SessionEvents payload is a supertype of the Messenger's (engine.ts), so its listeners accept them.
      return m.on(event, listener as never);
    },
    run: (signal, retryBaseMs) => runLive(m, { signal, ...(retryBaseMs ? { baseDelayMs: retryBaseMs } : {}) }),
    expirer: () => runExpirer(m),
    close: () => m.close(),
  };
}
