/** Test helpers for the cli package: the in-process relay, temp profiles, scripted relays and an in-memory Io. */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { loadOrCreateTlsMaterial, type TlsMaterial } from '@chat/relay';
import { Readable } from 'node:stream';
import { FrameDecoder, decodeClientFrame, encodeFrame, type ClientFrame, type RelayFrame } from '@chat/protocol';
import type { Io } from '../src/commands/io.js';
import { ChatError } from '../src/engine/errors.js';
import { Profile } from '../src/engine/profile.js';
import { keyed, type Db } from '../src/engine/store/encrypted-db.js';
import { preparedProfile } from '../../../test/fixtures/profiles.js';
import { atFileEnd } from '../../../test/fixtures/file-end.js';
import { tempDir } from '../../../test/fixtures/temp.js';

/** The repository's one relay fixture and temp-dir helper (test/fixtures), re-exported for the cli's tests. */
export { relayInProcess, type InProcessRelay } from '../../../test/fixtures/relay.js';
export { tempDir, type TempDir } from '../../../test/fixtures/temp.js';
export { until } from '../../../test/fixtures/wait.js';

/** A storage key for tests that open a Store by path without a profile (§13.3). */
export const TEST_STORAGE_KEY = new Uint8Array(32).fill(7);

/** chat.db of a profile with unencrypted keys, opened as another process would: with its storage key (§13.3). */
export async function profileDb(profile: Profile, options: { readonly?: boolean } = {}): Promise<Db> {
  const { storageKey } = await profile.unlockKeys(undefined);
  return keyed(profile.dbPath, storageKey, options);
}

/** A database file opened with TEST_STORAGE_KEY, as another process would open a Store's file. */
export function testDb(path: string, options: { readonly?: boolean } = {}): Db {
  return keyed(path, TEST_STORAGE_KEY, options);
}

export interface MemIo extends Io {
  out: () => string;
  err: () => string;
}

/** An Io writing to strings; stdin is a TTY-less stream of `stdin` when given, else a TTY that is never read. */
export function memIo(env: Record<string, string | undefined>, stdin?: string, signal?: AbortSignal): MemIo {
  let out = '';
  let err = '';
  const input = Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]) as Readable & { isTTY?: boolean };
  if (stdin === undefined) input.isTTY = true;
  const io: MemIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: input,
    env,
    out: () => out,
    err: () => err,
  };
  if (signal) io.signal = signal;
  return io;
}

/** A profile with fresh keys, logged in as `name` on the relay at `address`. */
export async function makeUser(
  root: string,
  name: string,
  address: string,
): Promise<{ profile: Profile; env: Record<string, string> }> {
  const home = join(root, name);
  await preparedProfile(home, name, { address, insecure: false });
  return { profile: new Profile(home), env: { CHAT_HOME: home } };
}

let material: Promise<TlsMaterial> | undefined;
/** One self-signed relay certificate per test file, made by the relay's own code in a temp directory. */
export function testTlsMaterial(): Promise<TlsMaterial> {
  if (!material) {
    const dir = tempDir('tls');
    material = loadOrCreateTlsMaterial(dir.dir);
    // Removed after the file (a worker process is not told when it is ended, and runs more files than one).
    atFileEnd(() => {
      dir.cleanup();
      material = undefined;
    });
  }
  return material;
}

/**
 * A peer that decodes client frames and lets the test answer them: what a real relay will not do on demand (a
 * malicious relay, a broken one). TLS 1.3 with `testTlsMaterial()` like a real relay, unless `insecure`; on
 * 127.0.0.1 unless `host` says otherwise; `tls` adds server options (e.g. an `ALPNCallback` to see what is offered).
 */
export async function scriptedRelay(
  onFrame: (frame: ClientFrame, socket: Socket, reply: (f: RelayFrame) => void) => void,
  {
    insecure = false,
    host = '127.0.0.1',
    tls: extra = {},
  }: { insecure?: boolean; host?: string; tls?: TlsOptions } = {},
): Promise<{ server: Server; port: number; fingerprint: string | undefined }> {
  const tls = insecure ? undefined : await testTlsMaterial();
  const handler = (socket: Socket): void => {
    const decoder = new FrameDecoder();
    const reply = (f: RelayFrame): void => void socket.write(encodeFrame(f));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const body of decoder.push(chunk)) onFrame(decodeClientFrame(body), socket, reply);
    });
  };
  const server = tls
    ? createTlsServer({ ...extra, cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.3' }, handler).on(
        'tlsClientError',
        () => {},
      )
    : createServer(handler);
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as { port: number }).port, fingerprint: tls?.fingerprint };
}

/** The version each scripted connection's `hello` settled on, by its `reply` (one per socket). */
const versions = new WeakMap<(f: RelayFrame) => void, number>();

/**
 * Answers like a real relay with id 01…01 (§8, §23): `challenge` in the version the `hello` asked for (1 or 2),
 * `welcome`, and on a v2 connection the unsolicited `prekey_count` after it (§23.5); the prekey requests as for users
 * who have published none (`prekey_get`: NO_PREKEYS, so a send falls back to v1 as it may, §24.5) and a `prekey_put`
 * with the counts of what it carried. False for any other frame.
 */
export function handshake(frame: ClientFrame, reply: (f: RelayFrame) => void): boolean {
  switch (frame.t) {
    case 'hello': {
      const v = frame.v === 2 ? 2 : 1;
      versions.set(reply, v);
      reply({
        t: 'challenge',
        v,
        relay: new Uint8Array(32).fill(1),
        nonce: new Uint8Array(32).fill(2),
        maxFrame: 131072,
        maxEnvelope: 65536,
      });
      return true;
    }
    case 'auth':
      reply({ t: 'welcome', user: frame.user, mode: frame.mode, registered: false });
      if (versions.get(reply) === 2) reply({ t: 'prekey_count', opk: 0, pqopk: 0 });
      return true;
    case 'prekey_get':
      reply({ t: 'err', rid: frame.rid, code: 'NO_PREKEYS', msg: `${frame.user} has no prekeys`, fatal: false });
      return true;
    case 'prekey_put': {
      const idOf = (type: number) => frame.ids.find((_, i) => frame.types[i] === type);
      const spkId = idOf(1);
      const pqspkId = idOf(3);
      reply({
        t: 'prekey_count',
        rid: frame.rid,
        opk: frame.types.filter((t) => t === 2).length,
        pqopk: frame.types.filter((t) => t === 4).length,
        ...(spkId === undefined ? {} : { spkId }),
        ...(pqspkId === undefined ? {} : { pqspkId }),
      });
      return true;
    }
    default:
      return false;
  }
}

/** The ChatError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<ChatError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ChatError) return e;
    throw e;
  }
  throw new Error('expected a ChatError, but it succeeded');
}
