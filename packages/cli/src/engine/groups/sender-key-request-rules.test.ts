/**
 * The sender's checks of a sender key request (PROTOCOL.md §25.9) fed the bad cases directly: a body that is not 32
 * bytes is ENVELOPE_MALFORMED, and a signed (v1) request is ignored, each against the control of a well-formed v2
 * request from a member about our current epoch, which marks the member as not given the key. The store is the
 * handler's narrow interface (groups, senderKeys) with one group in it: nothing else is needed to decide.
 */
import { SENDER_KEY_REQUEST_BYTES, SENDER_KEY_REQUEST_KIND, randomMessageId } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import type { Handled, KindHandler } from '../receive/handlers.js';
import { senderKeyRequestHandlers } from './sender-key-request.js';

const GID = 'ab'.repeat(16);
const EPOCH = Uint8Array.from({ length: 16 }, (_, k) => k + 1);

function world(): { forgotten: string[]; handle: (body: Uint8Array, signature?: Uint8Array) => Handled } {
  const forgotten: string[] = [];
  const store = {
    groups: {
      get: (gid: string) =>
        gid === GID ? { member: true, record: { members: [{ user: 'alice' }, { user: 'bob' }] } } : undefined,
    },
    senderKeys: {
      own: (gid: string) => (gid === GID ? { key: { epoch: EPOCH } } : undefined),
      forgetGiven: (gid: string, member: string) => void forgotten.push(`${gid}/${member}`),
    },
  };
  // The handler reads only these members of the two tables (its narrow interface).
  const m = { username: 'alice', store } as unknown as Parameters<typeof senderKeyRequestHandlers>[0];
  const [[kind, handler]] = senderKeyRequestHandlers(m) as [[number, KindHandler]];
  expect(kind).toBe(SENDER_KEY_REQUEST_KIND);
  const handle = (body: Uint8Array, signature: Uint8Array = new Uint8Array(0)): Handled =>
    handler({
      id: 'x',
      relayTs: 1,
      opened: { kind, from: 'bob', to: 'alice', id: randomMessageId(), ts: 1, body, signature, signedMessage: body },
      later: () => {},
      emit: () => true,
    });
  return { forgotten, handle };
}

const body = (extra = 0): Uint8Array => {
  const b = new Uint8Array(SENDER_KEY_REQUEST_BYTES + extra);
  b.set(Buffer.from(GID, 'hex'), 0);
  b.set(EPOCH, 16);
  return b;
};

describe('sender key request checks (§25.9)', () => {
  it('a body that is not 32 bytes is ENVELOPE_MALFORMED and changes nothing', () => {
    const w = world();
    expect(w.handle(body(1))).toMatchObject({ outcome: 'rejected', code: 'ENVELOPE_MALFORMED' });
    expect(w.handle(body().subarray(0, 31))).toMatchObject({ outcome: 'rejected', code: 'ENVELOPE_MALFORMED' });
    expect(w.forgotten).toEqual([]);
    expect(w.handle(body())).toEqual({ outcome: 'applied' }); // the control
    expect(w.forgotten).toEqual([`${GID}/bob`]);
  });

  it('a signed (v1) request is ignored', () => {
    const w = world();
    expect(w.handle(body(), new Uint8Array(64))).toEqual({ outcome: 'applied' });
    expect(w.forgotten).toEqual([]);
  });
});
