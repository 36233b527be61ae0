/**
 * Per-sender shares of a mailbox (PROTOCOL.md §11, SECURITY.md "Relay resource abuse"): the relay knows which account
 * submits an envelope, and counts what each sender holds in each mailbox so that no one sender fills it.
 *
 * The count is kept under a tag, not a name: HMAC-SHA-256 over (sender, recipient) with a key that lives only in
 * this process's memory. On disk the tags show only which waiting envelopes of one mailbox share a sender, not who
 * it is, and not that two mailboxes have the same sender. The price: after a restart the old tags match no one, so
 * every sender's share starts empty again (the mailbox quota still holds).
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Tags are this long: collisions between the senders of one mailbox are negligible. */
export const SENDER_TAG_BYTES = 16;

/** A fresh tagging function with its own random key. */
export function createSenderTagger(): (sender: string, recipient: string) => Uint8Array {
  const key = randomBytes(32);
  return (sender, recipient) =>
    new Uint8Array(
      createHmac('sha256', key).update(sender).update('\0').update(recipient).digest().subarray(0, SENDER_TAG_BYTES),
    );
}
