/**
 * `chat expire <user|#group> [duration|off]` (PROTOCOL.md §17.5): sets a conversation's disappearing-message timer
 * and announces it there (exit 0 once the relay stored the announcement), or with no duration shows the timer in force
 * (from the history database alone: no connection, no passphrase). While `chat daemon` runs, setting asks it
 * (updateGroup / updateContact with `expiration`, docs/JSONRPC.md): no passphrase.
 */
import { existsSync } from 'node:fs';
import { formatDuration, parseDuration } from '../engine/expire/duration.js';
import { Profile } from '../engine/profile.js';
import { inertLine } from '../terminal-text.js';
import type { DaemonClient } from '../daemon/client.js';
import type { FanoutResult } from '../engine/events.js';
import { attachDaemon } from './attach.js';
import { openMessenger } from './common.js';
import { timerGroupId } from './group-ref.js';
import { printJson, warn, type Io } from './io.js';
import { openStore } from './open-store.js';

export interface ExpireArgs {
  target: string;
  duration?: string | undefined;
  json?: boolean;
}

export async function expire(args: ExpireArgs, io: Io): Promise<number> {
  if (args.duration === undefined) return show(args, io);
  const seconds = parseDuration(args.duration);
  const daemon = await attachDaemon(io);
  let out: { conv: string; failed: FanoutResult['failed'] };
  if (daemon) {
    try {
      out = await viaDaemon(daemon, io, args.target, seconds);
    } finally {
      daemon.close();
    }
  } else {
    const { setTimer } = await import('../engine/expire/timers.js');
    const messenger = await openMessenger(io, { connectEarly: 'send' });
    try {
      const r = await setTimer(messenger, args.target, seconds);
      out = { conv: r.conv, failed: r.result?.failed ?? [] };
    } finally {
      messenger.close();
    }
  }
  for (const x of out.failed) warn(io, `not delivered to ${x.to}: ${x.code}`);
  if (args.json) printJson(io, { conv: out.conv, seconds });
  else
    io.stdout.write(
      seconds === 0
        ? `disappearing messages off with ${inertLine(out.conv)}\n`
        : `disappearing messages with ${inertLine(out.conv)}: ${formatDuration(seconds)} (each new message is deleted ${formatDuration(seconds)} after it arrives, on both sides)\n`,
    );
  return 0;
}

/** A group's timer is `updateGroup` with `expiration`, a contact's `updateContact` (docs/JSONRPC.md). */
async function viaDaemon(daemon: DaemonClient, io: Io, target: string, seconds: number) {
  if (/^(#|group:|room:)/.test(target)) {
    const groupId = await timerGroupId(io, target);
    const g = await daemon.request<{ name: string; failed: FanoutResult['failed'] }>('updateGroup', {
      groupId,
      expiration: seconds,
    });
    return { conv: `#${g.name}`, failed: g.failed };
  }
  const c = await daemon.request<{ username: string }>('updateContact', { recipient: target, expiration: seconds });
  return { conv: c.username, failed: [] };
}

async function show(args: ExpireArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  profile.requireConfig();
  const { conversationKey } = await import('../engine/actions/history.js');
  const username = profile.requireConfig().username;
  let timer: { seconds: number; setBy: string } | undefined;
  let label = args.target;
  if (existsSync(profile.dbPath)) {
    const store = await openStore(io, profile);
    try {
      const key = conversationKey({ username, store }, args.target);
      label = key.label;
      timer = store.timers.get(key.conv.startsWith('room:') ? '' : key.conv);
    } finally {
      store.close();
    }
  }
  const seconds = timer?.seconds ?? 0;
  if (args.json) printJson(io, { conv: label, seconds, ...(timer ? { setBy: timer.setBy } : {}) });
  else
    io.stdout.write(
      seconds === 0
        ? `disappearing messages are off with ${inertLine(label)}\n`
        : `disappearing messages with ${inertLine(label)}: ${formatDuration(seconds)} (set by ${timer?.setBy})\n`,
    );
  return 0;
}
