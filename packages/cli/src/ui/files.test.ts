import { describe, expect, it } from 'vitest';
import { progressLine } from './files.js';

describe('progressLine', () => {
  it('shows direction, name, bar, percent, MiB, rate and ETA', () => {
    const p = {
      direction: 'up' as const,
      blob: 'ab',
      name: 'x.bin',
      done: 5 * 2 ** 20,
      total: 10 * 2 ** 20,
      startedAt: 0,
    };
    expect(progressLine(p, 1000)).toBe(`↑ x.bin ${'█'.repeat(10)}${'░'.repeat(10)} 50% 5.0/10.0 MiB 5.0 MiB/s ETA 1s`);
  });
  it('never prints control characters from a hostile name', () => {
    const p = { direction: 'down' as const, blob: 'ab', name: 'a\u001b[2Jb', done: 0, total: 0, startedAt: 0 };
    expect(progressLine(p, 1)).not.toMatch(/\u001b/);
  });
});
