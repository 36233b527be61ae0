/**
 * §24.7's bounds and choices on a real store file, without a relay: how many ids await and are asked for, one request
 * open per peer, nothing asked of a blocked user, and which of our messages a resend request may bring back.
 */
import { join } from 'node:path';
import { MAX_RESEND_IDS, MessageKind, fromHex, fromUtf8, randomMessageId, toHex } from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir } from '../../../test/helpers.js';
import type { RecoveryEvent } from '../events.js';
import { Store, type StoredMessage } from '../store/store.js';
import { MAX_AWAITING_PER_PEER, askForResends, awaitResend, recoveryHandlers } from './recovery.js';

describe('recovery rules (§24.7)', () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    t = tempDir('recovery-rules');
    store = Store.open(join(t.dir, 'chat.db'), TEST_STORAGE_KEY);
  });
  afterEach(() => {
    store.close();
    t.cleanup();
  });

  const requests = (): string[][] =>
    store.outbox
      .list()
      .filter((e) => e.kind === MessageKind.resendRequest)
      .map((e) => Array.from({ length: e.body.length / 16 }, (_, k) => toHex(e.body.subarray(16 * k, 16 * k + 16))));

  it('keeps at most MAX_AWAITING_PER_PEER ids per peer and asks for 64 at a time, one request open', () => {
    const ids = Array.from({ length: 300 }, () => toHex(randomMessageId()));
    // In one transaction, as the receive batch does.
    const kept = store.transaction(() => ids.filter((id, k) => awaitResend(store, id, 'alice', 1_000 + k)));
    expect(kept).toEqual(ids.slice(0, MAX_AWAITING_PER_PEER));
    expect(askForResends(store, 2_000).map((e) => [e.peer, e.ids.length])).toEqual([['alice', MAX_RESEND_IDS]]);
    expect(requests()).toEqual([ids.slice(0, MAX_RESEND_IDS)]);
    expect(askForResends(store, 2_001)).toEqual([]); // open until alice writes
    store.recovery.answered('alice');
    expect(askForResends(store, 2_002)[0]?.ids).toEqual(ids.slice(MAX_RESEND_IDS, 2 * MAX_RESEND_IDS));
    // An id that arrived awaits nothing more.
    expect(store.recovery.awaits(ids[0]!, 'alice')).toBe(true);
    expect(store.recovery.awaits(ids[0]!, 'carol')).toBe(false);
    store.recovery.arrived(ids[0]!, 'alice');
    expect(store.recovery.awaits(ids[0]!, 'alice')).toBe(false);
  });

  it('asks nothing of a blocked user', () => {
    store.blocked.block('mallory', 1);
    expect(awaitResend(store, toHex(randomMessageId()), 'mallory', 1)).toBe(false);
    expect(askForResends(store, 2)).toEqual([]);
  });

  it('resends our own 1:1 texts and replies to the requester, as first sent, once; nothing else', () => {
    const out = (peer: string, body: string, extra: Partial<StoredMessage> = {}): string => {
      const id = toHex(randomMessageId());
      const m = { id, peer, direction: 'out', body, ts: 42, relayTs: null, receivedAt: 42, state: 'delivered' };
      store.messages.add({ ...(m as StoredMessage), ...extra });
      return id;
    };
    const text = out('bob', 'plain');
    const reply = out('bob', 'an answer', { replyTo: 'ab'.repeat(16) });
    const edited = out('bob', 'edited text');
    store.history.addVersion(edited, 0, 'first text', 42, 42);
    const deleted = out('bob', 'gone');
    store.history.markDeleted(store.history.byId(deleted)!);
    const toCarol = out('carol', 'not for bob');
    const incoming = out('bob', 'from bob', { direction: 'in', state: 'unread' });
    // Refused by the relay for good (MAILBOX_FULL, …): bob was never sent it, though a relay knows its id and can make
    // bob ask for it (a forged envelope under that id fails for want of a session).
    const failed = out('bob', 'never delivered', { state: 'failed' });
    const queued = out('bob', 'still queued');
    store.outbox.enqueue({ id: queued, peer: 'bob', kind: MessageKind.text, body: new Uint8Array(0), ts: 42 });

    const events: RecoveryEvent[] = [];
    const [[kind, handler]] = recoveryHandlers({
      store,
      emit: (_e, ...a) => events.push(a[0] as RecoveryEvent) > 0,
      kickOutbox: () => {},
    }) as [[number, NonNullable<ReturnType<typeof recoveryHandlers>[0]>[1]]];
    expect(kind).toBe(MessageKind.resendRequest);
    const ask = (ids: string[], signature = new Uint8Array(0)): void => {
      const later: (() => void)[] = [];
      const body = Uint8Array.from(Buffer.concat(ids.map((id) => fromHex(id))));
      const opened = {
        kind,
        from: 'bob',
        to: 'me',
        id: randomMessageId(),
        ts: 1,
        body,
        signature,
        signedMessage: body,
      };
      handler({ id: 'x', relayTs: 1, opened, later: (f) => later.push(f), emit: () => true });
      for (const f of later) f();
    };
    const all = [text, reply, edited, deleted, toCarol, incoming, failed, queued, toHex(randomMessageId())];
    ask(all, new Uint8Array(64)); // a v1 envelope (signed): ignored
    expect(events).toEqual([]);
    ask(all);
    expect(events).toEqual([{ type: 'recovery', action: 'resent', peer: 'bob', ids: [text, reply, edited] }]);
    const resent = store.outbox.list().filter((e) => e.id !== queued);
    expect(resent.map((e) => [e.id, e.peer, e.kind, e.ts])).toEqual([
      [text, 'bob', MessageKind.text, 42],
      [reply, 'bob', MessageKind.reply, 42],
      [edited, 'bob', MessageKind.text, 42],
    ]);
    expect(fromUtf8(resent[1]!.body.subarray(16))).toBe('an answer');
    expect(toHex(resent[1]!.body.subarray(0, 16))).toBe('ab'.repeat(16));
    expect(fromUtf8(resent[2]!.body)).toBe('first text');
    // Sent and asked again: never twice.
    for (const e of resent) store.outbox.remove(e.id);
    ask(all);
    expect(events).toHaveLength(1);
  });
});
