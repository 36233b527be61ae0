/** The Double Ratchet (PROTOCOL.md §20): delivery out of order, duplicated and lost; bounds; FS and PCS. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectCryptoError, flip } from '../test/helpers.js';
import { newSession } from '../test/v2-session.js';
import {
  cloneRatchetState,
  type CryptoError,
  deserializeRatchetState,
  fromUtf8,
  kdfCk,
  MAX_CHAIN_INDEX,
  MAX_SKIP,
  MAX_SKIPPED_TOTAL,
  type RatchetState,
  ratchetDecrypt,
  ratchetDecryptInPlace,
  ratchetEncrypt,
  ratchetInitInitiator,
  ratchetInitResponder,
  serializeRatchetState,
  toHex,
  utf8,
  wipeRatchetState,
  x25519KeyPair,
} from './index.js';
import { skippedId } from './ratchet-state.js';

/** A mutable end of a session: send and receive replace the state as a client would after committing. */
class End {
  constructor(public state: RatchetState) {}
  send(text: string): Uint8Array {
    const r = ratchetEncrypt(this.state, utf8(text));
    wipeRatchetState(this.state);
    this.state = r.state;
    return r.message;
  }
  recv(message: Uint8Array): string {
    const r = ratchetDecrypt(this.state, message);
    wipeRatchetState(this.state);
    this.state = r.state;
    return fromUtf8(r.plaintext);
  }
}

function ends() {
  const s = newSession();
  return { a: new End(s.a), b: new End(s.b) };
}

