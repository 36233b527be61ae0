/**
 * File offers and answers arriving in the mailbox (PROTOCOL.md §16.3). An offer is recorded (never downloaded: that
 * waits for the user's consent) and announced; an answer moves one of our own uploads to received / declined.
 */
import { MessageKind, decodeFileAnswer, decodeFileOffer, toHex, type OpenedEnvelope } from '@chat/crypto';
import type { Messenger } from '../messenger.js';
import type { FileTransfer } from '../store/files.js';

export type FileEvent =
  | { kind: 'offer'; transfer: FileTransfer }
  | { kind: 'answer'; transfer: FileTransfer; outcome: 'received' | 'declined' }
  | { kind: 'progress'; progress: FileProgress };

/** Progress of one upload or download, for bars and `--json` events. */
export interface FileProgress {
  direction: 'up' | 'down';
  blob: string;
  name: string;
  done: number;
  total: number;
  startedAt: number;
}

/**
 * True if `opened` was a file envelope (handled here); the receiver acknowledges it either way. `emit` receives the
 * resulting event; the receiver passes one that waits until the store transaction has committed.
 */
export function handleFileEnvelope(m: Messenger, opened: OpenedEnvelope, emit: (event: FileEvent) => void = (e) => m.emit('file', e)): boolean {
  if (opened.kind === MessageKind.fileOffer) {
    const o = decodeFileOffer(opened.body);
    const transfer: FileTransfer = {
      blob: toHex(o.blob), direction: 'in', peer: opened.from, name: o.name, size: o.size, type: o.type,
      sha256: Buffer.from(o.sha256), key: Buffer.from(o.key), state: 'offered', path: null, ts: opened.ts,
    };
    if (opened.from !== m.username && m.store.files.add(transfer)) emit({ kind: 'offer', transfer });
    return true;
  }
  if (opened.kind === MessageKind.fileAnswer) {
    const a = decodeFileAnswer(opened.body);
    const t = m.store.files.get(toHex(a.blob));
    // Only the peer we offered it to can answer our offer.
    if (t && t.direction === 'out' && t.peer === opened.from && t.state !== a.outcome) {
      m.store.files.update(t.blob, { state: a.outcome });
      emit({ kind: 'answer', transfer: { ...t, state: a.outcome }, outcome: a.outcome });
    }
    return true;
  }
  return false;
}
