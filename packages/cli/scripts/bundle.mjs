// Bundles the `chat` binary (tsc's dist/bin/main.js and what it imports) into dist/bin/chat.js plus lazily loaded
// chunks in dist/bin/chunks/. Start-up then reads a handful of files instead of ~150 modules, which was most of a
// one-shot `chat send`'s wall time. Run after `tsc -b` (npm run build does both).
//
// The argument shapes main.ts runs without yargs (bin/fast-path.ts) load bin/fast-run.ts and what it imports from a
// second bundle, dist/bin/chunks/fast-<hash>.cjs: one CommonJS file with no splitting, where a dynamic import of our own code
// is a function call inside the file. Node's ES module loader pays a resolution, an asynchronous read, a compile and
// a link per file, and `chat recv` loaded about 50 chunks; require() reads and compiles one file. It sits in chunks/
// so that the paths our code resolves from import.meta.url (the signature and unseal workers) are those of the chunks.
//
// Inlined: this package, @chat/crypto, @chat/protocol and their small pure-JS dependencies. Kept external, loaded
// from node_modules when a command needs them: every npm dependency of this package (better-sqlite3 is native; Ink
// and React only for the interactive session; yargs reads its locale files relative to itself).
import { readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join } from 'node:path';
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

// The fast path, first: its file name carries a hash of its content (bin/code-cache.ts keys V8's cache by it), and
// main.ts gets that name. import.meta.url is the file's URL, as in an ES module; ui/wrap.js is the ES module below.
const fast = await build({
  ...nodeBundleOptions(external),
  format: 'cjs',
  entryPoints: { fast: join(outdir, 'fast-run.js') },
  entryNames: 'chunks/[name]-[hash]',
  outdir,
  outExtension: { '.js': '.cjs' },
  banner: { js: "const __chatImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { CHAT_CLI_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__chatImportMetaUrl' },
  plugins: [
    {
      name: 'wrap-as-es-module',
      setup(b) {
        b.onResolve({ filter: /\/ui\/wrap\.js$/ }, (a) =>
          a.kind === 'dynamic-import' ? { path: './wrap.js', external: true } : undefined,
        );
      },
    },
  ],
  metafile: true,
  sourcemap: 'linked',
});
const fastFile = Object.keys(fast.metafile.outputs).find((f) => f.endsWith('.cjs'));
const FAST_BUNDLE = `./chunks/${basename(fastFile)}`;

await build({
  ...nodeBundleOptions(external),
  entryPoints: {
    chat: join(outdir, 'main.js'),
    // The word wrap as an ES module of its own, for the fast file: string-width is an ES module, which require() cannot load.
    'chunks/wrap': join(pkgDir, 'dist/ui/wrap.js'),
  },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  define: { CHAT_CLI_VERSION: JSON.stringify(pkg.version), CHAT_FAST_BUNDLE: JSON.stringify(FAST_BUNDLE) },
  sourcemap: 'linked',
});

// require() of an ES-module-only package throws on Node 20: the only npm packages the fast file may require are CommonJS
// ones (the rest it must import()), and every one it requires is loaded on every fast command, so list them here.
const REQUIRED = new Set(['better-sqlite3-multiple-ciphers', 'msgpackr-extract']);
for (const output of Object.values(fast.metafile.outputs))
  for (const i of output.imports)
    if (i.external && i.kind !== 'dynamic-import' && !isBuiltin(i.path) && !REQUIRED.has(i.path))
      throw new Error(
        `the fast file would require ${i.path} (${i.kind}): import() it, or check it is CommonJS and add it`,
      );
