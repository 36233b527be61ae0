/** Key bundles from the relay, checked before anything trusts them (§3.2, §3.4). */
import { constantTimeEqual, verifyBundle } from '@chat/crypto';
import type { BundleFrame } from '@chat/protocol';
import type { Connection } from '../net/connection.js';
import { ChatError, fromCryptoError, printable } from '../errors.js';
import type { Contact } from '../store/store.js';

/** `lookup` plus the §3.2 checks, and the bundle must be for the name we asked about (§3.4). */
export async function fetchBundle(conn: Connection, name: string): Promise<BundleFrame> {
  const bundle = await conn.lookup(name);
  if (bundle.user !== name) {
    throw new ChatError(
      'BUNDLE_INVALID',
      `the relay answered a lookup for ${name} with a key bundle for ${printable(bundle.user)}`,
      {
        hint: 'nothing was sent; the relay may be misbehaving',
      },
    );
  }
  try {
    verifyBundle({
      username: bundle.user,
      identityPublicKey: bundle.idpk,
      encryptionPublicKey: bundle.encpk,
      signature: bundle.bsig,
    });
  } catch (err) {
    throw fromCryptoError(err, `${name}'s key bundle`);
  }
  return bundle;
}

export function sameKeys(contact: Contact, bundle: BundleFrame): boolean {
  return (
    constantTimeEqual(contact.identityPublicKey, bundle.idpk) &&
    constantTimeEqual(contact.encryptionPublicKey, bundle.encpk)
  );
}
