import { describe, expect, it } from 'vitest';
import { addressPrefixes } from '../address-key.js';
import { PrekeyBudget } from './budget.js';

const limits = {
  prekeyTakesPerHour: 60,
  prekeyTakesBurst: 2,
  prekeyTakesPerIpPerHour: 120,
  prekeyTakesPerIpBurst: 3,
  prekeyUploadsPerHour: 3_600,
  prekeyUploadsBurst: 300,
};
const here = addressPrefixes('192.0.2.1');
const there = addressPrefixes('192.0.2.2');

describe('PrekeyBudget (PROTOCOL.md §23.6)', () => {
  it('gives an account its burst, then one take a minute', () => {
    const b = new PrekeyBudget(limits);
    expect([0, 1, 2].map(() => b.take('eve', here, 0))).toEqual([true, true, false]);
    expect(b.take('eve', there, 59_000)).toBe(false);
    expect(b.take('eve', there, 60_000)).toBe(true);
  });

  it('gives an address its burst whatever accounts ask, and a refusal charges neither bucket', () => {
    const b = new PrekeyBudget(limits);
    expect(['a', 'b', 'c', 'd'].map((u) => b.take(u, here, 0))).toEqual([true, true, true, false]);
    // d's account was refunded when its address said no: from elsewhere it still has its whole burst.
    expect([0, 1, 2].map(() => b.take('d', there, 0))).toEqual([true, true, false]);
  });

  it('charges uploads per entry: a batch over what is left waits, one over the burst never fits', () => {
    const b = new PrekeyBudget(limits);
    expect(b.takeUploads('bob', 200, 0)).toBe(0);
    expect(b.takeUploads('bob', 0, 0)).toBe(0);
    expect(b.takeUploads('bob', 150, 0)).toBe(50_000); // 50 more tokens at one a second
    expect(b.takeUploads('bob', 100, 0)).toBe(0); // the refusal charged nothing
    expect(b.takeUploads('bob', 301, 0)).toBe(Infinity);
    expect(b.takeUploads('eve', 300, 0)).toBe(0);
  });
});
