/**
 * libsodium, through the N-API addon of `sodium-native` (pinned to 5.1.0 in package.json), loaded on the first call
 * rather than at import: commands that never seal or open a box do not pay for it.
 *
 * We call the addon itself, not the package's JavaScript wrapper: `require('sodium-native')` loads a resolver
 * (require-addon and five `bare-*` modules) and a 3,200-line wrapper, ~40 ms of a one-shot `chat send` on this
 * machine, where opening the prebuilt addon directly is ~4 ms (docs/BENCHMARKS.md, "The sealed box on libsodium").
 * The addon's signatures are those of sodium-native's binding.cc, below its checked wrapper, hence the exact version
 * pin: an upgrade is a deliberate change that the sealed-box tests cover. The published addon is a release build
 * whose C++ length assertions are compiled out (a wrong length reads or writes past a buffer, it does not abort), and
 * it takes raw ArrayBuffers: so nothing outside this file sees the addon. The functions below check every length and
 * offset, and copy an argument that is not a plain view of an ArrayBuffer (a SharedArrayBuffer, a resizable one)
 * before libsodium sees it (found by the review of 2026-12-07). The exceptions: `sha256OwnInto` checks lengths only
 * and is called by kdf.ts alone, with buffers that module allocated itself; `memzero` only writes zeros into what it
 * is given.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exactBytes } from './bytes.js';

/** The addon's functions we call, as sodium-native 5.1.0's binding.cc declares them. */
export interface SodiumAddon {
  /** `crypto_box_seal`: 0, or -1 if `pk` has low order. `c` is `m.length + 48` bytes, `pk` 32. */
  crypto_box_seal(c: Uint8Array, m: Uint8Array, pk: Uint8Array): number;
  /** `crypto_box_seal_open == 0`, each argument as (buffer, byte offset, byte length). */
  crypto_box_seal_open(
    m: ArrayBufferLike,
    mOffset: number,
    mLength: number,
    c: ArrayBufferLike,
    cOffset: number,
    cLength: number,
    pk: ArrayBufferLike,
    pkOffset: number,
    pkLength: number,
    sk: ArrayBufferLike,
    skOffset: number,
    skLength: number,
  ): boolean;
  /** `crypto_sign_verify_detached == 0` (Ed25519), each argument as (buffer, byte offset, byte length). */
  crypto_sign_verify_detached(
    sig: ArrayBufferLike,
    sigOffset: number,
    sigLength: number,
    m: ArrayBufferLike,
    mOffset: number,
    mLength: number,
    pk: ArrayBufferLike,
    pkOffset: number,
    pkLength: number,
  ): boolean;
  /** `crypto_scalarmult` (X25519): 0, or -1 if the result would be all zero (`p` has low order). All 32 bytes. */
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): number;
  /** `crypto_scalarmult_base` (X25519 with the base point 9): 0. Both 32 bytes. */
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): number;
  /**
   * `crypto_aead_chacha20poly1305_ietf_encrypt` (RFC 8439): the length of `c` (`m.length + 16`); `npub` 12 bytes,
   * `k` 32.
   */
  crypto_aead_chacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  /** `crypto_aead_chacha20poly1305_ietf_decrypt`: the length of `m` (`c.length - 16`), or -1 if `c` does not verify. */
  crypto_aead_chacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    c: Uint8Array,
    ad: Uint8Array,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  /** `crypto_hash_sha256`: 0; `out` is 32 bytes. */
  crypto_hash_sha256(out: Uint8Array, input: Uint8Array): number;
  /** `sodium_memzero`: zeroes `buf` in a way the compiler cannot drop. */
  sodium_memzero(buf: Uint8Array): void;
}

let addon: SodiumAddon | undefined;

/** The addon, loaded once per thread (a worker thread loads its own instance). */
function sodium(): SodiumAddon {
  addon ??= loadSodiumAddon(`${process.platform}-${process.arch}`);
  return addon;
}

/**
 * Loads libsodium now rather than at its first use: for a server (the relay verifies signatures with it), so that a
 * broken install fails at start-up with the loader's message instead of at every client's login.
 * @throws {Error} as {@link loadSodiumAddon}.
 */
export function loadSodium(): void {
  sodium();
}