describe('Double Ratchet delivery', () => {
  it('delivers in order, both ways, across several DH ratchet steps', () => {
    const { a, b } = ends();
    for (let round = 0; round < 4; round++) {
      expect(b.recv(a.send(`a${round}`))).toBe(`a${round}`);
      expect(a.recv(b.send(`b${round}`))).toBe(`b${round}`);
    }
  });

  it('delivers out of order within a chain and across chains', () => {
    const { a, b } = ends();
    const m = [a.send('0'), a.send('1'), a.send('2')];
    expect(b.recv(m[2] as Uint8Array)).toBe('2');
    const reply = b.send('r');
    expect(a.recv(reply)).toBe('r');
    const later = a.send('3'); // a new chain: pn = 3
    expect(b.recv(later)).toBe('3');
    expect(b.recv(m[0] as Uint8Array)).toBe('0');
    expect(b.recv(m[1] as Uint8Array)).toBe('1');
    expect(b.state.skipped.size).toBe(0);
  });

  it('refuses a duplicate (RATCHET_DUPLICATE) in the current chain, from a skipped key, and from an old chain', () => {
    const { a, b } = ends();
    const m0 = a.send('0');
    const m1 = a.send('1');
    b.recv(m1);
    b.recv(m0);
    expectCryptoError(() => b.recv(m0), 'RATCHET_DUPLICATE'); // skipped key used
    expectCryptoError(() => b.recv(m1), 'RATCHET_DUPLICATE'); // current chain, n < Nr
    a.recv(b.send('r'));
    b.recv(a.send('2')); // b's receiving chain moves on; m0/m1's chain is retired
    expectCryptoError(() => b.recv(m1), 'RATCHET_DUPLICATE');
  });

  it('survives lost messages: later ones open, the lost ones stay decryptable if they turn up', () => {
    const { a, b } = ends();
    const lost = [a.send('lost0'), a.send('lost1')];
    expect(b.recv(a.send('kept'))).toBe('kept');
    expect(a.recv(b.send('r'))).toBe('r');
    expect(b.recv(a.send('after'))).toBe('after');
    expect(b.state.skipped.size).toBe(2);
    expect(b.recv(lost[1] as Uint8Array)).toBe('lost1');
  });

  it('leaves the state unchanged when a message fails (tampered body, header or counter)', () => {
    const { a, b } = ends();
    const m = a.send('hello');
    const before = toHex(serializeRatchetState(b.state));
    expectCryptoError(() => ratchetDecrypt(b.state, flip(m, m.length - 1)), 'RATCHET_DECRYPT_FAILED');
    expectCryptoError(() => ratchetDecrypt(b.state, flip(m, 39)), 'RATCHET_DECRYPT_FAILED'); // n = 1: skips 0, fails
    expectCryptoError(() => ratchetDecrypt(b.state, flip(m, 3)), 'RATCHET_DECRYPT_FAILED'); // another ratchet key
    expectCryptoError(() => ratchetDecrypt(b.state, m.subarray(0, 55)), 'RATCHET_HEADER_INVALID');
    const lowOrder = new Uint8Array(m);
    lowOrder.fill(0, 0, 32);
    expectCryptoError(() => ratchetDecrypt(b.state, lowOrder), 'RATCHET_HEADER_INVALID');
    expect(toHex(serializeRatchetState(b.state))).toBe(before);
    expect(b.recv(m)).toBe('hello');
  });

  it('refuses a message numbered 0xffffffff (above MAX_CHAIN_INDEX) as RATCHET_HEADER_INVALID, in place too', () => {
    const { a, b } = ends();
    b.recv(a.send('first'));
    const m = a.send('second');
    const high = new Uint8Array(m);
    high.fill(0xff, 36, 40);
    expectCryptoError(() => ratchetDecrypt(b.state, high), 'RATCHET_HEADER_INVALID');
    expectCryptoError(() => ratchetDecryptInPlace(b.state, high), 'RATCHET_HEADER_INVALID');
    // A chain whose every number was used: the next number is out of range, whichever path would take it.
    const full = cloneRatchetState(b.state);
    full.receiveCount = MAX_CHAIN_INDEX + 1;
    expectCryptoError(() => ratchetDecryptInPlace(full, high), 'RATCHET_HEADER_INVALID');
    expect(full.receiveCount).toBe(MAX_CHAIN_INDEX + 1);
    expect(b.recv(m)).toBe('second');
  });

  it('the last number of a chain (MAX_CHAIN_INDEX) opens both ways and is stored; the chain is then exhausted', () => {
    const { a, b } = ends();
    b.recv(a.send('first'));
    // The counters are not part of the chain keys' derivation: both ends jump to the chain's last number together.
    a.state.sendCount = MAX_CHAIN_INDEX;
    b.state.receiveCount = MAX_CHAIN_INDEX;
    const last = a.send('last');
    expect(new DataView(last.buffer, last.byteOffset + 36, 4).getUint32(0)).toBe(MAX_CHAIN_INDEX);
    const copy = cloneRatchetState(b.state);
    expect(fromUtf8(ratchetDecrypt(copy, last).plaintext)).toBe('last');
    const rootKey = b.state.rootKey;
    expect(fromUtf8(ratchetDecryptInPlace(b.state, last))).toBe('last'); // the fast path, at the bound
    expect(b.state.rootKey).toBe(rootKey);
    expect(b.state.receiveCount).toBe(MAX_CHAIN_INDEX + 1);
    expect(deserializeRatchetState(serializeRatchetState(b.state)).receiveCount).toBe(MAX_CHAIN_INDEX + 1);
    expectCryptoError(() => ratchetEncrypt(a.state, utf8('one more')), 'RATCHET_CHAIN_EXHAUSTED');
    // After b answers, a's new chain says PN = 0xffffffff, which is fine.
    a.recv(b.send('reply'));
    const next = a.send('new chain');
    expect(new DataView(next.buffer, next.byteOffset + 32, 4).getUint32(0)).toBe(MAX_CHAIN_INDEX + 1);
    expect(b.recv(next)).toBe('new chain');
  });

  it('refuses a message under the responder signed prekey before any receiving chain exists, with a typed error', () => {
    const s = newSession();
    const { message } = ratchetEncrypt(s.a, utf8('x'));
    const forged = new Uint8Array(message);
    forged.set(s.a.receivingKey as Uint8Array, 0); // header key = SPK_B, which alice holds as DHr without a chain
    expectCryptoError(() => ratchetDecrypt(s.a, forged), 'RATCHET_DECRYPT_FAILED');
  });

  it('binds the associated data: a session with other identities cannot open the message', () => {
    const s1 = newSession();
    const { message } = ratchetEncrypt(s1.a, utf8('x'));
    const forged = { ...s1.b, associatedData: flip(s1.b.associatedData, 20) };
    expectCryptoError(() => ratchetDecrypt(forged, message), 'RATCHET_DECRYPT_FAILED');
  });
});

describe('Double Ratchet bounds (§20.5)', () => {
  it(`skips up to ${MAX_SKIP} keys in one chain and refuses ${MAX_SKIP + 1} (RATCHET_TOO_MANY_SKIPPED)`, () => {
    const { a, b } = ends();
    const sent: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SKIP + 1; i++) sent.push(a.send(String(i)));
    expectCryptoError(() => b.recv(sent[MAX_SKIP + 1] as Uint8Array), 'RATCHET_TOO_MANY_SKIPPED');
    expect(b.recv(sent[MAX_SKIP] as Uint8Array)).toBe(String(MAX_SKIP));
    expect(b.state.skipped.size).toBe(MAX_SKIP);
    expect(b.recv(sent[MAX_SKIP + 1] as Uint8Array)).toBe(String(MAX_SKIP + 1));
  });

  it(`keeps at most ${MAX_SKIPPED_TOTAL} skipped keys in all, erasing the oldest`, () => {
    const { a, b } = ends();
    const first = a.send('first');
    for (let i = 0; i < MAX_SKIP - 1; i++) a.send('x');
    b.recv(a.send('end of chain 1')); // 1,000 skipped
    const c2 = [];
    for (let k = 0; k < 2; k++) {
      a.recv(b.send('turn'));
      for (let i = 0; i < MAX_SKIP; i++) c2.push(a.send('y'));
      b.recv(a.send('end'));
    }
    expect(b.state.skipped.size).toBe(MAX_SKIPPED_TOTAL);
    expectCryptoError(() => b.recv(first), 'RATCHET_DUPLICATE'); // erased as the oldest
    expect(b.recv(c2[c2.length - 1] as Uint8Array)).toBe('y');
  });
});

