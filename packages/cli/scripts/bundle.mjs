// Bundles the `chat` binary (tsc's dist/bin/main.js and what it imports) into dist/bin/chat.js plus lazily loaded
// chunks in dist/bin/chunks/. Start-up then reads a handful of files instead of ~150 modules, which was most of a
// one-shot `chat send`'s wall time. Run after `tsc -b` (npm run build does both).
//
// The argument shapes main.ts runs without yargs (bin/fast-path.ts) load bin/fast-run.ts and what it imports from a
// second bundle, dist/bin/chunks/fast-<hash>.cjs: one CommonJS file with no splitting, where a dynamic import of our own code
// is a function call inside the file. Node's ES module loader pays a resolution, an asynchronous read, a compile and
// a link per file, and `chat recv` loaded about 50 chunks; require() reads and compiles one file. It sits in chunks/
// so that the paths our code resolves from import.meta.url (the signature and unseal workers) are those of the chunks.
// The yargs path (every other command) keeps the ES module chunks and never loads the fast file. (The yargs path as
// a CommonJS file of its own was tried: `chat verify`, `chat groups`, a usage error did not get cheaper, as yargs
// itself is most of their start-up.)
//
// Inlined: this package, @chat/crypto, @chat/protocol and their small pure-JS dependencies, and yargs (yargs.mjs).
// Kept external, loaded from node_modules when a command needs them: every other npm dependency of this package
// (better-sqlite3 is native; Ink and React only for the interactive session).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundleOptions } from './esbuild-node.mjs';
import { INLINED_YARGS, yargsPlugin } from './yargs.mjs';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const outdir = join(pkgDir, 'dist/bin');
// json-rpc-2.0 (the daemon's codec, pure JS, ~10 kB) is inlined like our own code: left external it is a CommonJS
// package that Node resolves, reads and lexes file by file on every `chat send` that talks to the daemon.
const INLINED = new Set(['json-rpc-2.0', ...INLINED_YARGS]);
const external = Object.keys(pkg.dependencies)
  .filter((name) => !pkg.dependencies[name].startsWith('workspace:') && !INLINED.has(name))
  .flatMap((name) => [name, `${name}/*`]);
// msgpackr tries require('msgpackr-extract'), an optional native string decoder, and falls back to JavaScript when it
// is missing. Inlined, its loader probes the C library (reads /usr/bin/ldd) at every start-up and finds no binary
// from the bundle's directory anyway; left external it is simply not found there. The CLI decodes a few small frames
// per command: the JavaScript decoder is what it used before too (the native one is not built on this machine).
external.push('msgpackr-extract');

rmSync(join(outdir, 'chunks'), { recursive: true, force: true });

// require() of an ES-module-only package throws on Node 20: the only npm packages a CommonJS file may require are
// CommonJS ones (the rest it must import()), and every one it requires is loaded when it loads, so list them here.
const REQUIRED = new Set(['better-sqlite3-multiple-ciphers', 'msgpackr-extract']);
// Our ES modules that the CommonJS file import()s rather than contains, because they import ES-module-only packages:
// the word wrap (string-width). The ES module build below makes each an entry of its own in chunks/.
const AS_ES_MODULE = { 'ui/wrap.js': 'wrap' };

/**
 * One CommonJS file, chunks/<name>-<content hash>.cjs, of `entry` and all it imports (bin/code-cache.ts keys V8's
 * cache by that name). import.meta.url is the file's URL, as in an ES module. Returns its path from dist/bin.
 */
async function commonJsBundle(name, entry) {
  const result = await build({
    ...nodeBundleOptions(external),
    format: 'cjs',
    entryPoints: { [name]: join(outdir, entry) },
    entryNames: 'chunks/[name]-[hash]',
    outdir,
    outExtension: { '.js': '.cjs' },
    banner: { js: "const __chatImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { CHAT_CLI_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__chatImportMetaUrl' },
    plugins: [
      {
        name: 'es-module-islands',
        setup(b) {
          b.onResolve({ filter: /\/ui\/wrap\.js$/ }, (a) => {
            const island = AS_ES_MODULE[`ui/${basename(a.path)}`];
            return a.kind === 'dynamic-import' && island ? { path: `./${island}.js`, external: true } : undefined;
          });
        },
      },
    ],
    metafile: true,
    sourcemap: 'linked',
  });
  const [file, output] = Object.entries(result.metafile.outputs).find(([f]) => f.endsWith('.cjs'));
  for (const i of output.imports)
    if (i.external && i.kind !== 'dynamic-import' && !isBuiltin(i.path) && !REQUIRED.has(i.path))
      throw new Error(`${name}: would require ${i.path} (${i.kind}): import() it, or check it is CommonJS and add it`);
  // code-cache.ts runs the file with vm.Script, where import() needs an experimental option (Node 20 warns on stderr,
  // and fails once the script comes from the code cache): each import() of an ES module becomes a call of the
  // function code-cache.ts passes in, which imports it from its own ES module.
  let code = readFileSync(file, 'utf8');
  for (const i of output.imports.filter((x) => x.kind === 'dynamic-import')) {
    code = code.replaceAll(`import(${JSON.stringify(i.path)})`, `__chatImport(${JSON.stringify(i.path)})`);
  }
  if (/\bimport\(\s*["'`]/.test(code))
    throw new Error(`${name}: an import() code-cache.ts cannot serve is left in ${file}`);
  code = asciiComments(code);
  // Named by a hash of what is written (esbuild's [hash] is of its own output, before the line above).
  const named = join(dirname(file), `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
  writeFileSync(named, code);
  rmSync(file);
  return `./chunks/${basename(named)}`;
}

/**
 * The file with every character outside ASCII, which esbuild leaves only in the comments it keeps (its strings and
 * regular expressions are escaped: charset ascii), replaced by `?`. Decoded as UTF-8, one such character makes V8 hold
 * the whole 790 kB source as a two-byte string, twice (code-cache.ts wraps it in a function before compiling).
 */
function asciiComments(code) {
  for (const line of code.split('\n'))
    if (/[^\x00-\x7f]/.test(line) && !/^\s*(\/\/|\/\*|\*)/.test(line))
      throw new Error(`a character outside ASCII outside a comment line: ${line.slice(0, 120)}`);
  return code.replace(/[^\x00-\x7f]/gu, '?');
}

// First, so that main.ts gets its name.
const FAST_BUNDLE = await commonJsBundle('fast', 'fast-run.js');

await build({
  ...nodeBundleOptions(external),
  entryPoints: {
    chat: join(outdir, 'main.js'),
    ...Object.fromEntries(
      Object.entries(AS_ES_MODULE).map(([file, island]) => [`chunks/${island}`, join(pkgDir, 'dist', file)]),
    ),
  },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  plugins: [yargsPlugin(external)],
  define: {
    CHAT_CLI_VERSION: JSON.stringify(pkg.version),
    CHAT_FAST_BUNDLE: JSON.stringify(FAST_BUNDLE),
  },
  sourcemap: 'linked',
});