/**
 * @internal The addon inside the installed package, for `host` (e.g. `linux-x64`): its prebuilt one, else one built
 * from source there. Never found elsewhere: sodium-native's own resolver also looks in every parent directory's
 * `prebuilds/`, where anyone who can write above the install could leave a library to be loaded.
 * @throws {Error} naming the package directory and the host when neither is there, or this file when the package is
 * not installed where it can be found.
 */
export function loadSodiumAddon(host: string): SodiumAddon {
  // Resolved from this file: packages/crypto/node_modules in the workspace, the CLI's node_modules from a bundle.
  const requireHere = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(requireHere.resolve('sodium-native/package.json'));
  } catch (err) {
    throw new Error(
      `libsodium: the package sodium-native is not installed where ${fileURLToPath(import.meta.url)} looks`,
      {
        cause: err,
      },
    );
  }
  const candidates = [
    join(root, 'prebuilds', host, 'sodium-native.node'),
    join(root, 'build/Release/sodium-native.node'),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) {
    throw new Error(`libsodium: sodium-native in ${root} has no addon for ${host} (no prebuilt one, none built there)`);
  }
  return requireHere(found) as SodiumAddon;
}

/**
 * `b` itself if libsodium may be given its ArrayBuffer as is, else a copy in an ArrayBuffer of its own (made
 * explicitly: a small typed array made without one lives in V8's heap, and handing it to the addon would copy it out
 * and leave the heap's bytes behind, unwiped, where a secret must not be).
 */
function plain(b: Uint8Array): Uint8Array {
  const buffer = b.buffer as ArrayBuffer & { resizable?: boolean };
  if (buffer instanceof ArrayBuffer && buffer.resizable !== true && b.byteOffset + b.byteLength <= buffer.byteLength)
    return b;
  const copy = new Uint8Array(new ArrayBuffer(b.byteLength));
  copy.set(b);
  return copy;
}

/**
 * The addon takes byte offsets and lengths as 32-bit unsigned integers and would silently reduce a larger one (a
 * 4 GiB message would be checked as the empty one): refused here. No product path comes near (frames are capped).
 */
function fits32(fn: string, b: Uint8Array): void {
  if (b.byteLength > 0xffff_ffff || b.byteOffset > 0xffff_ffff)
    throw new RangeError(`${fn}: ${b.byteLength} bytes at offset ${b.byteOffset} is past the addon's 32-bit limit`);
}

/** `crypto_box_seal` into a new array (`m.length + 48` bytes); undefined if `pk` (32 bytes) has low order. */
export function boxSeal(m: Uint8Array, pk: Uint8Array): Uint8Array | undefined {
  exactBytes('boxSeal', 'pk', pk, 32);
  const c = new Uint8Array(m.length + 48);
  return sodium().crypto_box_seal(c, plain(m), plain(pk)) === 0 ? c : undefined;
}

/**
 * `crypto_box_seal_open` of `c` (at least 48 bytes) with the 32 bytes of `pk` and of `sk` at those offsets: the
 * message, or undefined if the box does not open (it does not verify, or its ephemeral key has low order).
 */
export function boxSealOpen(
  c: Uint8Array,
  pk: Uint8Array,
  pkAt: number,
  sk: Uint8Array,
  skAt: number,
): Uint8Array | undefined {
  if (c.length < 48) throw new RangeError(`boxSealOpen: a sealed box is at least 48 bytes, got ${c.length}`);
  fits32('boxSealOpen', c);
  for (const [what, k, at] of [
    ['pk', pk, pkAt],
    ['sk', sk, skAt],
  ] as const) {
    if (!Number.isInteger(at) || at < 0 || at + 32 > k.length)
      throw new RangeError(`boxSealOpen: ${what} out of range`);
  }
  const box = plain(c);
  const [p, s] = [plain(pk), plain(sk)];
  const m = new Uint8Array(box.length - 48);
  let opened: boolean;
  try {
    opened = sodium().crypto_box_seal_open(
      m.buffer,
      m.byteOffset,
      m.length,
      box.buffer,
      box.byteOffset,
      box.length,
      p.buffer,
      p.byteOffset + pkAt,
      32,
      s.buffer,
      s.byteOffset + skAt,
      32,
    );
  } finally {
    if (s !== sk) s.fill(0); // our copy (the addon may be what failed to load)
  }
  if (opened !== true && opened !== false)
    throw new Error('libsodium: crypto_box_seal_open answered neither true nor false');
  return opened ? m : undefined;
}

