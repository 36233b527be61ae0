/**
 * The session engine of an interactive session attached to `chat daemon` (engine.ts says what goes where). The
 * daemon holds the keys and the one receiving session; this process asks it over JSON-RPC (the session ops,
 * docs/JSONRPC.md) and turns its notifications, the objects `chat recv --json` prints (daemon/objects.ts), into the
 * session's events. It never sees an identity key or the passphrase; it reads chat.db with the storage key the daemon
 * gives its own user (PROTOCOL.md §13.3).
 */
import { EventEmitter } from 'node:events';
import type { DaemonClient } from '../daemon/client.js';
import type { Notification } from '../daemon/hub.js';
import type { EventObject, MessageObject } from '../daemon/objects.js';
import { aborted } from '../engine/aborted.js';
import { ChatError, type ChatErrorCode } from '../engine/errors.js';
import type { ConnectionStatus } from '../engine/events.js';
import { loadSettings } from '../engine/settings.js';
import { Store } from '../engine/store/store.js';
import type { SessionEngine, SessionEvents } from './engine.js';
import { SESSION_OPS, type SessionOps, sessionMethod } from './ops.js';

/**
 * Attaches to the daemon behind `client` for the profile in `home` (whose database this process reads).
 * @throws {ChatError} DAEMON_LOST if the daemon went away; PROFILE_CORRUPT for a database it cannot open.
 */
export async function remoteEngine(client: DaemonClient, home: string, dbPath: string): Promise<SessionEngine> {
  const events = new EventEmitter<SessionEvents>();
  const ops = remoteOps(client, () => events.emit('queued'));
  const info = await ops.sessionInfo({});
  let connection = connectionStatus({ type: 'connection', state: info.connection });
  const { storageKey } = await client.request<{ storageKey: string }>('storageKey');
  const key = Buffer.from(storageKey, 'hex');
  let store: Store;
  try {
    store = Store.open(dbPath, key);
  } finally {
    key.fill(0);
  }
  // Registered once; `listening` says whether the session wants them (after /logout it does not, until /connect).
  let listening = false;
  client.onNotification((n: Notification): void => {
    if (!listening) return;
    if (n.method === 'message') return messageEvent(events, n.params);
    if (n.params.type === 'connection') connection = connectionStatus(n.params);
    eventEvent(events, n.params, connection);
  });
  return {
    username: info.username,
    fingerprint: info.fingerprint,
    relay: info.relay,
    settings: loadSettings(home),
    store,
    ops,
    online: () => connection.state === 'online',
    contacts: () => store.contacts.list(),
    history: (o = {}) => store.messages.list(o),
    on: (event, listener) => events.on(event, listener as never), // EventEmitter's conditional type, checked by `on`
    async run(signal) {
      // Heard from now on: an abort during the awaits below (a /logout or /quit right after /connect) comes before
      // any listener added after them, and an aborted signal fires no second time, so such a run would never end.
      const detached = aborted(signal);
      if (signal.aborted) return;
      listening = true;
      events.emit('connection', connection);
      try {
        await client.request('subscribe');
        // What arrived while no front end listened is in the history this session shows: take it from the daemon's
        // queue for `chat recv`, as a session of its own takes its backlog from the relay, and hear it the same way.
        // Not once detached: it stays queued for whichever front end comes next.
        if (!signal.aborted) {
          const { messages } = await client.request<{ messages: MessageObject[] }>('receive');
          for (const m of messages) messageEvent(events, m);
        }
      } catch (err) {
        // The daemon gone while attaching is the same DAEMON_LOST status as later (client.closed has resolved).
        if (!(err instanceof ChatError && err.code === 'DAEMON_LOST')) throw err;
      }
      await Promise.race([detached, client.closed]);
      listening = false;
      if (signal.aborted) {
        // Detached (/logout, /quit): the daemon keeps its session and keeps this connection's messages for others.
        await client.request('unsubscribe').catch(() => {});
        return;
      }
      connection = { state: 'failed', error: daemonLost() };
      events.emit('connection', connection);
    },
    // The daemon sweeps (§17.5) and notifies `expired`; a second sweeper here would only race it.
    expirer: () => ({ stop() {}, rearm() {} }),
    close() {
      client.close();
      store.close();
    },
  };
}

/** Each operation as a request to the daemon; `done` hears of each that completed (the history may have changed). */
export function remoteOps(client: DaemonClient, done: () => void): SessionOps {
  const ops: Record<string, (p: Record<string, unknown>) => Promise<unknown>> = {};
  for (const name of SESSION_OPS) {
    ops[name] = async (p) => {
      const result = await client.request(sessionMethod(name), p);
      done();
      return result;
    };
  }
  return ops as unknown as SessionOps;
}

export function daemonLost(): ChatError {
  return new ChatError('DAEMON_LOST', 'the chat daemon stopped: this session is no longer connected', {
    hint: 'start chat daemon again and reopen chat, or quit and run chat without a daemon',
  });
}

function messageEvent(events: EventEmitter<SessionEvents>, m: MessageObject): void {
  switch (m.type) {
    case 'edit':
    case 'delete':
    case 'reaction':
      events.emit('action');
      return;
    case 'expire':
      events.emit('expire', m);
      return;
  }
  if ('kind' in m) {
    const g = { kind: m.kind, conv: m.conv, gid: m.group, from: m.from, body: m.body };
    events.emit('groupMessage', m.competing ? { ...g, competing: true } : g);
  } else events.emit('message', { from: m.from });
}

function eventEvent(events: EventEmitter<SessionEvents>, e: EventObject, connection: ConnectionStatus): void {
  switch (e.type) {
    case 'held':
      return void events.emit('held', { from: e.from, reason: e.reason });
    case 'delivery':
      return void events.emit('delivery');
    case 'keyChanged':
      events.emit('keyChanged', { username: e.username, accepted: e.accepted });
      // Not accepted: the daemon's outbox now holds what goes to them (a local engine says `blocked` then).
      if (!e.accepted) events.emit('blocked', { peer: e.username });
      return;
    case 'expired':
      return void events.emit('expired');
    case 'recovery':
      return void events.emit('recovery', { type: 'recovery', action: e.action, peer: e.peer, ids: e.ids });
    case 'typing':
      return void events.emit('typing', { from: e.from, active: e.active });
    case 'connection':
      return void events.emit('connection', connection);
    case 'file': {
      const t = e.transfer;
      const transfer = { blob: t.id, peer: t.peer, name: t.name, size: t.size, type: t.type };
      if (e.kind === 'offer') events.emit('file', { kind: 'offer', transfer });
      else events.emit('file', { kind: 'answer', outcome: e.outcome, transfer });
      return;
    }
  }
}

/** The daemon's relay connection as the status bar shows a local one; its error is known by code only. */
function connectionStatus(e: Extract<EventObject, { type: 'connection' }>): ConnectionStatus {
  const error = (): ChatError =>
    new ChatError((e.error ?? 'UNEXPECTED') as ChatErrorCode, `the daemon's relay connection: ${e.error ?? 'failed'}`);
  switch (e.state) {
    case 'online':
      return { state: 'online' };
    case 'reconnecting':
      return { state: 'reconnecting', attempt: e.attempt ?? 1, retryInMs: e.retryInMs ?? 0, error: error() };
    case 'failed':
      return { state: 'failed', error: error() };
    case 'stopped':
      return { state: 'stopped' };
    default:
      return { state: 'connecting', attempt: e.attempt ?? 1 };
  }
}
