import { describe, expect, it } from 'vitest';
import { generateIdentity, MessageKind, openEnvelope, randomMessageId, sealEnvelope, toHex } from './index.js';
import {
  MAX_REACTION_BYTES,
  encodeMessageAction,
  groupMessageRef,
  messageActionProblem,
  parseMessageAction,
} from './message-action.js';
import { isCryptoError } from './errors.js';

const target = Uint8Array.from({ length: 16 }, (_, i) => i);
const gid = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCryptoError(e) ? e.code : (e as Error).name;
  }
  return undefined;
}

describe('message action bodies (§17.1)', () => {
  it('print the exact bytes of §17.1', () => {
    expect(toHex(encodeMessageAction(MessageKind.delete, { op: 'delete', target }))).toBe(toHex(target));
    expect(toHex(encodeMessageAction(MessageKind.edit, { op: 'edit', target, seq: 2, text: 'hi' }))).toBe(
      `${toHex(target)}000000026869`,
    );
    expect(toHex(encodeMessageAction(MessageKind.groupReaction, { op: 'reaction', gid, target, emoji: '👍' }))).toBe(
      `${toHex(gid)}${toHex(target)}f09f918d`,
    );
  });

  it('round-trip every kind, also inside a sealed and signed envelope', () => {
    const cases = [
      [MessageKind.reply, { op: 'reply', target, text: 'yes, see above' }],
      [MessageKind.edit, { op: 'edit', target, seq: 7, text: 'fixed typo' }],
      [MessageKind.delete, { op: 'delete', target }],
      [MessageKind.reaction, { op: 'reaction', target, emoji: '👩‍💻' }],
      [MessageKind.reaction, { op: 'reaction', target, emoji: '' }],
      [MessageKind.groupReply, { op: 'reply', gid, target, text: '' }],
      [MessageKind.groupEdit, { op: 'edit', gid, target, seq: 1, text: 'é' }],
      [MessageKind.groupDelete, { op: 'delete', gid, target }],
      [MessageKind.groupReaction, { op: 'reaction', gid, target, emoji: '🎉' }],
    ] as const;
    const alice = generateIdentity();
    const bob = generateIdentity();
    for (const [kind, a] of cases) {
      const body = encodeMessageAction(kind, a);
      expect(parseMessageAction(kind, body)).toEqual(a);
      const id = randomMessageId();
      const env = sealEnvelope(
        { kind, from: 'alice', to: 'bob', id, ts: 1, body },
        alice.identity.secretKey,
        bob.encryption.publicKey,
      );
      const opened = openEnvelope(env, { username: 'bob', encryption: bob.encryption }, id);
      expect(parseMessageAction(opened.kind, opened.body)).toEqual(a);
    }
  });

  it('refuse malformed bodies with ENVELOPE_MALFORMED', () => {
    const bad: [number, Uint8Array][] = [
      [MessageKind.delete, target.subarray(0, 15)],
      [MessageKind.delete, Uint8Array.of(...target, 0)],
      [MessageKind.edit, Uint8Array.of(...target, 0, 0)],
      [MessageKind.edit, Uint8Array.of(...target, 0, 0, 0, 0, 0x61)], // seq 0
      [MessageKind.reply, Uint8Array.of(...target, 0xff)],
      [MessageKind.reaction, Uint8Array.of(...target, 0x0a)],
      [MessageKind.reaction, Uint8Array.of(...target, ...new Uint8Array(MAX_REACTION_BYTES + 1).fill(0x61))],
      [MessageKind.groupDelete, target],
    ];
    for (const [kind, body] of bad) {
      expect(messageActionProblem(kind, body)).toBeTypeOf('string');
      expect(code(() => parseMessageAction(kind, body))).toBe('ENVELOPE_MALFORMED');
    }
    expect(code(() => encodeMessageAction(MessageKind.reaction, { op: 'reaction', target, emoji: 'a\u202eb' }))).toBe(
      'RangeError',
    );
  });

  it('give every member the same group message reference, and a different one for any other field', () => {
    const body = Uint8Array.of(...gid, 0x68, 0x69);
    const ref = groupMessageRef(MessageKind.groupText, 'alice', 1000, body);
    expect(ref).toHaveLength(16);
    expect(groupMessageRef(MessageKind.groupText, 'alice', 1000, body)).toEqual(ref);
    expect(groupMessageRef(MessageKind.groupText, 'alicf', 1000, body)).not.toEqual(ref);
    expect(groupMessageRef(MessageKind.groupText, 'alice', 1001, body)).not.toEqual(ref);
    expect(groupMessageRef(MessageKind.groupReply, 'alice', 1000, body)).not.toEqual(ref);
  });
});
