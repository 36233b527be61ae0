/**
 * Deniability (issue 13 point 3): v2 messages carry no long-term signature, so the recipient can make a transcript
 * "from" the sender with its own secrets and the sender's public keys alone, one that its own code accepts exactly
 * like a real one. Hence a transcript proves nothing to a third party.
 */
import { describe, expect, it } from 'vitest';
import { bobPrekeys, party } from '../test/v2-session.js';
import {
  fromUtf8,
  generateIdentity,
  mlkemEncapsulate,
  PrekeyType,
  pqxdhAssociatedData,
  pqxdhKdf,
  pqxdhRespond,
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetInitInitiator,
  ratchetInitResponder,
  utf8,
  x25519,
  x25519KeyPair,
} from './index.js';

describe('deniability', () => {
  it('bob forges a first contact and a message "from" alice that his own side accepts', () => {
    const alice = generateIdentity(); // bob uses only alice's public keys below
    const bob = generateIdentity();
    const keys = bobPrekeys(bob, false);
    const A = party('alice', alice);
    // Bob plays the initiator: DH1 with his SPK secret instead of alice's IK secret (X25519 is symmetric).
    const ek = x25519KeyPair();
    const spk = keys.private.signedPrekey;
    const { cipherText, sharedSecret: ss } = mlkemEncapsulate(keys.private.pqPrekey.publicKey);
    const dhs = [
      x25519(spk.secretKey, alice.encryption.publicKey),
      x25519(bob.encryption.secretKey, ek.publicKey),
      x25519(spk.secretKey, ek.publicKey),
    ];
    const forgedSk = pqxdhKdf(dhs, ss);
    const ad = pqxdhAssociatedData(A, party('bob', bob));
    const initiation = {
      signedPrekeyId: keys.bundle.signedPrekey.keyId,
      pqPrekeyType: PrekeyType.mlkemLastResort,
      pqPrekeyId: keys.bundle.pqPrekey.keyId,
      ephemeralPublicKey: ek.publicKey,
      kemCipherText: cipherText,
    } as const;
    const forgedAlice = ratchetInitInitiator(forgedSk, ad, spk.publicKey);
    const { message } = ratchetEncrypt(forgedAlice, utf8('I, alice, owe bob 1000 euros'));

    // Bob's real receiving code accepts the forgery as a first message from alice.
    const resp = pqxdhRespond(bob, 'bob', A, initiation, keys.private);
    const bobState = ratchetInitResponder(resp.sharedSecret, resp.associatedData, spk);
    expect(fromUtf8(ratchetDecrypt(bobState, message).plaintext)).toBe('I, alice, owe bob 1000 euros');
  });
});
