import { describe, expect, it } from 'vitest';
import { WAKE_PAYLOAD_MAX, wakeChannel, wakePayloads, wokenBy } from './postgres-listen.js';

describe('wake payloads (issue 17)', () => {
  it('carry every name once, each payload under the limit, and are ignored by the relay that sent them', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `user_${String(i).padStart(4, '0')}_${'x'.repeat(20)}`);
    const payloads = wakePayloads('n1', names);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(WAKE_PAYLOAD_MAX);
    expect(payloads.flatMap((p) => wokenBy(p, 'n2'))).toEqual(names);
    expect(payloads.flatMap((p) => wokenBy(p, 'n1'))).toEqual([]);
    expect(wokenBy('not json', 'n2')).toEqual([]);
    expect(wokenBy('{"n":"x","w":[1,"bob"]}', 'n2')).toEqual(['bob']);
  });

  it('names one channel per schema, a valid identifier', () => {
    expect(wakeChannel('public', 'n').channel).toMatch(/^chat_relay_[0-9a-f]{16}$/);
    expect(wakeChannel('t1', 'n').channel).not.toBe(wakeChannel('t2', 'n').channel);
  });
});
