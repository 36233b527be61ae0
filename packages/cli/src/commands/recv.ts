/**
 * `chat recv [--follow] [--json]`: prints each new message, acknowledging it only after it is committed to history
 * (§9). Exits after `synced`; with --follow keeps listening until SIGINT / SIGTERM.
 *
 * Exit code: 0, or 4 when a message was held because its sender's key changed (it stays on the relay).
 * While `chat daemon` runs for the profile, it asks the daemon instead (recvFromDaemon below, docs/JSONRPC.md).
 */
import { quoteOf } from '../engine/actions/history.js';
import { ChatError, ExitCode } from '../engine/errors.js';
import { runExpirer } from '../engine/expire/expirer.js';
import { describeTimer } from '../engine/expire/timers.js';
import type { DaemonClient } from '../daemon/client.js';
import {
  directObject,
  groupObject,
  isActionObject,
  isGroupObject,
  isTimerObject,
  type MessageObject,
} from '../daemon/objects.js';
import { attachDaemon } from './attach.js';
import { openMessenger } from './common.js';
import { printFileEvent, printFileNotice } from './files.js';
import { inertLine, inertText } from '../terminal-text.js';
import { fitLine, formatLocalTime, formatMessageLine, outputWidth } from './format.js';
import { formatAction, quoteLine } from './history-format.js';
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
  const daemon = await attachDaemon(io);
  if (daemon) return recvFromDaemon(daemon, args, io);
  const messenger = await openMessenger(io, { connectEarly: 'recv' });
  try {
    const json = args.json === true;
    /** The quoted target of a reply, from the history (§17.1), only if it is a message of the same conversation. */
    const quote: Quote = (replyTo, conv) =>
      quoteLine(quoteOf(messenger.store.history, replyTo, conv, messenger.username), replyTo);
    // A local nickname (chat nick) goes beside the sender's username, never instead of it.
    const names: Names = { nickname: (user) => messenger.store.nicknames.get(user) };
    const out = { io, json, quote, names };
    messenger.on('message', (m) => printMessage(out, directObject(m)));
    messenger.on('groupMessage', (g) => printMessage(out, groupObject(g)));
    // Edits, deletes and reactions (§17), already applied to the history; timers set by the other side (§17.5).
    messenger.on('action', (e) => printMessage(out, { ...e }));
    messenger.on('expire', (e) => printMessage(out, { ...e }));
    // What the sweep removed (§17.5): JSON only.
    messenger.on('expired', (e) => {
      if (json) printJson(io, { ...e });
    });
    // Receipts for our own messages (§4.1): JSON only, the text output stays about what others say.
    messenger.on('delivery', (d) => printReceipt(io, d, json));
    // Warnings name ids, senders and codes, never bodies.
    messenger.on('held', (h) => {
      warn(io, `held message ${h.id} from ${h.from}: ${HELD_REASON[h.reason]}`);
      if (json) printJson(io, { type: 'held', id: h.id, from: h.from, reason: h.reason });
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
    messenger.on('rejected', (r) => {
      warn(io, `rejected message ${r.id}: ${r.code} (${inertLine(r.detail)})`);
      if (json) printJson(io, { type: 'rejected', id: r.id, code: r.code, detail: r.detail });
    });
    const options = io.signal ? { follow: args.follow === true, signal: io.signal } : { follow: args.follow === true };
    // Following, messages disappear while we listen; a one-shot recv leaves that to the next start (Store.open).
    const expirer = args.follow ? runExpirer(messenger) : undefined;
    const summary = await messenger.receive(options).finally(() => expirer?.stop());
    return summary.held > 0 && !args.follow ? ExitCode.KEY_CHANGED : ExitCode.OK;
  } finally {
    messenger.close();
  }
}

/** The line quoting a reply's target (history-format.ts `quoteLine`); `conv` is the reply's conversation key. */
type Quote = (replyTo: string, conv: string) => string;

/** Local nicknames (chat nick); none where this process holds no store (through the daemon). */
interface Names {
  nickname(user: string): string | undefined;
}

interface Output {
  io: Io;
  json: boolean;
  quote: Quote;
  names: Names;
}

/**
 * One message as `chat recv` prints it, from the object `--json` prints (daemon/objects.ts), whether it came from
 * this process's session or from the daemon. Group and room messages (§15): `[time] #group alice: text`;
 * membership changes as `[time] #group * alice added carol`; a reply has its quoted target above it (§17); a sender
 * with a nickname is shown as `alice (Al)`, with `nickname` in JSON.
 */
function printMessage({ io, json, quote, names }: Output, m: MessageObject): void {
  const width = outputWidth(io.stdout);
  const nickname = names.nickname(m.from);
  const named = nickname === undefined ? m.from : `${m.from} (${nickname})`;
  if (json) printJson(io, nickname === undefined ? m : { ...m, nickname });
  else if (isActionObject(m)) io.stdout.write(`${formatAction({ ...m, from: named }, width)}\n`);
  else if (isTimerObject(m)) {
    if (m.applied) {
      const where = m.group ? `${inertLine(m.conv)} ` : '';
      const line = `[${formatLocalTime(m.receivedAt)}] ${where}${inertLine(describeTimer(named, m.seconds))}`;
      io.stdout.write(`${fitLine(line, width)}\n`);
    }
  } else if (isGroupObject(m) && m.kind === 'invite') {
    io.stdout.write(
      `${fitLine(`[${formatLocalTime(m.receivedAt)}] ${inertLine(m.conv)} * ${inertLine(m.body)}`, width)}\n`,
    );
    const id = m.group?.slice(0, 8);
    hint(
      io,
      m.competing
        ? `chat group accept ${id} --from ${m.from} to take this version instead, or chat group decline ${id} --from ${m.from}`
        : `chat group accept ${id} to join the conversation, or chat group decline ${id}`,
    );
  } else if (isGroupObject(m) && m.kind === 'event')
    io.stdout.write(
      `${fitLine(`[${formatLocalTime(m.receivedAt)}] ${inertLine(m.conv)} * ${inertText(m.body)}`, width)}\n`,
    );
  else {
    if (m.reply_to !== undefined) {
      const conv = isGroupObject(m) ? (m.group === undefined ? `room:${m.conv.slice(1)}` : `#${m.group}`) : m.from;
      io.stdout.write(`${fitLine(quote(m.reply_to, conv), width)}\n`);
    }
    const from = isGroupObject(m) ? `${m.conv} ${named}` : named;
    io.stdout.write(`${formatMessageLine({ receivedAt: m.receivedAt, ts: m.ts, from, body: m.body }, width)}\n`);
  }
}

/** A receipt for one of our messages, as a `--json` line (`type` "receipt"); the text output leaves them out. */
function printReceipt(io: Io, d: { id: string; peer: string; state: string }, json: boolean): void {
  if (json && (d.state === 'delivered' || d.state === 'read'))
    printJson(io, { type: 'receipt', id: d.id, from: d.peer, state: d.state });
}

/**
 * `chat recv` while a daemon holds the session: without --follow, what the daemon received that no front end has
 * shown yet (`receive`); with it, every message as it arrives (`subscribe`) until SIGINT / SIGTERM.
 */
async function recvFromDaemon(daemon: DaemonClient, args: RecvArgs, io: Io): Promise<number> {
  const json = args.json === true;
  // This process holds no history to quote a reply's target from (the daemon does): the quote names the id.
  const quote: Quote = (replyTo) => quoteLine(undefined, replyTo);
  const out: Output = { io, json, quote, names: { nickname: () => undefined } };
  try {
    if (!args.follow) {
      const { messages } = await daemon.request<{ messages: MessageObject[] }>('receive');
      for (const m of messages) printMessage(out, m);
      return ExitCode.OK;
    }
    daemon.onNotification((n) => {
      if (n.method === 'message') printMessage(out, n.params);
      else if (n.params.type === 'expired') {
        if (json) printJson(io, n.params);
      } else if (n.params.type === 'delivery') printReceipt(io, n.params, json);
      else if (n.params.type === 'held') {
        warn(
          io,
          `held message ${n.params.id} from ${inertLine(n.params.from)}: ${HELD_REASON[n.params.reason as keyof typeof HELD_REASON] ?? inertLine(n.params.reason)}`,
        );
        if (json) printJson(io, n.params);
      } else if (n.params.type === 'rejected') {
        warn(io, `rejected message ${n.params.id}: ${n.params.code} (${inertLine(n.params.detail)})`);
        if (json) printJson(io, n.params);
      } else if (n.params.type === 'file') printFileNotice(io, n.params, json);
      else if (n.params.type === 'keyChanged' && n.params.accepted)
        warn(
          io,
          `${n.params.username}'s key changed from ${n.params.previous} to ${n.params.current}; accepted (trust-new-identities always)`,
        );
    });
    await daemon.request('subscribe');
    const stopped = new Promise<void>((resolve) => io.signal?.addEventListener('abort', () => resolve()));
    const lost = daemon.closed.then(() => {
      throw new ChatError('DAEMON_LOST', 'the chat daemon stopped', { hint: 'run chat recv --follow again' });
    });
    await Promise.race([stopped, lost]);
    lost.catch(() => {}); // stopped by a signal: our own close below is not the daemon's loss
    return ExitCode.OK;
  } finally {
    daemon.close();
  }
}
