/**
 * `chat recv [--follow] [--json]`: prints each new message, acknowledging it only after it is committed to history
 * (§9). Exits after `synced`; with --follow keeps listening until SIGINT / SIGTERM.
 *
 * Exit code: 0, or 4 when a message was held because its sender's key changed (it stays on the relay).
 * While `chat daemon` runs for the profile, it asks the daemon instead (recvFromDaemon below, docs/JSONRPC.md).
 */
import { quoteOf } from '../engine/actions/history.js';
import { aborted } from '../engine/aborted.js';
import { ChatError, ExitCode } from '../engine/errors.js';
import { runExpirer } from '../engine/expire/expirer.js';
import { describeTimer } from '../engine/expire/timers.js';
import type { DaemonClient } from '../daemon/client.js';
import type { Undelivered } from '../daemon/hub.js';
import {
  isActionObject,
  isGroupObject,
  isTimerObject,
  onEventObjects,
  onMessageObjects,
  type EventObject,
  type MessageObject,
} from '../daemon/objects.js';
import { attachDaemon } from './attach.js';
import { openMessenger } from './common.js';
import { printFileNotice } from './files.js';
import { inertLine, inertText } from '../terminal-text.js';
import { fitLine, formatLocalTime, formatMessageLine, loadWrapFor, outputWidth } from './format.js';
import { formatAction, quoteLine } from './history-format.js';
import { hint, notice, printJson, warn, type Io } from './io.js';
import { recoveryNotice } from './recovery-notice.js';

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
  await loadWrapFor(io.stdout);
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
    // The same objects the daemon sends its subscribers (daemon/objects.ts), printed by the same two functions.
    onMessageObjects(messenger, (m) => printMessage(out, m));
    onEventObjects(messenger, (e) => printEvent(out, e));
    let hinted = false;
    messenger.on('held', (h) => {
      if (hinted || h.reason === 'BUNDLE_INVALID') return;
      hinted = true;
      hint(io, heldHint(h.from));
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

/** What to do about an envelope held because its sender's key changed (§3.4). */
const heldHint = (from: string): string =>
  `it stays on the relay; compare safety numbers (chat verify ${from}), accept the key with chat trust ${from}, then chat recv again`;

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

/**
 * One event as `chat recv` reports it: warnings (on stderr) name ids, senders and codes, never bodies; with --json
 * held and rejected envelopes are also lines on stdout, as are receipts (`type` "receipt") and what expired.
 */
function printEvent({ io, json }: Output, e: EventObject): void {
  switch (e.type) {
    case 'held':
      warn(
        io,
        `held message ${e.id} from ${inertLine(e.from)}: ${HELD_REASON[e.reason as keyof typeof HELD_REASON] ?? inertLine(e.reason)}`,
      );
      if (json) printJson(io, e);
      break;
    case 'rejected':
      warn(io, `rejected message ${e.id}: ${e.code} (${inertLine(e.detail)})`);
      if (json) printJson(io, e);
      break;
    case 'recovery':
      // §24.7: one line for each side of a recovered session; names are usernames, made inert all the same.
      notice(io, recoveryNotice(e));
      if (json) printJson(io, e);
      break;
    case 'keyChanged':
      if (e.accepted)
        warn(
          io,
          `${e.username}'s key changed from ${e.previous} to ${e.current}; accepted (trust-new-identities always)`,
        );
      break;
    case 'delivery':
      // Receipts for our own messages (§4.1): JSON only, the text output stays about what others say.
      if (json && (e.state === 'delivered' || e.state === 'read'))
        printJson(io, { type: 'receipt', id: e.id, from: e.peer, state: e.state });
      break;
    case 'file':
      printFileNotice(io, e, json);
      break;
    case 'expired':
      if (json) printJson(io, e); // what the sweep removed (§17.5)
      break;
    case 'connection':
      break;
  }
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
    // Before the first await: a Ctrl-C / SIGTERM while the daemon has not answered yet (it may still be unlocking its
    // keys) must stop it (engine/aborted.ts; hunt3: a `timeout 20 chat recv` hung for 11 minutes).
    const stopped = aborted(io.signal);
    if (!args.follow) {
      const asking = daemon.request<{ messages: MessageObject[] } & Partial<Undelivered>>('receive');
      asking.catch(() => {});
      const got = await Promise.race([asking, stopped.then(() => undefined)]);
      if (got === undefined) return ExitCode.OK;
      for (const m of got.messages) printMessage(out, m);
      const held = got.held ?? [];
      for (const e of [...held, ...(got.rejected ?? [])]) printEvent(out, e);
      const asked = held.find((h) => h.reason !== 'BUNDLE_INVALID');
      if (asked) hint(io, heldHint(asked.from));
      return held.length > 0 ? ExitCode.KEY_CHANGED : ExitCode.OK;
    }
    daemon.onNotification((n) => {
      if (n.method === 'message') printMessage(out, n.params);
      else printEvent(out, n.params);
    });
    const subscribing = daemon.request('subscribe');
    subscribing.catch(() => {});
    if ((await Promise.race([subscribing.then(() => true), stopped.then(() => false)])) === false) return ExitCode.OK;
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
