/**
 * One JSON text on one line, for `--json` output and the daemon's socket: `JSON.stringify`, with U+0085, U+2028 and
 * U+2029 escaped too. JSON allows them raw inside strings, but line splitters that take them for line ends (Python's
 * `str.splitlines`, some editors and log tools) would cut a message there, and a body from another user may hold them
 * (hunt1). They only ever occur inside strings, where `\uXXXX` reads back as the same character.
 */
const LINE_BREAKS = /[\u0085\u2028\u2029]/g;

export function jsonLine(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return `${text.replace(LINE_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
