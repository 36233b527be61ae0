/** The shape of a feature's methods (methods-*.ts), apart from methods.ts so the features need not import it. */
import type { Subscriber } from './hub.js';
import type { Params } from './params.js';
import { ChatError } from '../engine/errors.js';

/** Per connection: the connection as a subscriber. */
export interface ConnectionParams {
  subscriber: Subscriber;
}

/** How long a request waits for a daemon that is still starting (unlocking its keys) before DAEMON_STARTING. */
export const START_WAIT_MS = 10_000;

/**
 * What a method waits for before it runs: `ready` (the daemon started, its keys unlocked), at most `waitMs`. A
 * request that came while the daemon was waiting for its passphrase used to wait for ever, and run whenever the keys
 * unlocked, minutes later, even for a client long gone (a `chat send` killed by `timeout`, hunt3); now it is answered
 * DAEMON_STARTING and not run. (Whether a client is still there cannot be told from the daemon's side: a client that
 * half-closes after its request, which the daemon supports, looks the same as one that was killed.)
 */
export function gate<T>(ready: Promise<T>, waitMs = START_WAIT_MS): () => Promise<T> {
  let isReady = false;
  ready.then(
    () => {
      isReady = true;
    },
    () => {},
  );
  return async () => {
    if (isReady) return ready;
    let timer: NodeJS.Timeout | undefined;
    const starting = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ChatError(
              'DAEMON_STARTING',
              'the chat daemon for this profile is still starting (its keys are not unlocked yet): the request was not run',
              {
                hint: 'try again once its log says ready (chat daemon waits for its passphrase), or stop it',
              },
            ),
          ),
        waitMs,
      );
    });
    try {
      return await Promise.race([ready, starting]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** What a feature method is handed: the engine (typed as narrowly as the feature needs) and the downloads folder. */
export interface EngineDeps<E> {
  engine: E;
  downloads: string;
}

/** Adds one method of a feature. */
export type Register<E> = (name: string, f: (d: EngineDeps<E>, p: Params, c: ConnectionParams) => unknown) => void;
