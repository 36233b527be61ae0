/**
 * `chat recv [--follow] [--json]`: prints each new message, acknowledging it only after it is committed to history
 * (§9). Exits after `synced`; with --follow keeps listening until SIGINT / SIGTERM.
 *
 * Exit code: 0, or 4 when a message was held because its sender's key changed (it stays on the relay).
 */
import { ExitCode } from '../engine/errors.js';
import { runExpirer } from '../engine/expire/expirer.js';
import { describeTimer } from '../engine/expire/timers.js';
import { openMessenger } from './common.js';
import { printFileEvent } from './files.js';
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
  const messenger = await openMessenger(io, { connectEarly: 'recv' });
  try {
    /** The quoted target of a reply, from the history (§17): whoever wrote it and its shown text. */
    const quoted = (replyTo: string): string => {
      const t = messenger.store.history.byId(replyTo);
      return quoteLine(t && { from: t.sender ?? messenger.username, body: t.body, deleted: t.deleted }, replyTo);
    };
    // A local nickname (chat nick) goes beside the sender's username, never instead of it.
    const nick = (user: string) => messenger.store.nicknames.get(user);
    const named = (user: string) => {
      const n = nick(user);
      return n === undefined ? user : `${user} (${n})`;
    };
    const nickField = (user: string) => {
      const n = nick(user);
      return n === undefined ? {} : { nickname: n };
    };
    messenger.on('message', (m) => {
      if (args.json)
        printJson(io, {
          type: 'message',
          id: m.id,
          from: m.from,
          to: m.to,
          body: m.body,
          ts: m.ts,
          relayTs: m.relayTs,
          receivedAt: m.receivedAt,
          ...(m.replyTo === undefined ? {} : { reply_to: m.replyTo }),
          ...nickField(m.from),
        });
      else {
        if (m.replyTo !== undefined) io.stdout.write(`${fitLine(quoted(m.replyTo), outputWidth(io.stdout))}\n`);
        io.stdout.write(`${formatMessageLine({ ...m, from: named(m.from) }, outputWidth(io.stdout))}\n`);
      }
    });
    // Edits, deletes and reactions (§17), already applied to the history.
    messenger.on('action', (e) => {
      if (args.json) printJson(io, { ...e, ...nickField(e.from) });
      else io.stdout.write(`${formatAction({ ...e, from: named(e.from) }, outputWidth(io.stdout))}\n`);
    });
    // Disappearing messages (§17.5): a timer set by the other side, and (JSON only) what the sweep removed.
    messenger.on('expire', (e) => {
      if (args.json) printJson(io, { ...e, ...nickField(e.from) });
      else if (e.applied)
        io.stdout.write(
          `${fitLine(`[${formatLocalTime(e.receivedAt)}] ${e.group ? `${inertLine(e.conv)} ` : ''}${inertLine(describeTimer(named(e.from), e.seconds))}`, outputWidth(io.stdout))}\n`,
        );
    });
    messenger.on('expired', (e) => {
      if (args.json) printJson(io, { ...e });
    });
    // Receipts for our own messages (§4.1): JSON only, the text output stays about what others say.
    messenger.on('delivery', (d) => {
      if (args.json && (d.state === 'delivered' || d.state === 'read'))
        printJson(io, { type: 'receipt', id: d.id, from: d.peer, state: d.state });
    });
    // Group and room messages (§15): `[time] #group alice: text`; membership changes as `[time] #group * alice added carol`.
    messenger.on('groupMessage', (g) => {
      if (args.json)
        printJson(io, {
          type: g.kind === 'group' || g.kind === 'room' ? 'message' : 'group_event',
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
          ...(g.replyTo === undefined ? {} : { reply_to: g.replyTo }),
          ...nickField(g.from),
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
      else {
        if (g.replyTo !== undefined) io.stdout.write(`${fitLine(quoted(g.replyTo), outputWidth(io.stdout))}\n`);
        io.stdout.write(
          `${formatMessageLine({ receivedAt: g.receivedAt, ts: g.ts, from: `${g.conv} ${named(g.from)}`, body: g.body }, outputWidth(io.stdout))}\n`,
        );
      }
    });
    // Warnings name ids, senders and codes, never bodies.
    messenger.on('held', (h) => {
      warn(io, `held message ${h.id} from ${h.from}: ${HELD_REASON[h.reason]}`);
      if (args.json) printJson(io, { type: 'held', id: h.id, from: h.from, reason: h.reason });
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
      if (args.json) printJson(io, { type: 'rejected', id: r.id, code: r.code, detail: r.detail });
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
