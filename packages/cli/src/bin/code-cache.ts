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
 *
 * A cache holds the functions the runs that made it compiled: one made by a command that did little (a `chat recv`
 * that failed at once) would leave every later `chat send` compiling the rest itself, about 4 ms a run
 * (docs/BENCHMARKS.md). So the cache also names the kinds of run (main.ts: the fast-path command) that completed with
 * it, and a completed run of a kind it does not name writes it again: V8 then serialises what the cache held and what
 * this run compiled. That is at most one rewrite per kind for as long as the install lives.
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
  /** The kinds of run that completed with the cache that was used (none if it was not used). */
  kinds: readonly string[];
  /**
   * Call at exit (the functions that ran are then compiled too): writes the cache if none was used, or if `kind`, a
   * run that completed, is not among the used cache's kinds. A run that did not complete passes no kind.
   */
  save(kind?: string): void;
}

// The file: SHA-256 of (SHA-256 of the source ‖ the rest), one byte n, n bytes of kinds (ASCII, comma-separated), then
// V8's data.
const DIGEST = 32;
const MAX_KINDS_BYTES = 255;

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
  const cached = safe ? readCache(cacheFile, sourceDigest) : undefined;
  const cachedData = cached?.data;
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
  const kinds = cache === 'used' ? (cached?.kinds ?? []) : [];
  const save = (kind?: string) => {
    if (cache === 'none' || cache === 'rejected') writeCache(script, cacheFile, sourceDigest, kind ? [kind] : []);
    // Never smaller than what was used: V8 may have flushed the bytecode of functions this run did not call (after
    // enough garbage collections), and a cache without them, naming their kinds, would stay that way.
    else if (cache === 'used' && kind && !kinds.includes(kind))
      writeCache(script, cacheFile, sourceDigest, [...kinds, kind], cachedData?.length ?? 0);
  };
  return { exports: module.exports, cache, kinds, save };
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

/** This file format's tag, hashed first: a cache in an earlier format (no kinds) never passes the digest. */
const FORMAT = Buffer.from('chat-v8cache/2\0', 'latin1');

/** The digest in front of `rest` (the kinds and V8's data) made for the source whose SHA-256 is `sourceDigest`. */
const digestOf = (sourceDigest: Buffer, rest: Buffer): Buffer =>
  createHash('sha256').update(FORMAT).update(sourceDigest).update(rest).digest();

/**
 * The kinds and V8 data in `cacheFile` if the file is safe and its digest matches (this source, these bytes); else
 * undefined.
 */
function readCache(cacheFile: string, sourceDigest: Buffer): { kinds: string[]; data: Buffer } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(cacheFile, 'r');
    if (!safePlace(fstatSync(fd)) || !fstatSync(fd).isFile()) return undefined;
    const bytes = readFileSync(fd);
    const rest = bytes.subarray(DIGEST);
    if (rest.length === 0 || !digestOf(sourceDigest, rest).equals(bytes.subarray(0, DIGEST))) return undefined;
    const n = rest[0]!;
    const data = rest.subarray(1 + n);
    const kinds = rest.subarray(1, 1 + n).toString('latin1');
    return data.length > 0 ? { kinds: kinds === '' ? [] : kinds.split(','), data } : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A new file only this process opened ('wx', 0644), renamed over the cache: readers see a whole file or none. Not
 * written if V8's data comes out shorter than `minDataBytes`.
 */
function writeCache(
  script: Script,
  cacheFile: string,
  sourceDigest: Buffer,
  kinds: readonly string[],
  minDataBytes = 0,
): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    accessSync(dirname(cacheFile), fsConstants.W_OK); // a read-only install: not even the serialisation
    const names = Buffer.from(kinds.join(','), 'latin1');
    if (names.length > MAX_KINDS_BYTES) return;
    const data = script.createCachedData();
    if (data.length < minDataBytes) return;
    const rest = Buffer.concat([Buffer.of(names.length), names, data]);
    writeFileSync(tmp, Buffer.concat([digestOf(sourceDigest, rest), rest]), { flag: 'wx', mode: 0o644 });
    renameSync(tmp, cacheFile);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}
