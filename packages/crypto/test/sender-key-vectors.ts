/**
 * Group sender key test vectors (PROTOCOL.md §25.8): fixed inputs in, every intermediate value out.
 * `sender-key-vectors.test.ts` checks the committed `vectors/v2/sender-key.json` against this.
 */
import {
  distributionOf,
  encodeSenderKeyDistribution,
  groupEncrypt,
  groupMessageKeyMaterial,
  kdfCk,
  newSenderKey,
  pad,
  toHex,
  utf8,
} from '../src/index.js';
import { fixed } from './v2-vectors.js';

const hex = toHex;

/** The plaintext of a group message: pad(kind ‖ u64be(ts) ‖ body) (§25.4). */
export function groupPlaintext(kind: number, ts: number, body: Uint8Array): Uint8Array {
  const head = new Uint8Array(9);
  head[0] = kind;
  new DataView(head.buffer).setBigUint64(1, BigInt(ts));
  return pad(new Uint8Array(Buffer.concat([head, body])));
}

export function senderKeyVector() {
  const gid = fixed('group/gid').slice(0, 16);
  const random = {
    epoch: fixed('group/alice/epoch').slice(0, 16),
    chainKey: fixed('group/alice/chain'),
    signingSeed: fixed('group/alice/signing'),
  };
  let key = newSenderKey(random);
  const distribution = encodeSenderKeyDistribution(distributionOf(gid, key));
  const steps = [];
  for (let i = 0; i < 4; i++) {
    const text = `group message ${i}`;
    const ts = 1_764_000_000_000 + i;
    // body of a group text (§15.1): gid ‖ text
    const body = new Uint8Array(Buffer.concat([gid, utf8(text)]));
    const plaintext = groupPlaintext(0x10, ts, body);
    const { chainKey, messageKey } = kdfCk(key.chainKey);
    const { key: aeadKey, nonce } = groupMessageKeyMaterial(messageKey);
    const out = groupEncrypt(key, 'alice', gid, plaintext);
    steps.push({
      iteration: key.iteration,
      chainKey: hex(key.chainKey),
      messageKey: hex(messageKey),
      nextChainKey: hex(chainKey),
      aeadKey: hex(aeadKey),
      aeadNonce: hex(nonce),
      text,
      ts,
      plaintext: hex(plaintext),
      message: hex(out.message),
    });
    key = out.key;
  }
  return {
    name: 'alice sends four messages in one epoch',
    inputs: {
      from: 'alice',
      gid: hex(gid),
      epoch: hex(random.epoch),
      chainKey: hex(random.chainKey),
      signingSeed: hex(random.signingSeed),
    },
    outputs: { signingPublicKey: hex(key.signingPublicKey), distribution: hex(distribution) },
    steps,
  };
}
