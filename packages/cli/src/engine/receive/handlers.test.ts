/** The receive handler table (issue 12): commit.ts dispatches a verified envelope by its kind, and knows no kind itself. */
import { MessageKind, randomMessageId, toHex, type OpenedEnvelope } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import type { ReceiveContext } from '../context.js';
import type { Checked } from './check.js';
import { commitChecked } from './commit.js';
import type { KindHandler } from './handlers.js';

function ok(kind: number): Checked {
  const id = randomMessageId();
  const opened = {
    kind,
    from: 'bob',
    to: 'alice',
    id,
    ts: 1,
    body: Uint8Array.of(1),
    signature: new Uint8Array(64),
    signedMessage: new Uint8Array(0),
  } as OpenedEnvelope;
  return { outcome: 'ok', frame: { t: 'msg', id, env: new Uint8Array(0), ts: 2 }, opened };
}

function context(handlers: [number, KindHandler][], events: string[], blocked: string[] = []): ReceiveContext {
  return {
    username: 'alice',
    handlers: new Map(handlers),
    store: {
      transaction: <T>(f: () => T) => f(),
      outbox: { setLastSeen: () => {} },
      rejected: { add: () => true },
      seen: { has: () => false },
      blocked: { has: (u: string) => blocked.includes(u) },
    },
    emit: (event: unknown) => events.push(String(event)) > 0,
    enqueueReceipts: (peer: string, kind: number, ids: readonly string[]) =>
      events.push(`receipt ${peer} ${kind} ${ids.length}`) > 0,
  } as unknown as ReceiveContext;
}

describe('the receive handler table', () => {
  it('a kind with no handler is acknowledged and ignored; a registered one is applied and its events run after the commit', () => {
    const events: string[] = [];
    const seen: string[] = [];
    const text: KindHandler = (d) => {
      seen.push(d.id);
      d.later(() => d.emit('message', { id: d.id } as never));
      return { outcome: 'new', receipt: true };
    };
    const unknown = ok(MessageKind.typing);
    const known = ok(MessageKind.text);
    const summary = { received: 0, duplicates: 0, held: 0, rejected: 0 };
    const got: unknown[] = [];
    const committed = commitChecked(
      context([[MessageKind.text, text]], events),
      [unknown, known],
      { onMessage: (m) => got.push(m) },
      summary,
    );
    expect(committed.acks.map(toHex)).toEqual([toHex(unknown.frame.id), toHex(known.frame.id)]);
    expect(seen).toEqual([toHex(known.frame.id)]);
    expect(summary).toEqual({ received: 1, duplicates: 0, held: 0, rejected: 0 });
    expect(events).toEqual([`receipt bob ${MessageKind.delivered} 1`]); // the message event waits for the commit
    for (const e of committed.events) e();
    expect(events.at(-1)).toBe('message');
    expect(got).toEqual([{ id: toHex(known.frame.id) }]);
  });

  it('from a blocked sender: acknowledged, never handled, no receipt; a group state record is still applied (§17.4)', () => {
    const events: string[] = [];
    const handled: number[] = [];
    const handler: KindHandler = (d) => {
      handled.push(d.opened.kind);
      return { outcome: 'new', receipt: d.opened.kind === MessageKind.text };
    };
    const summary = { received: 0, duplicates: 0, held: 0, rejected: 0 };
    const all = [ok(MessageKind.text), ok(MessageKind.reaction), ok(MessageKind.groupState)];
    const committed = commitChecked(
      context(
        all.map((c) => [(c as { opened: OpenedEnvelope }).opened.kind, handler]),
        events,
        ['bob'],
      ),
      all,
      {},
      summary,
    );
    expect(committed.acks).toHaveLength(3);
    expect(handled).toEqual([MessageKind.groupState]);
    expect(events).toEqual([]);
  });

  it("a handler's rejection is recorded and acknowledged like a §4 rejection", () => {
    const events: string[] = [];
    const summary = { received: 0, duplicates: 0, held: 0, rejected: 0 };
    const c = ok(MessageKind.groupText);
    const committed = commitChecked(
      context(
        [[MessageKind.groupText, () => ({ outcome: 'rejected', code: 'GROUP_NOT_MEMBER', detail: 'x' })]],
        events,
      ),
      [c],
      {},
      summary,
    );
    expect(committed.acks).toHaveLength(1);
    expect(summary.rejected).toBe(1);
    for (const e of committed.events) e();
    expect(events).toEqual(['rejected']);
  });
});
