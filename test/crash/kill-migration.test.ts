/**
 * SIGKILL while a plaintext chat.db from before §13.3 is being encrypted in place (PROTOCOL.md §13.3): a child
 * process opens the store with a storage key and is killed once its encrypted copy (`chat.db.encrypting`) appears.
 * Afterwards the next open finishes the migration: every row is there, and no file of the profile holds plaintext.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { ENCRYPTING_SUFFIX, isPlaintext, keyed, type Db } from '../../packages/cli/src/engine/store/encrypted-db.js';
import { Store } from '../../packages/cli/src/engine/store/store.js';
import { CHAT_BIN } from '../e2e/harness.js';
import { tempDir } from '../fixtures/temp.js';
import { until } from '../fixtures/wait.js';

const KEY = Buffer.alloc(32, 5);
const ROWS = 20_000;
const MARK = 'kill-migration-plaintext';
const STORE_JS = join(CHAT_BIN, '../../engine/store/store.js');
const tmp = tempDir('kill-migration');
/** The CLI's SQLite binding, unkeyed: the plaintext database an older version wrote (the root has no dependency on it). */
const Database = createRequire(new URL('../../packages/cli/package.json', import.meta.url))(
  'better-sqlite3-multiple-ciphers',
) as new (
  path: string,
) => Db;
afterAll(() => tmp.cleanup());

/** A plaintext chat.db with today's schema and ROWS messages, as an older version left it. */
function plaintextDb(dir: string): string {
  const seed = join(dir, 'seed.db');
  Store.open(seed, KEY).close();
  const db = keyed(seed, KEY);
  db.pragma('journal_mode = DELETE');
  db.pragma("rekey = ''");
  db.close();
  const path = join(dir, 'chat.db');
  copyFileSync(seed, path);
  const plain = new Database(path);
  plain.pragma('journal_mode = WAL');
  const add = plain.prepare(
    "INSERT INTO messages (id, peer, direction, body, ts, relay_ts, received_at) VALUES (?, 'bob', 'in', ?, ?, NULL, ?)",
  );
  plain.transaction(() => {
    for (let i = 0; i < ROWS; i++) add.run(i.toString(16).padStart(32, '0'), `${MARK} ${i} ${'x'.repeat(400)}`, i, i);
  })();
  plain.close();
  return path;
}

describe('SIGKILL during the encryption of a plaintext chat.db', () => {
  it('loses nothing: the next open completes it and no plaintext is left', async () => {
    const dir = join(tmp.dir, 'profile');
    const path = plaintextDb(dir);
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { Store } = await import(${JSON.stringify(STORE_JS)}); Store.open(process.argv[1], Buffer.alloc(32, 5)).close();`,
        path,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));
    await until(() => done || existsSync(`${path}${ENCRYPTING_SUFFIX}`), 'the encrypted copy appears');
    // The kill lands mid-migration (the copy exists, the rename has not happened): otherwise this proves nothing.
    expect(done).toBe(false);
    child.kill('SIGKILL');
    await exited;
    expect(isPlaintext(path)).toBe(true);
    const store = Store.open(path, KEY);
    try {
      expect(store.messages.list().length).toBe(ROWS);
    } finally {
      store.close();
    }
    expect(isPlaintext(path)).toBe(false);
    const files = readdirSync(dir).filter((f) => f.startsWith('chat.db'));
    expect(files).toEqual(['chat.db']);
    expect(readFileSync(path).includes(MARK)).toBe(false);
  });
});
