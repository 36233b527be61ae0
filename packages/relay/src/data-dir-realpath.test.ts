/**
 * Node 20's `fs.realpathSync`, which `require` uses, stops resolving a path early when the last numeric stat of the
 * process was a socket or a FIFO (nodejs/node#51142: it reads the process-wide stat buffer for a path component it
 * had cached). A relay restarted after a SIGKILL finds its stale `control.sock` in `checkDataDir`; `pg`, loaded next,
 * then came from its symlinked path in a pnpm layout and could not find `pg-types` beside its real one.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/temp.js';
import { checkDataDir } from './data-dir.js';

const t = tempDir('realpath');
let server: Server | undefined;
afterAll(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  t.cleanup();
});

it('checking a data directory that holds a socket leaves module resolution through symlinks intact', async () => {
  // A pnpm layout in miniature: app/node_modules/a links into the store, where a's dependency b sits beside it.
  const store = join(t.dir, 'store', 'node_modules');
  for (const name of ['a', 'b']) mkdirSync(join(store, name), { recursive: true });
  writeFileSync(join(store, 'a', 'index.js'), "module.exports = require('b');\n");
  writeFileSync(join(store, 'b', 'index.js'), "module.exports = 'b';\n");
  mkdirSync(join(t.dir, 'app', 'node_modules'), { recursive: true });
  symlinkSync(join(store, 'a'), join(t.dir, 'app', 'node_modules', 'a'));
  writeFileSync(join(t.dir, 'app', 'warm.js'), 'module.exports = 1;\n');
  const require = createRequire(join(t.dir, 'app', 'main.js'));
  require('./warm.js'); // the loader now has the tree's directories cached, as a relay has after its first imports

  const data = join(t.dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  const sock = join(data, 'control.sock'); // what a SIGKILLed relay leaves behind
  server = createServer();
  await new Promise<void>((done) => server!.listen(sock, done));
  checkDataDir(data);

  expect(require('a')).toBe('b');
});
