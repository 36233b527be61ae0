/** The shape of a feature's methods (methods-*.ts), apart from methods.ts so the features need not import it. */
import type { Subscriber } from './hub.js';
import type { Params } from './params.js';
import { ChatError } from '../engine/errors.js';

/** Per connection: the connection as a subscriber. */
export interface ConnectionParams {
  subscriber: Subscriber;
  /** True once the client closed its side, or half-closed it: it sends no more requests (`gate`). */
  left: () => boolean;
}

/**
 * What a method waits for before it runs: `ready` (the daemon started, its keys unlocked). A request that came while
 * the daemon was still starting, and whose client has left by then (a `chat send` killed while the daemon waited for
 * its passphrase), is not run: nobody would hear its answer, and a killed send must not go out minutes later (hunt3).
 */
export function gate<T>(ready: Promise<T>): (conn: ConnectionParams) => Promise<T> {
  let isReady = false;
  ready.then(
    () => {
      isReady = true;
    },
    () => {},
  );
  return async (conn) => {
    const waited = !isReady;
    const value = await ready;
    if (waited && conn.left()) {
      throw new ChatError('DAEMON_LOST', 'the client left while the daemon was starting: its request was not run');
    }
    return value;
  };
}

/** What a feature method is handed: the engine (typed as narrowly as the feature needs) and the downloads folder. */
export interface EngineDeps<E> {
  engine: E;
  downloads: string;
}

/** Adds one method of a feature. */
export type Register<E> = (name: string, f: (d: EngineDeps<E>, p: Params, c: ConnectionParams) => unknown) => void;
