import { readFileSync } from 'node:fs';

/** Set by the bundler (scripts/bundle.mjs) to package.json's version; the bundle does not sit next to package.json. */
declare const CHAT_CLI_VERSION: string | undefined;

/** This package's version: inlined in the bundle, else read once from package.json (one small file read). */
export const VERSION: string =
  typeof CHAT_CLI_VERSION === 'string'
    ? CHAT_CLI_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What `hello.agent` says (§6.1). */
export const AGENT = `chat-cli/${VERSION}`;
