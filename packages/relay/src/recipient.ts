/**
 * The one recipient and size check of every envelope the relay accepts (PROTOCOL.md §9 "Send" and "Ephemeral",
 * §15.2 step 2): `send`, ephemeral `send` and each `fanout` entry run it, in this order, before anything else.
 */
import { isValidUsername } from '@chat/crypto';
import type { ErrorCode } from '@chat/protocol';
import type { RelayContext } from './context.js';

/**
 * `UNKNOWN_USER` when `to` is not a valid, registered username, else `ENVELOPE_TOO_LARGE` when `env` is over the
 * relay's `maxEnvelope`, else undefined. A stored send checks registration again inside its commit (an account can be
 * deleted in between); this early check is what lets an ephemeral send, which has no commit, answer the same way.
 */
export async function checkRecipient(
  ctx: Pick<RelayContext, 'store' | 'limits'>,
  to: string,
  env: Uint8Array,
): Promise<ErrorCode | undefined> {
  if (!isValidUsername(to) || !(await ctx.store.hasUser(to))) return 'UNKNOWN_USER';
  if (env.length > ctx.limits.maxEnvelopeBytes) return 'ENVELOPE_TOO_LARGE';
  return undefined;
}

/**
 * True when an envelope to be stored can go straight to its commit: `to` is a valid name and `env` fits. The commit
 * then checks registration (`unknown_recipient`, answered `UNKNOWN_USER` like `checkRecipient`), and the envelope is
 * queued in the same turn of the event loop as it arrived, so envelopes keep their order and share a group commit.
 * False: `checkRecipient` gives the refusal (which of the two codes depends on registration).
 */
export function fitsWithoutLookup(ctx: Pick<RelayContext, 'limits'>, to: string, env: Uint8Array): boolean {
  return isValidUsername(to) && env.length <= ctx.limits.maxEnvelopeBytes;
}

/** The `msg` of the `err` that carries a code from `checkRecipient`. */
export function recipientRefusal(code: ErrorCode, to: string, maxEnvelopeBytes: number): string {
  return code === 'ENVELOPE_TOO_LARGE'
    ? `envelopes are at most ${maxEnvelopeBytes} bytes`
    : `no user ${JSON.stringify(to)} on this relay`;
}
