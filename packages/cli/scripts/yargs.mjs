// yargs inlined into the `chat` bundle (bundle.mjs, the ES module build: only the yargs path, cli.ts, imports it).
// Loaded from node_modules it was about 45 ES modules (yargs, yargs-parser, cliui, y18n, wrap-ansi, string-width and
// theirs), each resolved, read, compiled and linked: about 120 ms of CPU to import in a fresh `node`, of which
// string-width alone was about 45 (its module creates an Intl.Segmenter and Unicode property regular expressions).
// Every command but the fast-path ones paid it. Inlined, yargs is part of the chunk of cli.ts, and:
//
// - string-width, imported by yargs' platform shim, cliui and wrap-ansi only to measure help and usage text, is
//   evaluated on its first call: a one-shot command that renders no help never pays for it. It is the same
//   string-width package (the version each of them resolves), so help text is measured and wrapped as before.
// - yargs' platform shim finds its locale files (locales/*.json, read by y18n for LANG=de_DE and the like) relative
//   to its own file; in the bundle that would be the chunk, so the shim is given the path of the installed yargs
//   instead. yargs therefore stays a dependency of this package (and of the packed tarball), for those files.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The packages of this package's dependencies that the ES module build inlines rather than loads. */
export const INLINED_YARGS = ['yargs'];

const SHIM = /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;

/** The esbuild plugin; `external` is the build's list (string-width is in it, for this package's own imports). */
export function yargsPlugin(external) {
  if (!external.includes('string-width')) throw new Error('yargs.mjs: expected string-width to be external');
  return {
    name: 'yargs-inlined',
    setup(b) {
      // An import of string-width from inside node_modules (yargs and its dependencies; our own code imports it
      // dynamically, and stays on the external package): a stand-in that requires the real file on first call.
      b.onResolve({ filter: /^string-width$/ }, (a) =>
        a.kind === 'import-statement' && /[\\/]node_modules[\\/]/.test(a.importer)
          ? { path: createRequire(a.importer).resolve('string-width'), namespace: 'lazy-string-width' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (a) => ({
        contents: [
          'let width;',
          'export default function stringWidth(text, options) {',
          `  width ??= require(${JSON.stringify(a.path)}).default;`,
          '  return width(text, options);',
          '}',
        ].join('\n'),
        resolveDir: dirname(a.path),
        loader: 'js',
      }));
      b.onLoad({ filter: SHIM }, (a) => {
        const source = readFileSync(a.path, 'utf8');
        const own = 'fileURLToPath(import.meta.url)';
        if (!source.includes(own)) throw new Error(`yargs.mjs: ${a.path} no longer reads ${own}`);
        return {
          contents: source.replace(own, '__chatYargsShimPath()') + INSTALLED_SHIM_PATH,
          loader: 'js',
          resolveDir: dirname(a.path),
        };
      });
    },
  };
}

// Where the shim would be in the installed yargs (its package's "." export is index.mjs, beside lib/); if yargs cannot
// be resolved, the chunk's own path, as the shim would see it: y18n then finds no locale file and speaks English.
const INSTALLED_SHIM_PATH = `
function __chatYargsShimPath() {
  try {
    return fileURLToPath(import.meta.resolve('yargs')).replace(/index\\.mjs$/, 'lib/platform-shims/esm.mjs');
  } catch {
    return fileURLToPath(import.meta.url);
  }
}
`;
