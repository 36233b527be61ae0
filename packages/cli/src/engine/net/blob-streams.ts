/**
 * `blob_get` answers (PROTOCOL.md §16.4): a stream of `blob_data` frames under one rid, handed to a callback in
 * order. A stream ends after its last chunk, on an `err` for its rid, when the connection fails, or when no chunk
 * arrived for `idleMs`.
 */
import type { BlobDataFrame } from '@chat/protocol';
import { ChatError } from '../errors.js';

interface Stream {
  next: number;
  last: number;
  onChunk: (n: number, data: Uint8Array) => void;
  resolve: () => void;
  reject: (err: ChatError) => void;
  timer: NodeJS.Timeout;
}

export class BlobStreams {
  private readonly streams = new Map<number, Stream>();

  constructor(private readonly idleMs: number) {}

  /** Registers a stream of chunks `from` … `last` for `rid`; resolves after `last`. */
  open(rid: number, from: number, last: number, onChunk: (n: number, data: Uint8Array) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const s: Stream = { next: from, last, onChunk, resolve, reject, timer: setTimeout(() => {}, 0) };
      this.streams.set(rid, s);
      this.arm(rid, s);
    });
  }

  private arm(rid: number, s: Stream): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(
      () =>
        this.reject(
          rid,
          new ChatError('TIMEOUT', `the relay sent no file data for ${Math.round(this.idleMs / 1000)} s`),
        ),
      this.idleMs,
    );
  }

  has(rid: number): boolean {
    return this.streams.has(rid);
  }

  /** Hands a chunk on; false if no stream waits for it (the caller treats that as a protocol error). */
  data(frame: BlobDataFrame): boolean {
    const s = this.streams.get(frame.rid);
    if (!s || frame.n !== s.next) return false;
    try {
      s.onChunk(frame.n, frame.data);
    } catch (err) {
      this.reject(frame.rid, err instanceof ChatError ? err : new ChatError('UNEXPECTED', String(err), { cause: err }));
      return true;
    }
    s.next++;
    if (frame.n === s.last) {
      clearTimeout(s.timer);
      this.streams.delete(frame.rid);
      s.resolve();
    } else {
      this.arm(frame.rid, s);
    }
    return true;
  }

  reject(rid: number, err: ChatError): boolean {
    const s = this.streams.get(rid);
    if (!s) return false;
    clearTimeout(s.timer);
    this.streams.delete(rid);
    s.reject(err);
    return true;
  }

  failAll(err: ChatError): void {
    for (const rid of [...this.streams.keys()]) this.reject(rid, err);
  }
}
