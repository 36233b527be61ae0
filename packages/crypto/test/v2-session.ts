/** A fresh PQXDH + Double Ratchet session between alice (initiator) and bob, for the v2 tests. */
import {
  generateIdentity,
  type Identity,
  mlkemKeyPair,
  type PqxdhParty,
  PrekeyType,
  pqxdhInitiate,
  pqxdhRespond,
  type RatchetState,
  ratchetInitInitiator,
  ratchetInitResponder,
  signPrekey,
  x25519KeyPair,
} from '../src/index.js';

export function party(name: string, id: Identity): PqxdhParty {
  return { username: name, identityPublicKey: id.identity.publicKey, encryptionPublicKey: id.encryption.publicKey };
}

/** Bob's published prekeys and their private halves. */
export function bobPrekeys(bob: Identity, oneTime = true) {
  const spk = x25519KeyPair();
  const opk = x25519KeyPair();
  const pq = mlkemKeyPair();
  const pqType = oneTime ? PrekeyType.mlkemOneTime : PrekeyType.mlkemLastResort;
  return {
    private: { signedPrekey: spk, pqPrekey: pq, ...(oneTime ? { oneTimePrekey: opk } : {}) },
    bundle: {
      signedPrekey: signPrekey(PrekeyType.x25519Signed, 'bob', 1, spk.publicKey, bob.identity.secretKey),
      pqPrekey: signPrekey(pqType, 'bob', 2, pq.publicKey, bob.identity.secretKey),
      ...(oneTime
        ? { oneTimePrekey: signPrekey(PrekeyType.x25519OneTime, 'bob', 3, opk.publicKey, bob.identity.secretKey) }
        : {}),
    },
  };
}

export function newSession(): { a: RatchetState; b: RatchetState; alice: Identity; bob: Identity } {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const keys = bobPrekeys(bob);
  const init = pqxdhInitiate(alice, 'alice', party('bob', bob), keys.bundle);
  const resp = pqxdhRespond(bob, 'bob', party('alice', alice), init.initiation, keys.private);
  return {
    a: ratchetInitInitiator(init.sharedSecret, init.associatedData, keys.bundle.signedPrekey.publicKey),
    b: ratchetInitResponder(resp.sharedSecret, resp.associatedData, keys.private.signedPrekey),
    alice,
    bob,
  };
}
