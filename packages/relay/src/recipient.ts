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
export function checkRecipient(
  ctx: Pick<RelayContext, 'store' | 'limits'>,
  to: string,
  env: Uint8Array,
): ErrorCode | undefined {
  if (!isValidUsername(to) || !ctx.store.hasUser(to)) return 'UNKNOWN_USER';
  if (env.length > ctx.limits.maxEnvelopeBytes) return 'ENVELOPE_TOO_LARGE';
  return undefined;
}

/** The `msg` of the `err` that carries a code from `checkRecipient`. */
export function recipientRefusal(code: ErrorCode, to: string, maxEnvelopeBytes: number): string {
  return code === 'ENVELOPE_TOO_LARGE'
    ? `envelopes are at most ${maxEnvelopeBytes} bytes`
    : `no user ${JSON.stringify(to)} on this relay`;
}
