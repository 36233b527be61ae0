import { describe, expect, it } from 'vitest';
import { jsonLine } from './json-line.js';

describe('jsonLine', () => {
  it('escapes every character a line splitter may take for a line end, and reads back the same value', () => {
    const value = { body: 'a\u2028b\u2029c\u0085d\ne\rf\u000bg\u000ch\u001ci', list: ['\u2028'] };
    const line = jsonLine(value);
    expect(line.endsWith('\n')).toBe(true);
    const text = line.slice(0, -1);
    // What Python's str.splitlines() splits on: \n \r \v \f \x1c-\x1e \x85 \u2028 \u2029.
    expect(text).not.toMatch(/[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/);
    expect(text).toContain('\\u2028');
    expect(text).toContain('\\u0085');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('is JSON.stringify for everything else, one line', () => {
    for (const v of [1, 'plain', null, [1, 'two'], { ok: true, n: 'Å東京🎉' }])
      expect(jsonLine(v)).toBe(`${JSON.stringify(v)}\n`);
    expect(jsonLine(undefined)).toBe('null\n');
  });
});
