/** V8's code cache for the fast path's file (code-cache.ts): used when whole and safe, else skipped, never an error. */
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { cacheFileOf, requireWithCodeCache } from './code-cache.js';

// A CommonJS module with a function the load runs (so the cache holds compiled code) and a dynamic import, as
// scripts/bundle.mjs rewrites them.
const SOURCE = `
function answer() { return [1, 2, 3].map((n) => n * 14).reduce((a, b) => a + b, 0) / 2; }
exports.answer = answer();
exports.dirname = __dirname;
exports.sep = () => __chatImport('node:path').then((p) => p.sep);
exports.later = (n) => { const out = []; for (let i = 0; i < n; i++) out.push(String(i).padStart(4, '0')); return out.join('-'); };
`;

interface Mod {
  answer: number;
  dirname: string;
  sep(): Promise<string>;
  /** Compiled only by a run that calls it. */
  later(n: number): string;
}

describe('requireWithCodeCache', () => {
  let t: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    t = tempDir('code-cache');
    chmodSync(t.dir, 0o755);
    file = join(t.dir, 'fast-TEST.cjs');
    writeFileSync(file, SOURCE);
  });
  afterEach(() => t.cleanup());

  /** Loads `file`, checks what it exports, saves the cache as main.ts does at exit; returns the cache's state. */
  async function load(): Promise<string> {
    const m = requireWithCodeCache<Mod>(file, (s) => import(s));
    expect(m.exports.answer).toBe(42);
    expect(m.exports.dirname).toBe(t.dir);
    expect(await m.exports.sep()).toBe('/');
    m.save();
    return m.cache;
  }

  it('writes the cache after a first load and uses it on the next', async () => {
    expect(await load()).toBe('none');
    expect(readFileSync(cacheFileOf(file)).length).toBeGreaterThan(32);
    expect(await load()).toBe('used');
  });

  it('a completed run of a kind the cache does not name writes it again, with what that run compiled', async () => {
    const cacheBytes = () => readFileSync(cacheFileOf(file));
    // A run that did not complete (main.ts passes no kind): the cache it leaves names no kind.
    expect(await load()).toBe('none');
    const first = cacheBytes();
    const again = () => requireWithCodeCache<Mod>(file, (s) => import(s));
    const m = again();
    expect([m.cache, m.kinds]).toEqual(['used', []]);
    expect(m.exports.later(2)).toBe('0000-0001');
    m.save('recv');
    const second = cacheBytes();
    expect(second.length - first.length).toBeGreaterThan(64); // `later`'s bytecode, not only the kind's 5 bytes
    const n = again();
    expect([n.cache, n.kinds]).toEqual(['used', ['recv']]);
    n.save('recv');
    n.save();
    expect(cacheBytes().equals(second)).toBe(true); // a kind it names, or none: not written
    n.save('send');
    expect(again().kinds).toEqual(['recv', 'send']);
  });

  it('skips a cache in the format before the kinds (its digest over the source and the data alone)', async () => {
    const data = Buffer.alloc(400, 7); // read as the new format: 7 bytes of kinds, then 392 bytes for V8 to reject
    const sha = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
    const oldDigest = sha(sha(readFileSync(file)), data);
    writeFileSync(cacheFileOf(file), Buffer.concat([oldDigest, data]));
    expect(await load()).toBe('none');
    expect(await load()).toBe('used');
  });

  it('skips a damaged or truncated cache, and writes a good one again', async () => {
    await load();
    const good = readFileSync(cacheFileOf(file));
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] = (flipped.at(-1) as number) ^ 1;
    writeFileSync(cacheFileOf(file), flipped);
    expect(await load()).toBe('none');
    writeFileSync(cacheFileOf(file), good.subarray(0, good.length - 100));
    expect(await load()).toBe('none');
    expect(await load()).toBe('used');
  });

  it('skips a cache made for another source, also one of the same length, and writes one for this source', async () => {
    await load();
    writeFileSync(file, `${SOURCE}\n// another build\n`);
    expect(await load()).toBe('none');
    expect(await load()).toBe('used');
    // Edited in place, same length (V8's own check compares only the length): the old bytecode must not run.
    writeFileSync(file, `${SOURCE}\n// another BUILD\n`.replace('n * 14', 'n * 13'));
    const m = requireWithCodeCache<Mod>(file, (s) => import(s));
    expect(m.cache).toBe('none');
    expect(m.exports.answer).toBe(39);
  });

  it('does not read a cache that others may write, nor use a directory that others may write', async () => {
    await load();
    chmodSync(cacheFileOf(file), 0o666);
    expect(await load()).toBe('none');
    chmodSync(t.dir, 0o777);
    writeFileSync(cacheFileOf(file), 'planted');
    expect(await load()).toBe('unsafe');
    expect(readFileSync(cacheFileOf(file), 'utf8')).toBe('planted'); // and writes nothing there
  });
});
