/**
 * Protocol v2 test vectors (PROTOCOL.md §22): fixed inputs in, every intermediate value out. `v2-vectors.test.ts`
 * checks the committed `vectors/v2/*.json` against this; `CHAT_WRITE_V2_VECTORS=1` rewrites them instead.
 */
import { createHash } from 'node:crypto';
import {
  encodeInitiation,
  identityFromSecrets,
  kdfCk,
  messageKeyMaterial,
  mlkemKeyPair,
  type PqxdhParty,
  PrekeyType,
  pqxdhInitiate,
  pqxdhReplayKey,
  pqxdhRespond,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetInitInitiator,
  ratchetInitResponder,
  signPrekey,
  toHex,
  utf8,
  x25519KeyPair,
} from '../src/index.js';

/** A fixed 32- or 64-byte input: SHA-256 (or SHA-512) of `chat/v2/test/` ‖ name. */
export function fixed(name: string, bytes: 32 | 64 = 32): Uint8Array {
  const h = createHash(bytes === 32 ? 'sha256' : 'sha512')
    .update(`chat/v2/test/${name}`)
    .digest();
  return new Uint8Array(h);
}

/** A deterministic source of ratchet secret keys: fixed(`${name}/0`), fixed(`${name}/1`), … */
export function fixedRandom(name: string): () => Uint8Array {
  let i = 0;
  return () => fixed(`${name}/${i++}`);
}

const hex = toHex;

export function pqxdhVector(withOneTime: boolean) {
  const tag = withOneTime ? 'one-time' : 'last-resort';
  const alice = identityFromSecrets(fixed('alice/identity'), fixed('alice/encryption'));
  const bob = identityFromSecrets(fixed('bob/identity'), fixed('bob/encryption'));
  const spk = x25519KeyPair(fixed('bob/spk'));
  const opk = x25519KeyPair(fixed('bob/opk'));
  const pq = mlkemKeyPair(fixed(`bob/pq/${tag}`, 64));
  const pqType = withOneTime ? PrekeyType.mlkemOneTime : PrekeyType.mlkemLastResort;
  const bundle = {
    signedPrekey: signPrekey(PrekeyType.x25519Signed, 'bob', 1, spk.publicKey, bob.identity.secretKey),
    pqPrekey: signPrekey(pqType, 'bob', withOneTime ? 3 : 2, pq.publicKey, bob.identity.secretKey),
    ...(withOneTime
      ? { oneTimePrekey: signPrekey(PrekeyType.x25519OneTime, 'bob', 7, opk.publicKey, bob.identity.secretKey) }
      : {}),
  };
  const bobParty: PqxdhParty = {
    username: 'bob',
    identityPublicKey: bob.identity.publicKey,
    encryptionPublicKey: bob.encryption.publicKey,
  };
  const aliceParty: PqxdhParty = {
    username: 'alice',
    identityPublicKey: alice.identity.publicKey,
    encryptionPublicKey: alice.encryption.publicKey,
  };
  const ek = fixed(`alice/ek/${tag}`);
  const m = fixed(`alice/kem-m/${tag}`);
  const out = pqxdhInitiate(alice, 'alice', bobParty, bundle, { ephemeralSecretKey: ek, kemRandomness: m });
  const back = pqxdhRespond(bob, 'bob', aliceParty, out.initiation, {
    signedPrekey: spk,
    pqPrekey: pq,
    ...(withOneTime ? { oneTimePrekey: opk } : {}),
  });
  if (hex(back.sharedSecret) !== hex(out.sharedSecret)) throw new Error('PQXDH vector: the two sides disagree');
  return {
    name: `PQXDH, ${withOneTime ? 'with a one-time X25519 prekey and a one-time ML-KEM key' : 'no one-time X25519 prekey, last-resort ML-KEM key'}`,
    inputs: {
      aliceIdentitySeed: hex(fixed('alice/identity')),
      aliceEncryptionSecretKey: hex(alice.encryption.secretKey),
      bobIdentitySeed: hex(fixed('bob/identity')),
      bobEncryptionSecretKey: hex(bob.encryption.secretKey),
      signedPrekeyId: 1,
      signedPrekeySecretKey: hex(spk.secretKey),
      ...(withOneTime ? { oneTimePrekeyId: 7, oneTimePrekeySecretKey: hex(opk.secretKey) } : {}),
      pqPrekeyType: pqType,
      pqPrekeyId: bundle.pqPrekey.keyId,
      pqPrekeySeed: hex(fixed(`bob/pq/${tag}`, 64)),
      ephemeralSecretKey: hex(ek),
      kemRandomness: hex(m),
    },
    outputs: {
      aliceIdentityPublicKey: hex(alice.identity.publicKey),
      aliceEncryptionPublicKey: hex(alice.encryption.publicKey),
      bobIdentityPublicKey: hex(bob.identity.publicKey),
      bobEncryptionPublicKey: hex(bob.encryption.publicKey),
      signedPrekeyPublicKey: hex(spk.publicKey),
      signedPrekeySignature: hex(bundle.signedPrekey.signature),
      ...(withOneTime && bundle.oneTimePrekey
        ? { oneTimePrekeyPublicKey: hex(opk.publicKey), oneTimePrekeySignature: hex(bundle.oneTimePrekey.signature) }
        : {}),
      pqPrekeyPublicKey: hex(pq.publicKey),
      pqPrekeySignature: hex(bundle.pqPrekey.signature),
      ephemeralPublicKey: hex(out.initiation.ephemeralPublicKey),
      kemCipherText: hex(out.initiation.kemCipherText),
      initiation: hex(encodeInitiation(out.initiation)),
      replayKey: pqxdhReplayKey(out.initiation),
      associatedData: hex(out.associatedData),
      sharedSecret: hex(out.sharedSecret),
    },
    /** For the ratchet vector: the ends of this key agreement. */
    session: { sk: out.sharedSecret, ad: out.associatedData, spk },
  };
}

