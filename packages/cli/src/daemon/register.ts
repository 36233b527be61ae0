/** The shape of a feature's methods (methods-*.ts), apart from methods.ts so the features need not import it. */
import type { Subscriber } from './hub.js';
import type { Params } from './params.js';

/** Per connection: the connection as a subscriber. */
export interface ConnectionParams {
  subscriber: Subscriber;
}

/** What a feature method is handed: the engine (typed as narrowly as the feature needs) and the downloads folder. */
export interface EngineDeps<E> {
  engine: E;
  downloads: string;
}

/** Adds one method of a feature. */
export type Register<E> = (name: string, f: (d: EngineDeps<E>, p: Params, c: ConnectionParams) => unknown) => void;
