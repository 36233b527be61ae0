/**
 * `chat recv [--follow] [--json]`: prints each new message, acknowledging it only after it is committed to history
 * (§9). Exits after `synced`; with --follow keeps listening until SIGINT / SIGTERM.
 *
 * Exit code: 0, or 4 when a message was held because its sender's key changed (it stays on the relay).
 */
import { ExitCode } from '../engine/errors.js';
import { openMessenger } from './common.js';
import { printFileEvent } from './files.js';
import { inertLine, inertText } from '../terminal-text.js';
import { fitLine, formatLocalTime, formatMessageLine, outputWidth } from './format.js';
import { hint, printJson, warn, type Io } from './io.js';

const HELD_REASON = {
  KEY_CHANGED: 'key changed',
  UNTRUSTED_IDENTITY: 'key not trusted yet',
  BUNDLE_INVALID: 'invalid key bundle from the relay',
} as const;

export interface RecvArgs {
  follow?: boolean;
  json?: boolean;
}

export async function recv(args: RecvArgs, io: Io): Promise<number> {
  const messenger = await openMessenger(io, { connectEarly: 'recv' });
  try {
    messenger.on('message', (m) => {
      if (args.json)
        printJson(io, {
          id: m.id,
          from: m.from,
          to: m.to,
          body: m.body,
          ts: m.ts,
          relayTs: m.relayTs,
          receivedAt: m.receivedAt,
        });
      else io.stdout.write(`${formatMessageLine(m, outputWidth(io.stdout))}\n`);
    });
    // Group and room messages (§15): `[time] #group alice: text`; membership changes as `[time] #group * alice added carol`.
    messenger.on('groupMessage', (g) => {
      if (args.json)
        printJson(io, {
          id: g.id,
          kind: g.kind,
          conv: g.conv,
          group: g.gid,
          from: g.from,
          body: g.body,
          ts: g.ts,
          relayTs: g.relayTs,
          receivedAt: g.receivedAt,
          ...(g.competing ? { competing: true } : {}),
        });
      else if (g.kind === 'invite') {
        io.stdout.write(
          `${fitLine(`[${formatLocalTime(g.receivedAt)}] ${inertLine(g.conv)} * ${inertLine(g.body)}`, outputWidth(io.stdout))}\n`,
        );
        const id = g.gid?.slice(0, 8);
        hint(
          io,
          g.competing
            ? `chat group accept ${id} --from ${g.from} to take this version instead, or chat group decline ${id} --from ${g.from}`
            : `chat group accept ${id} to join the conversation, or chat group decline ${id}`,
        );
      } else if (g.kind === 'event')
        io.stdout.write(
          `${fitLine(`[${formatLocalTime(g.receivedAt)}] ${inertLine(g.conv)} * ${inertText(g.body)}`, outputWidth(io.stdout))}\n`,
        );
      else
        io.stdout.write(
          `${formatMessageLine({ receivedAt: g.receivedAt, ts: g.ts, from: `${g.conv} ${g.from}`, body: g.body }, outputWidth(io.stdout))}\n`,
        );
    });
    // Warnings name ids, senders and codes, never bodies.
    messenger.on('held', (h) => {
      warn(io, `held message ${h.id} from ${h.from}: ${HELD_REASON[h.reason]}`);
    });
    let heldHint = false;
    messenger.on('held', (h) => {
      if (heldHint || h.reason === 'BUNDLE_INVALID') return;
      heldHint = true;
      hint(
        io,
        `it stays on the relay; compare safety numbers (chat verify ${h.from}), accept the key with chat trust ${h.from}, then chat recv again`,
      );
    });
    messenger.on('keyChanged', (c) => {
      if (c.accepted)
        warn(
          io,
          `${c.username}'s key changed from ${c.previous} to ${c.current}; accepted (trust-new-identities always)`,
        );
    });
    messenger.on('file', (e) => printFileEvent(io, e, args.json === true));
    messenger.on('rejected', (r) => warn(io, `rejected message ${r.id}: ${r.code} (${inertLine(r.detail)})`));
    const options = io.signal ? { follow: args.follow === true, signal: io.signal } : { follow: args.follow === true };
    const summary = await messenger.receive(options);
    return summary.held > 0 && !args.follow ? ExitCode.KEY_CHANGED : ExitCode.OK;
  } finally {
    messenger.close();
  }
}