/** Who sends, in order; then the order of deliveries (message index), out of order on purpose. */
const SENDS = ['a', 'a', 'b', 'a', 'b', 'b', 'a', 'a', 'b', 'a', 'b', 'b'] as const;
const SCRIPT: readonly (['send', number] | ['recv', number])[] = [
  ['send', 0],
  ['send', 1],
  ['recv', 1],
  ['recv', 0],
  ['send', 2],
  ['recv', 2],
  ['send', 3],
  ['recv', 3],
  ['send', 4],
  ['send', 5],
  ['recv', 5],
  ['recv', 4],
  ['send', 6],
  ['send', 7],
  ['recv', 7],
  ['send', 8],
  ['recv', 8],
  ['recv', 6],
  ['send', 9],
  ['recv', 9],
  ['send', 10],
  ['send', 11],
  ['recv', 11],
  ['recv', 10],
];

export function ratchetVector() {
  const { session, outputs } = pqxdhVector(true);
  const rnd = { a: fixedRandom('ratchet/alice'), b: fixedRandom('ratchet/bob') };
  const st: Record<'a' | 'b', RatchetState> = {
    a: ratchetInitInitiator(session.sk, session.ad, session.spk.publicKey, rnd.a),
    b: ratchetInitResponder(session.sk, session.ad, session.spk),
  };
  const messages: Uint8Array[] = [];
  const steps = SCRIPT.map(([op, i]) => {
    const from = SENDS[i] as 'a' | 'b';
    const to = from === 'a' ? 'b' : 'a';
    const plaintext = `message ${i} from ${from === 'a' ? 'alice' : 'bob'}`;
    if (op === 'send') {
      const chainKey = st[from].sendingChainKey as Uint8Array;
      const messageKey = kdfCk(chainKey).messageKey;
      const { key, nonce } = messageKeyMaterial(messageKey);
      const r = ratchetEncrypt(st[from], utf8(plaintext));
      st[from] = r.state;
      messages[i] = r.message;
      return {
        op,
        message: i,
        by: from === 'a' ? 'alice' : 'bob',
        plaintext,
        rootKey: hex(st[from].rootKey),
        ratchetPublicKey: hex(st[from].sending.publicKey),
        chainKey: hex(chainKey),
        messageKey: hex(messageKey),
        aeadKey: hex(key),
        aeadNonce: hex(nonce),
        wire: hex(r.message),
      };
    }
    const r = ratchetDecrypt(st[to], messages[i] as Uint8Array, rnd[to]);
    if (new TextDecoder().decode(r.plaintext) !== plaintext) throw new Error(`ratchet vector: message ${i} differs`);
    st[to] = r.state;
    return {
      op,
      message: i,
      by: to === 'a' ? 'alice' : 'bob',
      rootKey: hex(st[to].rootKey),
      ratchetPublicKey: hex(st[to].sending.publicKey),
      skippedKeys: st[to].skipped.size,
    };
  });
  return {
    name: 'Double Ratchet: twelve messages, alice initiator, from the first PQXDH vector',
    inputs: {
      sharedSecret: outputs.sharedSecret,
      associatedData: outputs.associatedData,
      bobRatchetSecretKey: hex(session.spk.secretKey),
      ratchetSecretKeys: 'alice: fixed("ratchet/alice/<i>"), bob: fixed("ratchet/bob/<i>"), i = 0, 1, …',
    },
    steps,
  };
}
