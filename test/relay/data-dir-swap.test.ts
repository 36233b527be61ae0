/**
 * The data directory is checked once at start-up, but the relay opens files in it for as long as it runs (review 2
 * of 2026-12-06, finding 1; SECURITY.md "Local users on the relay host"). A local user who could write the data
 * directory's parent, or who owned a symlink standing for it, swapped the directory after the check and planted
 * `blobs/<bid>.bin` symlinks (the blob id is the client's): the relay, often root, then wrote attacker bytes into
 * any file and served any file back. Each case here failed before the fix.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RelayFrame } from '@chat/protocol';
import { generateIdentity } from '@chat/crypto';
import { BlobStore, DEFAULT_BLOB_LIMITS, DataDirUnsafeError, startRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const root = tempDir('dd-swap');
chmodSync(root.dir, 0o755); // the second user must be able to reach its own directories below
afterAll(() => root.cleanup());
const asRoot = process.getuid?.() === 0;
const OTHER = 65534; // nobody
let n = 0;
const fresh = (): string => join(root.dir, `c${n++}`);

/** Runs `script` as the second local user, as the reviewer did with `su nobody`. */
function asOther(script: string): void {
  const r = spawnSync('sh', ['-c', script], { uid: OTHER, gid: OTHER, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`as uid ${OTHER}: ${script}: ${r.stderr}`);
}

async function refused(dir: string, pattern: RegExp): Promise<void> {
  const start = startRelay({ host: '127.0.0.1', port: 0, dataDir: dir, controlSocket: false });
  await start.then(
    (r) => r.close(),
    () => {},
  );
  await expect(start).rejects.toBeInstanceOf(DataDirUnsafeError);
  await expect(start).rejects.toThrow(pattern);
}

/** A root file the attacker wants written or read; 0600 like /etc/shadow. */
function rootFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

describe.skipIf(!asRoot)('the data directory after the start-up check (run as root: needs a second uid)', () => {
  it('a parent another user can write is refused: that is what the swap needs', async () => {
    const shared = fresh();
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    mkdirSync(join(shared, 'relaydata'), { mode: 0o700 });
    await refused(join(shared, 'relaydata'), new RegExp(`${shared}.*writable by group or others`));
  });

  it('an ancestor another user owns is refused, however high up', async () => {
    const top = fresh();
    mkdirSync(join(top, 'a', 'b'), { recursive: true, mode: 0o755 });
    chownSync(top, OTHER, OTHER);
    await refused(join(top, 'a', 'b'), new RegExp(`${top} belongs to another user`));
  });

  it('a sticky world-writable ancestor (like /tmp) is accepted', async () => {
    const sticky = fresh();
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    await (await startRelay({ host: '127.0.0.1', port: 0, dataDir: join(sticky, 'd'), controlSocket: false })).close();
  });

  it('a data-directory symlink another user owns is refused (its owner could retarget it)', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real'), { recursive: true, mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    lchownSync(join(dir, 'link'), OTHER, OTHER);
    await refused(join(dir, 'link'), /symbolic link .* another user/);
  });

  it('a data-directory symlink is resolved once: retargeting it later moves no file of the running relay', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'other', 'blobs'), { recursive: true, mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const relay = await relayInProcess(join(dir, 'link'), { controlSocket: false });
    try {
      const bob = await RawClient.connect(relay.port);
      expect(await bob.login('bob', generateIdentity(), 'send')).toMatchObject({ t: 'welcome' });
      bob.close();
      rmSync(join(dir, 'link'));
      symlinkSync(join(dir, 'other'), join(dir, 'link'));
      const alice = await RawClient.connect(relay.port);
      expect(await alice.login('alice', generateIdentity(), 'send')).toMatchObject({ t: 'welcome' });
      const bid = randomBytes(16);
      const ask = (f: Record<string, unknown>, rid: number): Promise<RelayFrame> => {
        alice.send({ ...f, rid } as never);
        return alice.next((x) => 'rid' in x && x.rid === rid);
      };
      expect(await ask({ t: 'blob_new', bid, to: 'bob', size: 60, chunks: 1 }, 1)).toMatchObject({ t: 'blob_ok' });
      expect(await ask({ t: 'blob_put', bid, n: 0, data: randomBytes(60) }, 2)).toMatchObject({ have: 1 });
      alice.close();
      expect(readdirSync(join(dir, 'other', 'blobs'))).toEqual([]);
      expect(existsSync(join(dir, 'real', 'blobs', `${bid.toString('hex')}.bin`))).toBe(true);
    } finally {
      await relay.close();
    }
  });
});

