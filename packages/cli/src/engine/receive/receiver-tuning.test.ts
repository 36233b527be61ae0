import { describe, expect, it } from 'vitest';
import { UNSEAL_MIN_CORES, unsealPoolFits } from './receiver.js';

describe('when a long v2 backlog starts the unseal pool', () => {
  it('starts it on a machine of UNSEAL_MIN_CORES cores or more whatever the load (secondCoreUsable gates that)', () => {
    expect(UNSEAL_MIN_CORES).toBe(4);
    expect(unsealPoolFits(4, 0)).toBe(true);
    expect(unsealPoolFits(8, 7.9)).toBe(true);
  });

  it('on two or three cores, only while the load average is below the core count', () => {
    expect(unsealPoolFits(2, 0)).toBe(true);
    expect(unsealPoolFits(2, 1.99)).toBe(true);
    expect(unsealPoolFits(2, 2)).toBe(false);
    expect(unsealPoolFits(2, 3)).toBe(false); // a busy machine: the pool loses, measured
    expect(unsealPoolFits(3, 2.99)).toBe(true);
    expect(unsealPoolFits(3, 3)).toBe(false);
  });

  it('never on one core', () => {
    expect(unsealPoolFits(1, 0)).toBe(false);
  });

  it('where the load is unknown (Windows) or not a number, only from UNSEAL_MIN_CORES cores', () => {
    expect(unsealPoolFits(2, undefined)).toBe(false);
    expect(unsealPoolFits(3, undefined)).toBe(false);
    expect(unsealPoolFits(4, undefined)).toBe(true);
    expect(unsealPoolFits(2, Number.NaN)).toBe(false);
  });
});
