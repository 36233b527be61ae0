/**
 * Answers the blob frames of PROTOCOL.md §16.4 for one authenticated session. Refusals are non-fatal `err` frames
 * with the request's `rid`; `blob_get` streams `blob_data` under TCP back-pressure.
 */
import { isValidUsername } from '@chat/crypto';
import {
  ProtocolError,
  errFrame,
  type BlobDoneFrame,
  type BlobGetFrame,
  type BlobNewFrame,
  type BlobPutFrame,
  type RelayFrame,
} from '@chat/protocol';
import type { RelayContext } from '../context.js';
import type { Blobs } from './rules.js';

export type BlobFrame = BlobNewFrame | BlobPutFrame | BlobGetFrame | BlobDoneFrame;

/** What the handler needs of the session it answers on. */
export interface BlobOutput {
  write(frame: RelayFrame): boolean;
  drained(): Promise<void>;
  alive(): boolean;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export async function answerBlobFrame(
  ctx: RelayContext,
  blobs: Blobs,
  user: string,
  f: BlobFrame,
  out: BlobOutput,
): Promise<void> {
  try {
    switch (f.t) {
      case 'blob_new': {
        if (!isValidUsername(f.to) || !(await ctx.store.hasUser(f.to))) {
          throw new ProtocolError('UNKNOWN_USER', `no user ${JSON.stringify(f.to)} on this relay`);
        }
        const have = await blobs.create(user, hex(f.bid), f.to, f.size, f.chunks, ctx.now());
        out.write({ t: 'blob_ok', rid: f.rid, bid: f.bid, have });
        return;
      }
      case 'blob_put':
        out.write({
          t: 'blob_ok',
          rid: f.rid,
          bid: f.bid,
          have: await blobs.put(user, hex(f.bid), f.n, f.data, ctx.now()),
        });
        return;
      case 'blob_get':
        await streamBlob(blobs, user, f, out);
        return;
      case 'blob_done': {
        const m = await blobs.forRecipient(user, hex(f.bid), true);
        await blobs.delete(m.bid);
        ctx.log({ event: 'blob_done', user, outcome: f.outcome });
        out.write({ t: 'blob_ok', rid: f.rid, bid: f.bid, have: 0 });
        return;
      }
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) {
      ctx.log({ event: 'blob_error', user, error: (err as Error).message });
      out.write(errFrame('INTERNAL', 'the relay could not handle the file; retry', f.rid));
      return;
    }
    out.write(errFrame(err.code, err.message, f.rid));
  }
}

async function streamBlob(blobs: Blobs, user: string, f: BlobGetFrame, out: BlobOutput): Promise<void> {
  const m = await blobs.forRecipient(user, hex(f.bid));
  if (m.completedAt === undefined)
    throw new ProtocolError('BLOB_INCOMPLETE', `the upload is not finished (${m.have} of ${m.chunks} chunks)`);
  if (f.from >= m.chunks) throw new ProtocolError('BAD_BLOB', `the file has ${m.chunks} chunks`);
  for (let n = f.from; n < m.chunks; n++) {
    if (!out.alive() || !(await blobs.has(m.bid))) return;
    // Each chunk opens and closes the file: a reader that stops reading holds a socket, not a descriptor as well.
    if (!out.write({ t: 'blob_data', rid: f.rid, bid: f.bid, n, data: await blobs.readChunk(m, n) }))
      await out.drained();
  }
}