/** Ed25519 `crypto_sign_verify_detached` of a 64-byte `sig` over `m` by 32-byte `pk`: true if it verifies. */
export function signVerifyDetached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean {
  exactBytes('signVerifyDetached', 'sig', sig, 64);
  exactBytes('signVerifyDetached', 'pk', pk, 32);
  fits32('signVerifyDetached', m);
  const [g, msg, p] = [plain(sig), plain(m), plain(pk)];
  const ok = sodium().crypto_sign_verify_detached(
    g.buffer,
    g.byteOffset,
    64,
    msg.buffer,
    msg.byteOffset,
    msg.byteLength,
    p.buffer,
    p.byteOffset,
    32,
  );
  if (ok !== true && ok !== false)
    throw new Error('libsodium: crypto_sign_verify_detached answered neither true nor false');
  return ok;
}

/** X25519 (`crypto_scalarmult`) of 32-byte `n` and `p` into `q`; false if `p` has low order (an all-zero result). */
export function scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): boolean {
  exactBytes('scalarmult', 'q', q, 32);
  exactBytes('scalarmult', 'n', n, 32);
  exactBytes('scalarmult', 'p', p, 32);
  const out = plain(q);
  const secret = plain(n);
  try {
    const ok = sodium().crypto_scalarmult(out, secret, plain(p)) === 0;
    if (out !== q) q.set(out);
    return ok;
  } finally {
    if (secret !== n) secret.fill(0); // our copies, wiped even if the addon failed to load
    if (out !== q) out.fill(0);
  }
}

/** X25519 (`crypto_scalarmult_base`) of 32-byte `n` and the base point 9 into `q`: the public key of secret `n`. */
export function scalarmultBase(q: Uint8Array, n: Uint8Array): void {
  exactBytes('scalarmultBase', 'q', q, 32);
  exactBytes('scalarmultBase', 'n', n, 32);
  const out = plain(q);
  const secret = plain(n);
  try {
    if (sodium().crypto_scalarmult_base(out, secret) !== 0) throw new Error('libsodium: crypto_scalarmult_base failed');
    if (out !== q) q.set(out);
  } finally {
    if (secret !== n) secret.fill(0); // our copy, wiped even if the addon failed to load
  }
}

/** ChaCha20-Poly1305 IETF (RFC 8439) `ciphertext ‖ tag` of `m`; `npub` 12 bytes, `k` 32. */
export function aeadEncrypt(m: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): Uint8Array {
  exactBytes('aeadEncrypt', 'npub', npub, 12);
  exactBytes('aeadEncrypt', 'k', k, 32);
  const c = new Uint8Array(m.length + 16);
  sodium().crypto_aead_chacha20poly1305_ietf_encrypt(c, plain(m), plain(ad), plain(npub), plain(k));
  return c;
}

/** The plaintext of `c` (`ciphertext ‖ tag`, at least 16 bytes), or undefined if it does not authenticate. */
export function aeadDecrypt(c: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): Uint8Array | undefined {
  if (c.length < 16) throw new RangeError(`aeadDecrypt: a ciphertext is at least 16 bytes, got ${c.length}`);
  exactBytes('aeadDecrypt', 'npub', npub, 12);
  exactBytes('aeadDecrypt', 'k', k, 32);
  const m = new Uint8Array(c.length - 16);
  // libsodium checks the tag before it decrypts: nothing is written to `m` for a forgery.
  const n = sodium().crypto_aead_chacha20poly1305_ietf_decrypt(m, plain(c), plain(ad), plain(npub), plain(k));
  return n === m.length ? m : undefined;
}

/**
 * @internal SHA-256 of `input` into `out` for kdf.ts alone, which hands it only views of plain ArrayBuffers it
 * allocated itself (its scratch buffers): the lengths are checked, the buffers not copied (`plain`), which on the
 * receive path's ten hashes per ratchet message is work that buys nothing.
 */
export function sha256OwnInto(out: Uint8Array, input: Uint8Array): void {
  exactBytes('sha256OwnInto', 'out', out, 32);
  sodium().crypto_hash_sha256(out, input);
}

/** `sodium_memzero`: zeroes `b` in a way the compiler cannot drop. */
export function memzero(b: Uint8Array): void {
  sodium().sodium_memzero(b);
}
