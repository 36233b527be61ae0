// Bundles the `chat` binary (tsc's dist/bin/main.js and what it imports) into dist/bin/chat.js plus lazily loaded
// chunks in dist/bin/chunks/. Start-up then reads a handful of files instead of ~150 modules, which was most of a
// one-shot `chat send`'s wall time. Run after `tsc -b` (npm run build does both).
//
// Inlined: this package, @chat/crypto, @chat/protocol and their small pure-JS dependencies. Kept external, loaded
// from node_modules when a command needs them: every npm dependency of this package (better-sqlite3 is native; Ink
// and React only for the interactive session; yargs reads its locale files relative to itself).
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundleOptions } from './esbuild-node.mjs';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const outdir = join(pkgDir, 'dist/bin');
// json-rpc-2.0 (the daemon's codec, pure JS, ~10 kB) is inlined like our own code: left external it is a CommonJS
// package that Node resolves, reads and lexes file by file on every `chat send` that talks to the daemon.
const INLINED = new Set(['json-rpc-2.0']);
const external = Object.keys(pkg.dependencies)
  .filter((name) => !pkg.dependencies[name].startsWith('workspace:') && !INLINED.has(name))
  .flatMap((name) => [name, `${name}/*`]);
// msgpackr tries require('msgpackr-extract'), an optional native string decoder, and falls back to JavaScript when it
// is missing. Inlined, its loader probes the C library (reads /usr/bin/ldd) at every start-up and finds no binary
// from the bundle's directory anyway; left external it is simply not found there. The CLI decodes a few small frames
// per command: the JavaScript decoder is what it used before too (the native one is not built on this machine).
external.push('msgpackr-extract');

rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  ...nodeBundleOptions(external),
  entryPoints: { chat: join(outdir, 'main.js') },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  define: { CHAT_CLI_VERSION: JSON.stringify(pkg.version) },
  sourcemap: 'linked',
});
