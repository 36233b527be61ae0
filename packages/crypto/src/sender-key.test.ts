/** Group sender keys (PROTOCOL.md §25): delivery in and out of order, and every receiver check with its code. */
import { describe, expect, it } from 'vitest';
import { expectCryptoError, flip } from '../test/helpers.js';
import {
  deserializeReceivingSenderKey,
  distributionOf,
  encodeGroupHeader,
  encodeSenderKeyDistribution,
  fromUtf8,
  GROUP_MAX_SKIP,
  GROUP_MAX_SKIPPED_KEYS,
  groupDecrypt,
  groupEncrypt,
  groupMessageKeyMaterial,
  aeadOpen,
  kdfCk,
  newSenderKey,
  parseGroupMessage,
  parseSenderKeyDistribution,
  type ReceivingSenderKey,
  receivingSenderKey,
  type SenderKey,
  serializeReceivingSenderKey,
  sign,
  utf8,
} from './index.js';
import { MessageKind } from './constants.js';
import { encodeSigned, parseInner } from './inner.js';
import { SENDER_KEY_KIND } from './v2-constants.js';

const GID = new Uint8Array(16).fill(7);

/** A sender and one receiver holding its distribution; `send` and `recv` keep the states as a client would. */
function pair() {
  let key: SenderKey = newSenderKey();
  let recv: ReceivingSenderKey = receivingSenderKey(
    parseSenderKeyDistribution(encodeSenderKeyDistribution(distributionOf(GID, key))),
  );
  return {
    get key() {
      return key;
    },
    send(text: string): Uint8Array {
      const r = groupEncrypt(key, 'alice', GID, utf8(text));
      key = r.key;
      return r.message;
    },
    recv(message: Uint8Array): string {
      const r = groupDecrypt(recv, parseGroupMessage(message));
      recv = r.key;
      return fromUtf8(r.plaintext);
    },
    get state() {
      return recv;
    },
  };
}

describe('sender key delivery (§25.5)', () => {
  it('delivers in order, and the message is the same bytes for every member', () => {
    const p = pair();
    const other = receivingSenderKey(distributionOf(GID, p.key));
    const m = p.send('hello');
    expect(p.recv(m)).toBe('hello');
    expect(fromUtf8(groupDecrypt(other, parseGroupMessage(m)).plaintext)).toBe('hello');
    expect(p.recv(p.send('again'))).toBe('again');
  });

  it('delivers out of order from stored skipped keys, each once', () => {
    const p = pair();
    const m = [p.send('0'), p.send('1'), p.send('2')];
    expect(p.recv(m[2]!)).toBe('2');
    expect(p.state.skipped.map((s) => s.iteration)).toEqual([0, 1]);
    expect(p.recv(m[0]!)).toBe('0');
    expect(p.recv(m[1]!)).toBe('1');
    expect(p.state.skipped).toEqual([]);
    for (const x of m) expectCryptoError(() => p.recv(x), 'GROUP_DUPLICATE');
  });

  it('a member given the distribution mid-epoch starts at its iteration and cannot read earlier messages', () => {
    const p = pair();
    const early = p.send('before');
    const late = receivingSenderKey(distributionOf(GID, p.key));
    const m = p.send('after');
    expect(fromUtf8(groupDecrypt(late, parseGroupMessage(m)).plaintext)).toBe('after');
    expectCryptoError(() => groupDecrypt(late, parseGroupMessage(early)), 'GROUP_DUPLICATE');
  });

  it('skips up to GROUP_MAX_SKIP iterations, refuses one more, and keeps at most GROUP_MAX_SKIPPED_KEYS', () => {
    const p = pair();
    const all: Uint8Array[] = [];
    for (let i = 0; i <= GROUP_MAX_SKIP + 1; i++) all.push(p.send(String(i)));
    expectCryptoError(() => p.recv(all[GROUP_MAX_SKIP + 1]!), 'GROUP_TOO_MANY_SKIPPED');
    expect(p.state.iteration).toBe(0); // the refusal changed nothing
    expect(p.recv(all[GROUP_MAX_SKIP]!)).toBe(String(GROUP_MAX_SKIP));
    expect(p.state.skipped).toHaveLength(GROUP_MAX_SKIPPED_KEYS);
    expect(p.recv(all[0]!)).toBe('0');
    expect(p.recv(all[GROUP_MAX_SKIP + 1]!)).toBe(String(GROUP_MAX_SKIP + 1));
  });

  it('erases the oldest skipped keys beyond the bound (that late message is then a duplicate)', () => {
    const p = pair();
    const all: Uint8Array[] = [];
    for (let i = 0; i < 1500; i++) all.push(p.send(String(i)));
    expect(p.recv(all[999]!)).toBe('999');
    expect(p.recv(all[1499]!)).toBe('1499');
    expect(p.state.skipped).toHaveLength(GROUP_MAX_SKIPPED_KEYS);
    expectCryptoError(() => p.recv(all[0]!), 'GROUP_DUPLICATE');
    expect(p.recv(all[1498]!)).toBe('1498');
  });

  it('a receiving chain survives serialization, and a failed message leaves it unchanged', () => {
    const p = pair();
    const a = p.send('a');
    p.recv(p.send('b'));
    const bytes = serializeReceivingSenderKey(p.state);
    expect(deserializeReceivingSenderKey(bytes)).toEqual(p.state);
    expectCryptoError(() => p.recv(flip(a, a.length - 1)), 'GROUP_BAD_SIGNATURE');
    expect(serializeReceivingSenderKey(p.state)).toEqual(bytes);
    expect(p.recv(a)).toBe('a');
  });
});

