/**
 * libsodium, through the N-API addon of `sodium-native` (pinned to 5.1.0 in package.json), loaded on the first sealed
 * box rather than at import: commands that never seal or open one do not pay for it.
 *
 * We call the addon itself, not the package's JavaScript wrapper: `require('sodium-native')` loads a resolver
 * (require-addon and five `bare-*` modules) and a 3,200-line wrapper, ~40 ms of a one-shot `chat send` on this
 * machine, where opening the prebuilt addon directly is ~4 ms (docs/BENCHMARKS.md, "The sealed box on libsodium").
 * The addon's signatures are those of sodium-native's binding.cc, below its checked wrapper, hence the exact version
 * pin: an upgrade is a deliberate change that the sealed-box tests cover. The addon asserts lengths in C++, where a
 * failed assertion aborts the process: callers check every length first (seal.ts does).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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
  /** `crypto_scalarmult` (X25519): 0, or -1 if the result would be all zero (`p` has low order). All 32 bytes. */
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): number;
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
  /** `sodium_memzero`: zeroes `buf` in a way the compiler cannot drop. */
  sodium_memzero(buf: Uint8Array): void;
}

let addon: SodiumAddon | undefined;

/** The addon, loaded once per thread (a worker thread loads its own instance). */
export function sodium(): SodiumAddon {
  addon ??= loadSodiumAddon(`${process.platform}-${process.arch}`);
  return addon;
}

/** @internal The prebuilt addon for `host` (e.g. `linux-x64`), else whatever sodium-native's own resolver finds. */
export function loadSodiumAddon(host: string): SodiumAddon {
  // Resolved from this file: packages/crypto/node_modules in the workspace, the CLI's node_modules from a bundle.
  const requireHere = createRequire(import.meta.url);
  const root = dirname(requireHere.resolve('sodium-native/package.json'));
  try {
    return requireHere(join(root, 'prebuilds', host, 'sodium-native.node'));
  } catch {
    // No prebuilt addon under that name (musl, a source build): the package's own resolver finds it, slower.
    return requireHere('sodium-native/binding.js');
  }
}
