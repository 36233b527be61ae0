/**
 * What a fanout copy the relay did not store becomes (§15.2), shared by the outbox (send/outbox-sender.ts) and the
 * `chat group` command that reports it. No imports: the command reads it without loading the engine.
 */

/** Codes a later pass may get past: the relay could not store the copy now. Such a copy stays in the outbox. */
export const TRANSIENT_FANOUT_CODES: ReadonlySet<string> = new Set(['INTERNAL', 'SHUTTING_DOWN', 'RATE_LIMITED']);

/**
 * A group state record (§15.3) also stays queued when the member's mailbox is full: dropped, that member would never
 * learn the change and its view of the group would fork from everyone else's; it goes again once the mailbox has room
 * (the member ran chat recv). A message to a full mailbox fails for that member, as a 1:1 message does.
 */
export function stateRecordKeptQueued(code: string): boolean {
  return TRANSIENT_FANOUT_CODES.has(code) || code === 'MAILBOX_FULL';
}

/** How a group change's copy the relay did not store is told (`chat group`, the session's group commands). */
export function stateCopyNotice(to: string, code: string): string {
  return stateRecordKeptQueued(code)
    ? `not delivered to ${to} yet: ${code}; queued, it goes out with a later connection`
    : `not delivered to ${to}: ${code}`;
}
