import { readFileSync } from 'node:fs';

/** Set by a bundler (scripts/pack.mjs) to package.json's version; a bundle does not sit next to this package.json. */
declare const CHAT_RELAY_VERSION: string | undefined;

/** This package's version: inlined in a bundle, else read once from package.json (one small file read). */
export const VERSION: string =
  typeof CHAT_RELAY_VERSION === 'string'
    ? CHAT_RELAY_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
