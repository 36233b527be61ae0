/**
 * Per-sender and per-address shares of a mailbox (PROTOCOL.md §11, SECURITY.md "Relay resource abuse"): the relay
 * knows which account submits an envelope and from which address, and counts what each sender and each source address
 * holds in each mailbox, so that no one sender fills it, and no one address does by registering more accounts.
 *
 * The counts are kept under tags, not names: HMAC-SHA-256 over (kind, sender or address, recipient) with a key that
 * lives only in this process's memory. On disk the tags show only which waiting envelopes of one mailbox share a
 * sender or an address, not who or where it is, and not that two mailboxes have the same sender. The price: after a
 * restart the old tags match no one, so every share starts empty again (the mailbox quota still holds). The kind byte
 * keeps an account named like an address from sharing its tag.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Tags are this long: collisions between the senders of one mailbox are negligible. */
export const SENDER_TAG_BYTES = 16;

export interface ShareTags {
  senderTag: Uint8Array;
  addressTag: Uint8Array;
}

/** A fresh tagging function with its own random key; `address` is a `mailboxAddressKey` (address-key.ts: an IPv4 address or an IPv6 /48). */
export function createShareTagger(): (sender: string, address: string, recipient: string) => ShareTags {
  const key = randomBytes(32);
  const tag = (kind: string, who: string, recipient: string) =>
    new Uint8Array(
      createHmac('sha256', key)
        .update(kind)
        .update(who)
        .update('\0')
        .update(recipient)
        .digest()
        .subarray(0, SENDER_TAG_BYTES),
    );
  return (sender, address, recipient) => ({
    senderTag: tag('s\0', sender, recipient),
    addressTag: tag('a\0', address, recipient),
  });
}
