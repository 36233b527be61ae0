import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REDACTED_FIELDS, jsonLogger } from './log.js';

function capture(level?: 'info' | 'warn' | 'error') {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  return {
    log: jsonLogger(stream, level),
    lines: () =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('jsonLogger (pino)', () => {
  it('writes one JSON object per event with level, ISO time and the event fields', async () => {
    const c = capture();
    c.log({ event: 'auth', conn: 3, user: 'alice', mode: 'recv' });
    c.log({ event: 'internal_error', conn: 3, error: 'boom' });
    await new Promise((r) => setImmediate(r));
    const [a, b] = c.lines();
    expect(a).toMatchObject({ level: 'info', event: 'auth', conn: 3, user: 'alice', mode: 'recv' });
    expect(String(a!.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(b).toMatchObject({ level: 'error', event: 'internal_error' });
  });

  it('removes content and secret fields even if an event carries them by mistake', async () => {
    const c = capture();
    const event: Record<string, string> = { event: 'oops' };
    for (const f of REDACTED_FIELDS) event[f] = `secret-${f}`;
    c.log(event as { event: string });
    await new Promise((r) => setImmediate(r));
    expect(c.lines()).toEqual([expect.objectContaining({ event: 'oops' })]);
    expect(JSON.stringify(c.lines())).not.toContain('secret-');
  });

  it('honours the level', async () => {
    const c = capture('warn');
    c.log({ event: 'auth' });
    c.log({ event: 'refused', code: 'BAD_FRAME' });
    await new Promise((r) => setImmediate(r));
    expect(c.lines().map((l) => l.event)).toEqual(['refused']);
  });
});
