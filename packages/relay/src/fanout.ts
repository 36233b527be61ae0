/**
 * `fanout` (PROTOCOL.md §15.2): N envelopes in one frame, checked one by one like `send`, stored in one transaction,
 * answered with one `fanout_sent` carrying a result per envelope. This is what makes a group message to N members
 * one round trip instead of N.
 */
import { ProtocolError, type ErrorCode, type FanoutFrame, type FanoutSentFrame } from '@chat/protocol';
import type { RelayContext } from './context.js';
import { checkRecipient, fitsWithoutLookup } from './recipient.js';
import type { EnvelopeInput } from './store/mailbox-store.js';

/**
 * Checks and stores every entry; resolves with the reply once the transaction holding them has committed.
 * @throws {ProtocolError} `BAD_FRAME` (fatal) when the three arrays differ in length or `to` names a recipient twice.
 */
export async function storeFanout(
  ctx: RelayContext,
  sender: string,
  address: string,
  f: FanoutFrame,
): Promise<{ reply: FanoutSentFrame; stored: string[] }> {
  if (f.to.length !== f.ids.length || f.to.length !== f.envs.length) {
    throw new ProtocolError(
      'BAD_FRAME',
      `fanout: to, ids and envs must have the same length, got ${f.to.length}, ${f.ids.length}, ${f.envs.length}`,
    );
  }
  // A group message names each member once; the same name twice only multiplies one frame's cost (§15.2).
  if (new Set(f.to).size !== f.to.length) {
    throw new ProtocolError('BAD_FRAME', 'fanout: a recipient appears twice in to');
  }
  const codes: string[] = new Array<string>(f.to.length).fill('');
  const now = ctx.now();
  const items: { index: number; item: EnvelopeInput }[] = [];
  const refusals: Promise<void>[] = [];
  f.to.forEach((to, i) => {
    if (!fitsWithoutLookup(ctx, to, f.envs[i]!)) {
      // Refused either way; which code depends on registration. Nothing is stored, so the lookup may come later.
      refusals.push(checkRecipient(ctx, to, f.envs[i]!).then((code) => void (codes[i] = code ?? 'ENVELOPE_TOO_LARGE')));
      return;
    }
    items.push({
      index: i,
      item: {
        recipient: to,
        ...ctx.shareTags(sender, address, to),
        id: f.ids[i]!,
        envelope: f.envs[i]!,
        receivedAt: now,
        expiresAt: now + ctx.limits.mailboxTtlMs,
      },
    });
  });
  // Queued in the same turn of the event loop as the frame arrived, so the commit queue writes them all in one
  // transaction (§15.2) and after whatever this session sent before; registration is checked inside the commit.
  const puts = Promise.all(items.map(({ item }) => ctx.commits.put(item)));
  await Promise.all(refusals);
  const results = await puts;
  const stored: string[] = [];
  results.forEach((r, k) => {
    const { index, item } = items[k]!;
    const code: ErrorCode | '' =
      r === 'stored' || r === 'duplicate' ? '' : r === 'mailbox_full' ? 'MAILBOX_FULL' : 'UNKNOWN_USER';
    codes[index] = code;
    if (r === 'stored') stored.push(item.recipient);
  });
  return { reply: { t: 'fanout_sent', rid: f.rid, codes }, stored };
}
