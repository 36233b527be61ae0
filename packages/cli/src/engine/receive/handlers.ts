/**
 * The receive handler table: one handler per §4 kind byte, registered by the part of the engine that owns the kind
 * (text and receipts: messages.ts; groups and rooms: groups/receive.ts; files: files/incoming.ts). receive/ calls
 * them inside the batch's transaction (commit.ts) and knows none of them. A kind with no handler — a stored `typing`
 * signal, or a kind this client does not know — is acknowledged and ignored (§4.1), as before the table existed.
 */
import type { OpenedEnvelope } from '@chat/crypto';
import type { Emit } from '../events.js';

/** One verified envelope, as a handler sees it. */
export interface Delivery {
  /** The message id (hex) and the relay's receive time. */
  id: string;
  relayTs: number;
  opened: OpenedEnvelope;
  /** Announces an event once the batch has committed (never before: §9 ack after commit). */
  later: (event: () => void) => void;
  /** The session's emit: it also calls the `receive` options' callbacks (onMessage, onGroupMessage). */
  emit: Emit;
}

export type Handled =
  /** A new message for the user: counted as received; `receipt` asks for a `delivered` receipt (§4.1). */
  | { outcome: 'new'; receipt?: boolean }
  /** Applied, nothing to count (a receipt, a file answer). */
  | { outcome: 'applied' }
  /** Already in history (§4 step 7): acknowledged again, not shown. */
  | { outcome: 'duplicate' }
  /** Failed a check of its kind: recorded in `rejected` and acknowledged. */
  | { outcome: 'rejected'; code: string; detail: string };

/** Runs inside the batch's store transaction; must not await. */
export type KindHandler = (d: Delivery) => Handled;

export type KindHandlers = ReadonlyMap<number, KindHandler>;
