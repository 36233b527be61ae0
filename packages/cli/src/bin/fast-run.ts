/**
 * What main.ts runs for the argument shapes fast-path.ts accepts (plain send, recv, history, search, contacts,
 * whoami). In the bundle this module and everything it loads is one CommonJS file, dist/bin/chunks/fast-<hash>.cjs
 * (scripts/bundle.mjs): Node loads it with one read and one compile, where the ES module chunks of the same code
 * (about 50 for `chat recv`) each cost a resolution, a read and a link. The yargs path (cli.ts) never loads it, so
 * the two copies of the code are never both in one process.
 */
import type { FastCommand } from './fast-path.js';

// Static: scrypt must start before the rest of this file's code is evaluated (prederive.ts); everything else loads
// when runFast is called.
export { prederiveIdentityKey } from './prederive.js';

/** Runs `f` with the same actions the yargs definition calls. */
export async function runFast(f: FastCommand): Promise<void> {
  const { actions } = await import('./run.js');
  switch (f.command) {
    case 'send':
      return actions.send(f.args);
    case 'recv':
      return actions.recv(f.args);
    case 'history':
      return actions.history(f.args);
    case 'search':
      return actions.search(f.args);
    case 'contacts':
      return actions.contacts(f.args);
    case 'whoami':
      return actions.whoami(f.args);
  }
}
