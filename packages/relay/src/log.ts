/**
 * The relay's structured log: one JSON object per line, written by pino. Events carry names, codes, counts and
 * usernames only — never an envelope, a key, a signature, an invite code, or anything a client sent as content
 * (docs/SECURITY.md). As a second line of defence, fields with those names are removed by pino's redaction.
 */
import { pino, type Level } from 'pino';

export type LogEvent = { event: string } & Record<string, string | number | boolean | undefined>;
export type Logger = (event: LogEvent) => void;

export const silentLogger: Logger = () => {};

/** Field names that must never reach a log line, whatever an event carries by mistake. */
export const REDACTED_FIELDS = [
  'env',
  'envelope',
  'body',
  'sig',
  'bsig',
  'idpk',
  'encpk',
  'nonce',
  'invite',
  'code_hash',
  'secret',
  'passphrase',
];

/** Events logged above `info`; everything else is `info`. */
const LEVELS: Record<string, Level> = {
  internal_error: 'error',
  store_error: 'error',
  refused: 'warn',
};

/**
 * A logger writing JSON lines to `stream` (stderr for the binary, so stdout stays for the `listening` line), at
 * `level` and above: `{"level":"info","time":"…","event":"auth","conn":3,"user":"alice",…}`.
 */
export function jsonLogger(stream: NodeJS.WritableStream, level: 'info' | 'warn' | 'error' = 'info'): Logger {
  const log = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_FIELDS, remove: true },
    },
    stream,
  );
  return (event) => log[LEVELS[event.event] ?? 'info'](event);
}
