/**
 * V8's code cache for the fast path's one CommonJS file (fast-run.ts; scripts/bundle.mjs names it by a hash of its
 * content, so a cache can never belong to another version of the code). Compiling that file, and the functions a
 * command then runs, is about 30 ms of CPU per `chat send` / `chat recv` (docs/BENCHMARKS.md); with the bytecode of a
 * previous run V8 skips most of it. Node 20 has no module.enableCompileCache, so the file is compiled here with
 * vm.Script and `cachedData`, and run with the arguments Node gives a CommonJS module.
 *
 * The cache is code: it is read only from a file and a directory that the user running `chat` (or root) owns and
 * that nobody else may write, and written only into such a directory, by rename from a file nobody else could have
 * opened. It carries a SHA-256 of the source it was made from and of itself, so a damaged file, or one made for
 * another source, is skipped before V8 sees it (V8's own source check compares only the length); V8 itself rejects a
 * cache from another V8 version or other flags. Anything unexpected means no cache, never an error.
 */
import { createHash } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** What happened to the cache: used, rejected by V8, absent or damaged, or not consulted (an unsafe place). */
export type CacheState = 'used' | 'rejected' | 'none' | 'unsafe';

export interface CachedRequire<T> {
  exports: T;
  cache: CacheState;
  /** Writes the cache when it was not used (call at exit: the functions that ran are then compiled too). */
  save(): void;
}

const DIGEST = 32; // SHA-256 of (SHA-256 of the source ‖ the V8 data), in front of the data

/** The cache file of `file`. */
export const cacheFileOf = (file: string): string => `${file}.v8cache`;

/**
 * Loads the CommonJS `file` as require() would, through V8's code cache where that is safe. The file calls
 * `__chatImport(specifier)` where its source said import() (scripts/bundle.mjs): a script run by vm has no import()
 * of its own without an experimental option. `importModule` imports from the ES module that calls this; a relative
 * specifier is resolved here against `file`.
 */
export function requireWithCodeCache<T>(
  file: string,
  importModule: (specifier: string) => Promise<unknown>,
): CachedRequire<T> {
  const safe = safePlace(statOrUndefined(dirname(file)));
  const cacheFile = cacheFileOf(file);
  const source = readFileSync(file);
  const sourceDigest = createHash('sha256').update(source).digest();
  const cachedData = safe ? readCache(cacheFile, sourceDigest) : undefined;
  const script = new Script(`(function (${PARAMS}) {${source.toString('utf8')}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const cache: CacheState = !safe
    ? 'unsafe'
    : cachedData === undefined
      ? 'none'
      : script.cachedDataRejected
        ? 'rejected'
        : 'used';
  const module = { exports: {} as T };
  const url = pathToFileURL(file);
  const chatImport = (s: string) => importModule(s.startsWith('.') ? new URL(s, url).href : s);
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), chatImport);
  const save = () =>
    cache === 'none' || cache === 'rejected' ? writeCache(script, cacheFile, sourceDigest) : undefined;
  return { exports: module.exports, cache, save };
}

/** What Node passes a CommonJS module, and the import() stand-in. */
const PARAMS = 'exports, require, module, __filename, __dirname, __chatImport';

/** Owned by this user or root, and writable by nobody else (no group or other write bit). */
function safePlace(st: Stats | undefined): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && st !== undefined && (st.uid === uid || st.uid === 0) && (st.mode & 0o022) === 0;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The digest in front of `data` made for the source whose SHA-256 is `sourceDigest`. */
const digestOf = (sourceDigest: Buffer, data: Buffer): Buffer =>
  createHash('sha256').update(sourceDigest).update(data).digest();

/** The V8 data in `cacheFile` if the file is safe and its digest matches (this source, this data); else undefined. */
function readCache(cacheFile: string, sourceDigest: Buffer): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(cacheFile, 'r');
    if (!safePlace(fstatSync(fd)) || !fstatSync(fd).isFile()) return undefined;
    const bytes = readFileSync(fd);
    const data = bytes.subarray(DIGEST);
    return data.length > 0 && digestOf(sourceDigest, data).equals(bytes.subarray(0, DIGEST)) ? data : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A new file only this process opened ('wx', 0644), renamed over the cache: readers see a whole file or none. */
function writeCache(script: Script, cacheFile: string, sourceDigest: Buffer): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    accessSync(dirname(cacheFile), fsConstants.W_OK); // a read-only install: not even the serialisation
    const data = script.createCachedData();
    writeFileSync(tmp, Buffer.concat([digestOf(sourceDigest, data), data]), { flag: 'wx', mode: 0o644 });
    renameSync(tmp, cacheFile);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}