describe('Double Ratchet security properties', () => {
  it('forward secrecy: a used message key leaves the state, and the stored state cannot open old messages', () => {
    const { a, b } = ends();
    const chainKeys = [new Uint8Array(a.state.sendingChainKey as Uint8Array)];
    const old = [a.send('secret 1')];
    chainKeys.push(new Uint8Array(a.state.sendingChainKey as Uint8Array));
    old.push(a.send('secret 2'));
    const secrets = chainKeys.flatMap((ck) => [toHex(ck), toHex(kdfCk(ck).messageKey)]);
    b.recv(old[1] as Uint8Array);
    expect(b.state.skipped.size).toBe(1); // message 0's key, kept until it arrives
    b.recv(old[0] as Uint8Array);
    const held = toHex(serializeRatchetState(b.state));
    for (const k of secrets) expect(held).not.toContain(k);
    a.recv(b.send('r'));
    b.recv(a.send('next'));
    const stolen = serializeRatchetState(b.state);
    const thief = deserializeRatchetState(stolen);
    for (const m of old) expectCryptoError(() => ratchetDecrypt(thief, m), 'RATCHET_DUPLICATE');
    // Even without the retired-key list, the stolen keys derive nothing that opens them.
    const noMemory = { ...deserializeRatchetState(stolen), retired: [], receivingKey: null, receivingChainKey: null };
    for (const m of old) expect(() => ratchetDecrypt(noMemory, m)).toThrow();
  });

  it('in place: the next message of the chain wipes the old chain key; a new chain wipes the old secrets', () => {
    const { a, b } = ends();
    const state = b.state;
    expect(fromUtf8(ratchetDecryptInPlace(state, a.send('one')))).toBe('one'); // a new chain: through the copy
    const oldChain = state.receivingChainKey as Uint8Array;
    const kept = new Uint8Array(oldChain);
    const rootKey = state.rootKey;
    expect(fromUtf8(ratchetDecryptInPlace(state, a.send('two')))).toBe('two');
    expect(state.rootKey).toBe(rootKey); // the fast path: no copy of the state was taken
    expect(rootKey.some((x) => x !== 0)).toBe(true);
    expect(state.receiveCount).toBe(2);
    expect(toHex(state.receivingChainKey as Uint8Array)).toBe(toHex(kdfCk(kept).chainKey));
    expect(oldChain.every((x) => x === 0)).toBe(true); // the used chain key is wiped, not left in the heap
    // A DH step replaces every secret of the state; the arrays it held before are wiped.
    b.state = state;
    a.recv(b.send('reply'));
    const step = b.state;
    const secrets = [step.rootKey, step.sending.secretKey, step.receivingChainKey as Uint8Array];
    ratchetDecryptInPlace(step, a.send('three'));
    for (const k of secrets) expect(k.every((x) => x === 0)).toBe(true);
    expect(step.rootKey).not.toBe(secrets[0]);
    expect(step.receiveCount).toBe(1);
  });

  it('in place: a skipped key stored under (DHr, Nr) comes first, as in ratchetDecrypt (a ratchet key used again)', () => {
    // The initiator's ratchet key pair X comes back after it has left RETIRED (17 DH steps later): the responder still
    // holds skipped keys under X, and §20.6 step 1 takes them before the current chain.
    const x = new Uint8Array(randomBytes(32));
    const again = () => new Uint8Array(x);
    const spk = x25519KeyPair();
    const sk = new Uint8Array(randomBytes(32));
    const ad = new Uint8Array(randomBytes(40));
    const a = new End(ratchetInitInitiator(new Uint8Array(sk), ad, spk.publicKey, again));
    const b = new End(ratchetInitResponder(sk, ad, spk));
    const first = [a.send('x0'), a.send('x1'), a.send('x2'), a.send('x3')];
    b.recv(first[0] as Uint8Array);
    b.recv(first[3] as Uint8Array); // (X, 1) and (X, 2) skipped
    for (let i = 0; i < 17; i++) {
      a.recv(b.send(`r${i}`));
      b.recv(a.send(`s${i}`));
    }
    a.state = ratchetDecrypt(a.state, b.send('last'), again).state; // X again
    expect(b.recv(a.send('y0'))).toBe('y0');
    const y1 = a.send('y1');
    expect(b.state.skipped.has(skippedId(y1.subarray(0, 32), 1))).toBe(true);
    const outcome = (f: () => Uint8Array): string => {
      try {
        return fromUtf8(f());
      } catch (e) {
        return (e as CryptoError).code;
      }
    };
    const copy = cloneRatchetState(b.state);
    const expected = outcome(() => ratchetDecrypt(copy, y1).plaintext);
    const before = toHex(serializeRatchetState(b.state));
    expect(outcome(() => ratchetDecryptInPlace(b.state, y1))).toBe(expected);
    if (expected === 'RATCHET_DECRYPT_FAILED') expect(toHex(serializeRatchetState(b.state))).toBe(before);
  });

  it('post-compromise security: once the victim has ratcheted with a fresh key pair, a stolen state opens nothing', () => {
    const { a, b } = ends();
    b.recv(a.send('before'));
    const snapshot = serializeRatchetState(b.state);
    // A passive attacker with bob's state follows everything it can, as bob would (its own random key pairs).
    let attacker = deserializeRatchetState(snapshot);
    const follow = (m: Uint8Array): string => {
      const r = ratchetDecrypt(attacker, m);
      attacker = r.state;
      return fromUtf8(r.plaintext);
    };
    const sameChain = a.send('same chain');
    expect(follow(sameChain)).toBe('same chain');
    b.recv(sameChain);
    // Bob still replies from the stolen ratchet key pair, so alice's answer is exposed too...
    a.recv(b.send('reply from the stolen key pair'));
    const exposed = a.send('exposed');
    expect(follow(exposed)).toBe('exposed');
    // ...but bob's DH ratchet step on it made a key pair the attacker never saw: from here on it is locked out.
    expect(b.recv(exposed)).toBe('exposed');
    const healed = b.send('healed');
    expect(a.recv(healed)).toBe('healed');
    const lockedOut = [a.send('locked out 1'), a.send('locked out 2')];
    for (const m of lockedOut) {
      expectCryptoError(() => ratchetDecrypt(attacker, m), 'RATCHET_DECRYPT_FAILED');
      expectCryptoError(() => ratchetDecrypt(deserializeRatchetState(snapshot), m), 'RATCHET_DECRYPT_FAILED');
      expect(b.recv(m)).toMatch(/^locked out/);
    }
    // Bob's own message after the step is out of reach as well: alice's snapshot of the same moment is not stolen,
    // and the attacker's copy derived a different sending chain.
    expect(toHex(attacker.rootKey)).not.toBe(toHex(b.state.rootKey));
  });

  it('serialises and restores the state exactly, and refuses a corrupt encoding', () => {
    const { a, b } = ends();
    const m = [a.send('0'), a.send('1'), a.send('2')];
    b.recv(m[2] as Uint8Array);
    const bytes = serializeRatchetState(b.state);
    const back = deserializeRatchetState(bytes);
    expect(toHex(serializeRatchetState(back))).toBe(toHex(bytes));
    expect(fromUtf8(ratchetDecrypt(back, m[0] as Uint8Array).plaintext)).toBe('0');
    expectCryptoError(() => deserializeRatchetState(bytes.subarray(0, bytes.length - 1)), 'RATCHET_STATE_INVALID');
    expectCryptoError(() => deserializeRatchetState(Uint8Array.of(...bytes, 0)), 'RATCHET_STATE_INVALID');
    expectCryptoError(() => deserializeRatchetState(flip(bytes, 0, 0x02)), 'RATCHET_STATE_INVALID');
    expectCryptoError(() => deserializeRatchetState(flip(bytes, 1, 0x80)), 'RATCHET_STATE_INVALID');
  });

  it('a state restored from a Buffer holds copies: wiping it leaves the encoding as it was', () => {
    const { a, b } = ends();
    b.recv(a.send('hello'));
    const encoded = Buffer.from(serializeRatchetState(b.state));
    const kept = Buffer.from(encoded);
    const restored = deserializeRatchetState(encoded);
    wipeRatchetState(restored);
    expect(encoded.equals(kept)).toBe(true);
  });

  it('a responder cannot send before it has received (RangeError)', () => {
    const s = newSession();
    expect(() => ratchetEncrypt(s.b, utf8('too early'))).toThrow(RangeError);
  });
});
