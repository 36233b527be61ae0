/**
 * File offers and answers arriving in the mailbox (PROTOCOL.md §16.3). An offer is recorded (never downloaded: that
 * waits for the user's consent) and announced; an answer moves one of our own uploads to received / declined.
 */
import { MessageKind, decodeFileAnswer, decodeFileOffer, toHex } from '@chat/crypto';
import type { Self } from '../context.js';
import type { KindHandler } from '../receive/handlers.js';
import type { FileTransfer } from '../store/files.js';
import type { Store } from '../store/store.js';

export type { FileEvent, FileProgress } from '../events.js';

/** The handlers for the file kinds, for the receive table (receive/handlers.ts). The receiver acknowledges both. */
export function fileHandlers(
  m: Pick<Self, 'username'> & { readonly store: Pick<Store, 'files'> },
): [number, KindHandler][] {
  const offer: KindHandler = ({ opened, later, emit }) => {
    const o = decodeFileOffer(opened.body);
    const transfer: FileTransfer = {
      blob: toHex(o.blob),
      direction: 'in',
      peer: opened.from,
      name: o.name,
      size: o.size,
      type: o.type,
      sha256: Buffer.from(o.sha256),
      key: Buffer.from(o.key),
      state: 'offered',
      path: null,
      ts: opened.ts,
    };
    if (opened.from !== m.username && m.store.files.add(transfer))
      later(() => emit('file', { kind: 'offer', transfer }));
    return { outcome: 'applied' };
  };
  const answer: KindHandler = ({ opened, later, emit }) => {
    const a = decodeFileAnswer(opened.body);
    const t = m.store.files.get(toHex(a.blob));
    // Only the peer we offered it to can answer our offer.
    if (t && t.direction === 'out' && t.peer === opened.from && t.state !== a.outcome) {
      m.store.files.update(t.blob, { state: a.outcome });
      later(() => emit('file', { kind: 'answer', transfer: { ...t, state: a.outcome }, outcome: a.outcome }));
    }
    return { outcome: 'applied' };
  };
  return [
    [MessageKind.fileOffer, offer],
    [MessageKind.fileAnswer, answer],
  ];
}
