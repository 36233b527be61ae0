import { readFileSync } from 'node:fs';

/** This package's version, read once from package.json (one small file read; cheaper than importing JSON). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What `hello.agent` says (§6.1). */
export const AGENT = `chat-cli/${VERSION}`;
