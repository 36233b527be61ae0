import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateIdentity, MessageKind, openEnvelope, randomMessageId, sealEnvelope } from './index.js';
import { decodeFileAnswer, decodeFileOffer, encodeFileAnswer, encodeFileOffer, type FileOffer } from './file-offer.js';
import { isCryptoError } from './errors.js';

const offer = (o: Partial<FileOffer> = {}): FileOffer => ({
  blob: randomBytes(16),
  size: 2 ** 40 + 3,
  key: randomBytes(32),
  sha256: randomBytes(32),
  name: '../../etc/pässwd\u0007',
  type: 'text/plain',
  ...o,
});

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCryptoError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('file offer and answer bodies (§16.3)', () => {
  it('round-trip, also inside a sealed and signed envelope', () => {
    const o = offer();
    const back = decodeFileOffer(encodeFileOffer(o));
    expect(back).toEqual({ ...o, blob: Buffer.from(o.blob), key: Buffer.from(o.key), sha256: Buffer.from(o.sha256) });
    const alice = generateIdentity();
    const bob = generateIdentity();
    const id = randomMessageId();
    const env = sealEnvelope(
      { kind: MessageKind.fileOffer, from: 'alice', to: 'bob', id, ts: 1, body: encodeFileOffer(o) },
      alice.identity.secretKey,
      bob.encryption.publicKey,
    );
    const opened = openEnvelope(env, { username: 'bob', encryption: bob.encryption }, id);
    expect(opened.kind).toBe(MessageKind.fileOffer);
    expect(decodeFileOffer(opened.body).name).toBe(o.name);
    const a = decodeFileAnswer(encodeFileAnswer({ blob: o.blob, outcome: 'declined' }));
    expect(a.outcome).toBe('declined');
  });

  it('reject malformed bodies with ENVELOPE_MALFORMED', () => {
    const good = Buffer.from(encodeFileOffer(offer({ name: 'a', type: 'x/y' })));
    expect(code(() => decodeFileOffer(good.subarray(0, good.length - 1)))).toBe('ENVELOPE_MALFORMED');
    expect(code(() => decodeFileOffer(Buffer.concat([good, Buffer.of(0)])))).toBe('ENVELOPE_MALFORMED');
    const noName = Buffer.from(good);
    noName[88] = 0;
    expect(code(() => decodeFileOffer(noName))).toBe('ENVELOPE_MALFORMED');
    const badUtf8 = Buffer.from(good);
    badUtf8[89] = 0xff;
    expect(code(() => decodeFileOffer(badUtf8))).toBe('ENVELOPE_MALFORMED');
    const hugeSize = Buffer.from(good);
    hugeSize.writeBigUInt64BE(2n ** 60n, 16);
    expect(code(() => decodeFileOffer(hugeSize))).toBe('ENVELOPE_MALFORMED');
    expect(code(() => decodeFileAnswer(Buffer.alloc(17)))).toBe('ENVELOPE_MALFORMED');
    expect(code(() => decodeFileAnswer(Buffer.alloc(16)))).toBe('ENVELOPE_MALFORMED');
    expect(() => encodeFileOffer(offer({ name: '' }))).toThrow(RangeError);
    expect(() => encodeFileOffer(offer({ type: 'a\nb' }))).toThrow(RangeError);
  });
});
