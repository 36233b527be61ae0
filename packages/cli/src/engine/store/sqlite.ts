/**
 * The SQLite addon (better-sqlite3-multiple-ciphers, a drop-in for better-sqlite3 with page encryption), loaded once
 * for the store's modules: chat.db (encrypted-db.ts) and the profile's locks (locks.ts).
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The addon's package, loaded from its real path. Through a symlinked node_modules (pnpm) Node 20 may keep the link's
 * path after an lstat of a socket (the daemon's, just before), and the package then cannot find its own `bindings`
 * dependency; libuv's realpath (`.native`) is not affected.
 */
const require = createRequire(import.meta.url);
export const Database = require(
  realpathSync.native(require.resolve('better-sqlite3-multiple-ciphers')),
) as typeof import('better-sqlite3-multiple-ciphers');

/** The type the store's modules are written against (better-sqlite3's, whose API this package keeps). */
export type Db = import('better-sqlite3').Database;