describe('receiver checks, in order (§25.5)', () => {
  it('bad signature: a flipped ciphertext, header or signature byte, or another epoch key', () => {
    const p = pair();
    const m = p.send('x');
    for (const i of [0 + 6, 40, m.length - 70, m.length - 1]) {
      const bad = flip(m, i);
      if (i === 0 + 6) expect(parseGroupMessage(bad).from).toBe('alice');
      expectCryptoError(() => p.recv(bad), 'GROUP_BAD_SIGNATURE');
    }
    // A member who knows the chain key but not the epoch's signing key cannot write as the sender.
    const forger = { ...p.key, signingSecretKey: newSenderKey().signingSecretKey };
    expectCryptoError(() => p.recv(groupEncrypt(forger, 'alice', GID, utf8('forged')).message), 'GROUP_BAD_SIGNATURE');
  });

  it('a removed member holding the old epoch reads nothing of the next one', () => {
    const p = pair();
    p.recv(p.send('before the removal'));
    const next = newSenderKey(); // the sender's new epoch after the removal (§25.6)
    const m = groupEncrypt(next, 'alice', GID, utf8('after the removal')).message;
    expect(parseGroupMessage(m).epoch).not.toEqual(p.key.epoch);
    expectCryptoError(() => p.recv(m), 'GROUP_BAD_SIGNATURE');
    // Nor would its chain key open it, were the signature not checked first.
    const parsed = parseGroupMessage(m);
    const { key, nonce } = groupMessageKeyMaterial(kdfCk(p.state.chainKey).messageKey);
    expectCryptoError(() => aeadOpen(parsed.ciphertext, key, nonce, parsed.header), 'RATCHET_DECRYPT_FAILED');
  });

  it('decrypt failed: a correctly signed message whose ciphertext does not authenticate', () => {
    const p = pair();
    const header = encodeGroupHeader('alice', GID, p.key.epoch, 0);
    const ciphertext = new Uint8Array(300);
    const signed = new Uint8Array([...header, ...ciphertext]);
    const sig = sign(new Uint8Array([...utf8('chat/v2/group/sig\0'), ...signed]), p.key.signingSecretKey);
    expectCryptoError(() => p.recv(new Uint8Array([...signed, ...sig])), 'GROUP_DECRYPT_FAILED');
    expect(p.state.iteration).toBe(0);
  });

  it('malformed messages', () => {
    const m = pair().send('x');
    expectCryptoError(() => parseGroupMessage(m.subarray(0, 1 + 5 + 36 + 16 + 63)), 'ENVELOPE_MALFORMED');
    expectCryptoError(() => parseGroupMessage(new Uint8Array(0)), 'ENVELOPE_MALFORMED');
    const upper = new Uint8Array(m);
    upper[1] = 0x41; // 'Alice' is no username
    expectCryptoError(() => parseGroupMessage(upper), 'ENVELOPE_MALFORMED');
    const maxed = new Uint8Array(m);
    maxed.fill(0xff, 38, 42);
    expectCryptoError(() => parseGroupMessage(maxed), 'ENVELOPE_MALFORMED');
  });

  it('invalid distributions and states', () => {
    const d = encodeSenderKeyDistribution(distributionOf(GID, newSenderKey()));
    expectCryptoError(() => parseSenderKeyDistribution(d.subarray(1)), 'GROUP_SENDER_KEY_INVALID');
    expectCryptoError(() => parseSenderKeyDistribution(new Uint8Array([...d, 0])), 'GROUP_SENDER_KEY_INVALID');
    const smallOrder = new Uint8Array(d);
    smallOrder.fill(0, 68);
    smallOrder[68] = 1; // the identity point
    expectCryptoError(() => parseSenderKeyDistribution(smallOrder), 'GROUP_SENDER_KEY_INVALID');
    const maxed = new Uint8Array(d);
    maxed.fill(0xff, 32, 36);
    expectCryptoError(() => parseSenderKeyDistribution(maxed), 'GROUP_SENDER_KEY_INVALID');
    const p = pair();
    p.send('0');
    p.recv(p.send('1'));
    const s = serializeReceivingSenderKey(p.state);
    expectCryptoError(() => deserializeReceivingSenderKey(s.subarray(1)), 'GROUP_SENDER_KEY_INVALID');
    expectCryptoError(() => deserializeReceivingSenderKey(flip(s, 0, 0x02)), 'GROUP_SENDER_KEY_INVALID');
    expectCryptoError(() => deserializeReceivingSenderKey(new Uint8Array([...s, 0])), 'GROUP_SENDER_KEY_INVALID');
    const skippedAhead = new Uint8Array(s);
    skippedAhead[74] = 5; // a skipped iteration at or past the chain's own
    expectCryptoError(() => deserializeReceivingSenderKey(skippedAhead), 'GROUP_SENDER_KEY_INVALID');
  });

  it('review of §25: every other check of §25.3 and §25.7 fed its bad case', () => {
    const d = encodeSenderKeyDistribution(distributionOf(GID, newSenderKey()));
    // A signing key that is not a canonical encoding (y = 2^255 - 1 ≥ p), and one byte short of a whole distribution.
    const nonCanonical = new Uint8Array(d);
    nonCanonical.fill(0xff, 68, 99);
    nonCanonical[99] = 0x7f;
    expectCryptoError(() => parseSenderKeyDistribution(nonCanonical), 'GROUP_SENDER_KEY_INVALID');
    expectCryptoError(() => parseSenderKeyDistribution(new Uint8Array(0)), 'GROUP_SENDER_KEY_INVALID');
    // iteration 0xfffffffe is the last allowed one.
    const last = new Uint8Array(d);
    last.fill(0xff, 32, 35);
    last[35] = 0xfe;
    expect(parseSenderKeyDistribution(last).iteration).toBe(0xfffffffe);
    // A state with more than 1,000 skipped keys (each in order, below the chain's iteration), and two of one iteration.
    const state = (iteration: number, skipped: number[]): Uint8Array =>
      serializeReceivingSenderKey({
        signingPublicKey: new Uint8Array(32),
        iteration,
        chainKey: new Uint8Array(32),
        skipped: skipped.map((i) => ({ iteration: i, messageKey: new Uint8Array(32) })),
      });
    const many = Array.from({ length: GROUP_MAX_SKIPPED_KEYS + 1 }, (_, i) => i);
    expectCryptoError(() => deserializeReceivingSenderKey(state(5000, many)), 'GROUP_SENDER_KEY_INVALID');
    expect(deserializeReceivingSenderKey(state(5000, many.slice(1))).skipped).toHaveLength(GROUP_MAX_SKIPPED_KEYS);
    expectCryptoError(() => deserializeReceivingSenderKey(state(10, [3, 3])), 'GROUP_SENDER_KEY_INVALID');
    expectCryptoError(() => deserializeReceivingSenderKey(state(10, [4, 3])), 'GROUP_SENDER_KEY_INVALID');
    // A distribution is never a v1 inner kind: a v1 envelope of kind 0x18 is malformed (§25.3).
    const inner = encodeSigned('test', {
      kind: MessageKind.text,
      from: 'alice',
      to: 'bob',
      id: new Uint8Array(16),
      ts: 1,
      body: utf8('x'.repeat(100)), // the kind is checked first, whatever the body
    });
    expect(parseInner(new Uint8Array([...inner, ...new Uint8Array(64)])).kind).toBe(MessageKind.text);
    const asKind18 = new Uint8Array([...inner, ...new Uint8Array(64)]);
    asKind18[0] = SENDER_KEY_KIND;
    expectCryptoError(() => parseInner(asKind18), 'ENVELOPE_MALFORMED');
  });
});
