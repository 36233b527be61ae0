/**
 * `chat recv [--follow] [--json]`: prints each new message, acknowledging it only after it is committed to history
 * (§9). Exits after `synced`; with --follow keeps listening until SIGINT / SIGTERM.
 *
 * Exit code: 0, or 4 when a message was held because its sender's key changed (it stays on the relay).
 */
import { ExitCode } from '../engine/errors.js';
import { openMessenger } from './common.js';
import { formatMessageLine, sanitizeForTerminal } from './format.js';
import { printJson, warn, type Io } from './io.js';

export interface RecvArgs {
  follow?: boolean;
  json?: boolean;
}

export async function recv(args: RecvArgs, io: Io): Promise<number> {
  const messenger = await openMessenger(io);
  try {
    messenger.on('message', (m) => {
      if (args.json) printJson(io, { id: m.id, from: m.from, to: m.to, body: m.body, ts: m.ts, relayTs: m.relayTs });
      else io.stdout.write(`${formatMessageLine(m)}\n`);
    });
    // Warnings name ids, senders and codes, never bodies.
    messenger.on('held', (h) => {
      warn(io, `held message ${h.id} from ${h.from}: ${h.reason === 'KEY_CHANGED' ? 'key changed' : 'invalid key bundle from the relay'}`);
    });
    messenger.on('rejected', (r) => warn(io, `rejected message ${r.id}: ${r.code} (${sanitizeForTerminal(r.detail)})`));
    const options = io.signal ? { follow: args.follow === true, signal: io.signal } : { follow: args.follow === true };
    const summary = await messenger.receive(options);
    return summary.held > 0 && !args.follow ? ExitCode.KEY_CHANGED : ExitCode.OK;
  } finally {
    messenger.close();
  }
}
