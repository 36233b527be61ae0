/** Receiving 1:1 text messages, replies (§17) and receipts (§4 step 7, §4.1): the handlers the Messenger registers for those kinds. */
import { MessageKind, fromUtf8, parseMessageAction, toHex } from '@chat/crypto';
import { type ReleaseContext, releaseHeldActions } from './actions/held.js';
import type { Self } from './context.js';
import type { ReceivedMessage } from './events.js';
import type { KindHandler } from './receive/handlers.js';
import type { Store } from './store/store.js';

export function messageHandlers(
  ctx: Pick<Self, 'username'> & ReleaseContext & { store: Pick<Store, 'messages' | 'outbox'> },
): [number, KindHandler][] {
  const text: KindHandler = ({ id, relayTs, opened, later, emit }) => {
    // §4 step 7: INSERT OR IGNORE on the id; a redelivery is acknowledged again but not shown.
    // A reply (§17.1) is a text that names the message it answers.
    const reply = opened.kind === MessageKind.reply ? parseMessageAction(opened.kind, opened.body) : undefined;
    const body = reply ? (reply.text ?? '') : fromUtf8(opened.body);
    const replyTo = reply ? toHex(reply.target) : undefined;
    const fromSelf = opened.from === ctx.username;
    const receivedAt = Date.now();
    const isNew = ctx.store.messages.add({
      id,
      peer: opened.from,
      direction: 'in',
      body,
      ts: opened.ts,
      relayTs,
      receivedAt,
      state: fromSelf ? 'read' : 'unread',
      replyTo: replyTo ?? null,
    });
    if (!isNew) return { outcome: 'duplicate' };
    // §17.6: edits, deletes and reactions that came before it apply now, in this transaction; a delete among them
    // means it is never shown. It was delivered all the same: the receipt goes back.
    const held = releaseHeldActions(ctx, opened.from, id, id, emit, receivedAt);
    const message: ReceivedMessage = { id, from: opened.from, to: opened.to, body, ts: opened.ts, relayTs, receivedAt };
    if (replyTo !== undefined) message.replyTo = replyTo;
    if (!held.deleted) later(() => emit('message', message));
    for (const e of held.events) later(e);
    return { outcome: 'new', receipt: true };
  };
  /** §4.1: moves our own messages to the receipt's sender forward to delivered / read; other ids are ignored. */
  const receipt: KindHandler = ({ opened, later, emit }) => {
    const state = opened.kind === MessageKind.read ? 'read' : 'delivered';
    for (let at = 0; at < opened.body.length; at += 16) {
      const msgId = toHex(opened.body.subarray(at, at + 16));
      if (ctx.store.outbox.advance(msgId, opened.from, state))
        later(() => emit('delivery', { id: msgId, peer: opened.from, state }));
    }
    return { outcome: 'applied' };
  };
  return [
    [MessageKind.text, text],
    [MessageKind.reply, text],
    [MessageKind.delivered, receipt],
    [MessageKind.read, receipt],
  ];
}
