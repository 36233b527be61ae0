/**
 * The relay's structured log: one JSON object per line. Events carry names, codes and counts only — never an
 * envelope, a key, or anything a client sent as content (docs/SECURITY.md).
 */
export type LogEvent = { event: string } & Record<string, string | number | boolean | undefined>;
export type Logger = (event: LogEvent) => void;

export const silentLogger: Logger = () => {};

/** A logger writing JSON lines to a stream (stderr for the binary, so stdout stays for the `listening` line). */
export function jsonLogger(stream: NodeJS.WritableStream): Logger {
  return (event) => {
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  };
}
