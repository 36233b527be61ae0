/** Envelope fixtures: participants, messages, and an independent encoder of PROTOCOL.md §4's `signed` layout. */
import { generateIdentity, MessageKind, randomMessageId, type Identity, type MessageFields } from '../src/index.js';

export interface Party extends Identity {
  username: string;
}

export function party(username: string): Party {
  return { username, ...generateIdentity() };
}

export function message(over: Partial<MessageFields> = {}): MessageFields {
  return {
    kind: MessageKind.text,
    from: 'alice',
    to: 'bob',
    id: randomMessageId(),
    ts: 1_700_000_000_000,
    body: new TextEncoder().encode('hello, bob'),
    ...over,
  };
}

/** `signed` of §4, written out by hand with no validation, so tests can build any (malformed) inner. */
export function rawSigned(f: {
  kind: number;
  from: Uint8Array | string;
  to: Uint8Array | string;
  id: Uint8Array;
  ts: bigint | number;
  body: Uint8Array;
  bodyLen?: number;
}): Uint8Array {
  const bytes = (x: Uint8Array | string): Uint8Array => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x);
  const from = bytes(f.from);
  const to = bytes(f.to);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(f.ts));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(f.bodyLen ?? f.body.length);
  return Buffer.concat([Buffer.of(f.kind, from.length), from, Buffer.of(to.length), to, f.id, ts, len, f.body]);
}

/** `"chat/v1/msg\0" ‖ pk ‖ signed`, written out by hand. */
export function rawSignedMessage(recipientEncryptionPublicKey: Uint8Array, signed: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from('chat/v1/msg\0', 'latin1'), recipientEncryptionPublicKey, signed]);
}
