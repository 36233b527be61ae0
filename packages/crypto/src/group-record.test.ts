/** Group state records (PROTOCOL.md §15.3): round trip, and every malformed case refused with ENVELOPE_MALFORMED. */
import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors.js';
import { encodeGroupRecord, groupBodyProblem, parseGroupRecord, type GroupRecord } from './group-record.js';

const gid = new Uint8Array(16).fill(7);
const base: GroupRecord = {
  gid,
  version: 3,
  op: 'add',
  subject: 'carol',
  name: 'team ✓',
  members: [
    { user: 'alice', admin: true },
    { user: 'bob', admin: false },
    { user: 'carol', admin: false },
  ],
};

/** Hand-built record bytes, so that the parser sees what the encoder refuses to write. */
function raw(o: {
  version?: number;
  op?: number;
  subject?: string;
  name?: string;
  members?: [number, string][];
  trailing?: number[];
}): Uint8Array {
  const enc = new TextEncoder();
  const out: number[] = [...gid, 0, 0, 0, o.version ?? 1, o.op ?? 1];
  const s = enc.encode(o.subject ?? '');
  out.push(s.length, ...s);
  const n = enc.encode(o.name ?? 'g');
  out.push(n.length, ...n);
  const ms = o.members ?? [[1, 'alice']];
  out.push(ms.length >> 8, ms.length & 0xff);
  for (const [role, u] of ms) out.push(role, u.length, ...enc.encode(u));
  out.push(...(o.trailing ?? []));
  return Uint8Array.from(out);
}

describe('group state records', () => {
  it('round-trips, members sorted', () => {
    const bytes = encodeGroupRecord({ ...base, members: [...base.members].reverse() });
    expect(parseGroupRecord(bytes)).toEqual({ ...base, gid: Uint8Array.from(gid) });
    expect(groupBodyProblem(0x11, bytes)).toBeUndefined();
  });

  it.each([
    ['too short', raw({}).subarray(0, 20)],
    ['version 0', raw({ version: 0 })],
    ['unknown op 6', raw({ op: 6 })],
    ['op 0', raw({ op: 0 })],
    ['create with a subject', raw({ op: 1, subject: 'bob' })],
    ['add without a subject', raw({ op: 2 })],
    ['an invalid subject', raw({ op: 2, subject: 'B!' })],
    ['an empty name', raw({ name: '' })],
    ['a name of 65 bytes', raw({ name: 'n'.repeat(65) })],
    ['no members', raw({ members: [] })],
    [
      'members out of order',
      raw({
        members: [
          [1, 'bob'],
          [0, 'alice'],
        ],
      }),
    ],
    [
      'a duplicate member',
      raw({
        members: [
          [1, 'alice'],
          [0, 'alice'],
        ],
      }),
    ],
    ['an unknown role', raw({ members: [[2, 'alice']] })],
    ['an invalid member name', raw({ members: [[1, 'Al']] })],
    ['no admin', raw({ members: [[0, 'alice']] })],
    ['trailing bytes', raw({ trailing: [0] })],
    ['a member running past the end', raw({}).subarray(0, raw({}).length - 2)],
    // Names another member's terminal shows (§15.3): every control, bidi and invisible class.
    ['a name with ESC (OSC 52)', raw({ name: 'x\x1b]52;c;Y3VybA==\x07' })],
    ['a name with a newline', raw({ name: 'ops\n[10:00] alice: hi' })],
    ['a name with CR', raw({ name: 'a\rb' })],
    ['a name with NUL', raw({ name: 'a\x00' })],
    ['a name with DEL', raw({ name: 'a\x7f' })],
    ['a name with C1 CSI', raw({ name: 'a\u009b2J' })],
    ['a name with a bidi override', raw({ name: 'a\u202eb' })],
    ['a name with a bidi isolate', raw({ name: 'a\u2067b' })],
    ['a name with a bidi mark', raw({ name: 'a\u200fb' })],
    ['a name with a zero-width space', raw({ name: 'te\u200bam' })],
    ['a name with a zero-width joiner', raw({ name: 'te\u200dam' })],
    ['a name with a BOM', raw({ name: '\ufeffteam' })],
    ['a name with a line separator', raw({ name: 'a\u2028b' })],
    ['a name with a tag character', raw({ name: 'a\u{e0041}' })],
    ['a name with a Hangul filler', raw({ name: 'te\u3164am' })],
    ['a name with a combining grapheme joiner', raw({ name: 'te\u034fam' })],
    ['a name with a variation selector', raw({ name: 'team\ufe00' })],
    ['a name with a deprecated format character', raw({ name: 'a\u206ab' })],
    ['a name with an interlinear annotation', raw({ name: 'a\ufff9b' })],
    ['a name with musical formatting', raw({ name: 'a\u{1d173}b' })],
    ['a name with a braille blank', raw({ name: 'te\u2800am' })],
    ['a name with five combining marks on one letter', raw({ name: `Z${'\u0301'.repeat(5)}` })],
  ])('refuses %s', (_name, bytes) => {
    expect(() => parseGroupRecord(bytes)).toThrow(CryptoError);
    try {
      parseGroupRecord(bytes);
    } catch (err) {
      expect((err as CryptoError).code).toBe('ENVELOPE_MALFORMED');
    }
    expect(groupBodyProblem(0x11, bytes)).toEqual(expect.any(String));
  });

  it('keeps names in any script, with emoji and spaces', () => {
    for (const name of ['team ✓', 'café crème', '東京チーム', 'ops 🚀', 'دردشة']) {
      expect(parseGroupRecord(encodeGroupRecord({ ...base, name })).name).toBe(name);
    }
  });

  it('checks group and room text bodies', () => {
    expect(groupBodyProblem(0x10, new Uint8Array(15))).toMatch(/group id/);
    expect(groupBodyProblem(0x10, Uint8Array.from([...gid, 0xff]))).toMatch(/UTF-8/);
    expect(groupBodyProblem(0x10, gid)).toBeUndefined();
    expect(
      groupBodyProblem(0x12, Uint8Array.from([7, ...new TextEncoder().encode('general'), 0x68, 0x69])),
    ).toBeUndefined();
    expect(groupBodyProblem(0x12, Uint8Array.from([8, ...new TextEncoder().encode('general')]))).toMatch(/room/);
    expect(groupBodyProblem(0x12, Uint8Array.from([2, 0x41, 0x42]))).toMatch(/room name/);
    expect(groupBodyProblem(0x12, new Uint8Array(0))).toMatch(/room/);
  });
});

describe('group names with emoji', () => {
  it('keeps U+FE0F (emoji presentation) allowed, as names like "team ❤️" were before', () => {
    const gid = new Uint8Array(16);
    const bytes = encodeGroupRecord({
      gid,
      version: 1,
      op: 'create',
      subject: '',
      name: 'team \u2764\ufe0f',
      members: [{ user: 'alice', admin: true }],
    });
    expect(parseGroupRecord(bytes).name).toBe('team \u2764\ufe0f');
  });
});