describe.skipIf(!asRoot)('the blob store never follows what another user planted (run as root)', () => {
  const BID0 = '00000000000000000000000000000000';
  const BID1 = '11111111111111111111111111111111';
  const BID2 = '22222222222222222222222222222222';
  const data = Buffer.from('x'.repeat(60));

  it("review 2's exact swap, done by the second uid, writes and reads nothing outside the data directory", () => {
    const w = fresh();
    mkdirSync(join(w, 'shared', 'relaydata'), { recursive: true });
    chmodSync(join(w, 'shared'), 0o777); // a shared parent: start-up refuses it now, the store must hold anyway
    chmodSync(join(w, 'shared', 'relaydata'), 0o700);
    const victim = rootFile(w, 'root-file', 'ROOT-ONLY: original content');
    const secret = rootFile(w, 'root-secret', 'ROOT-SECRET: /etc/shadow stand-in');
    const store = new BlobStore(join(w, 'shared', 'relaydata', 'blobs'), DEFAULT_BLOB_LIMITS);
    store.create('mallory', BID0, 'malbox', 60, 1, 1);
    store.create('mallory', BID2, 'malbox', 60, 1, 1);
    store.put('mallory', BID2, 0, data, 2);
    asOther(
      `cd ${w}/shared && mv relaydata relaydata.real && mkdir -p relaydata/blobs && ` +
        `ln -s ${victim} relaydata/blobs/${BID1}.bin && ln -s ${victim} relaydata/blobs/${BID0}.bin && ` +
        `ln -s ${secret} relaydata/blobs/${BID2}.bin`,
    );
    expect(() => store.create('mallory', BID1, 'malbox', 60, 1, 3)).toThrow(/blobs/);
    expect(() => store.put('mallory', BID0, 0, Buffer.from('P'.repeat(60)), 3)).toThrow(/blobs/);
    expect(() => store.readChunk(store.forRecipient('malbox', BID2), 0)).toThrow(/blobs/);
    expect(readFileSync(victim, 'utf8')).toBe('ROOT-ONLY: original content');
    // A store (a relay) that first meets the directory after the swap refuses it too: it is the other user's.
    expect(() => new BlobStore(join(w, 'shared', 'relaydata', 'blobs'), DEFAULT_BLOB_LIMITS)).toThrow(/another user/);
    expect(readFileSync(victim, 'utf8')).toBe('ROOT-ONLY: original content');
  });

  it('a symlink or hard link in place of a blob file is neither written nor read through', () => {
    const w = fresh();
    mkdirSync(w, { mode: 0o700 });
    const victim = rootFile(w, 'root-file', 'ROOT-ONLY: original content');
    const store = new BlobStore(join(w, 'blobs'), DEFAULT_BLOB_LIMITS);
    store.create('mallory', BID0, 'malbox', 60, 1, 1);
    rmSync(join(w, 'blobs', `${BID0}.bin`));
    symlinkSync(victim, join(w, 'blobs', `${BID0}.bin`));
    expect(() => store.put('mallory', BID0, 0, data, 2)).toThrow(/symbolic link/);
    store.create('mallory', BID1, 'malbox', 60, 1, 1);
    store.put('mallory', BID1, 0, data, 2);
    rmSync(join(w, 'blobs', `${BID1}.bin`));
    spawnSync('ln', [victim, join(w, 'blobs', `${BID1}.bin`)]);
    expect(() => store.readChunk(store.forRecipient('malbox', BID1), 0)).toThrow(/links/);
    expect(readFileSync(victim, 'utf8')).toBe('ROOT-ONLY: original content');
    // A stale file (or link) under a new blob's name is replaced, never opened.
    symlinkSync(victim, join(w, 'blobs', `${BID2}.bin`));
    store.create('mallory', BID2, 'malbox', 60, 1, 1);
    store.put('mallory', BID2, 0, data, 2);
    expect(readFileSync(victim, 'utf8')).toBe('ROOT-ONLY: original content');
    renameSync(join(w, 'blobs'), join(w, 'blobs.old'));
    mkdirSync(join(w, 'blobs'), { mode: 0o700 });
    expect(() => store.readChunk(store.forRecipient('malbox', BID2), 0)).toThrow(/blobs/);
  });
});
