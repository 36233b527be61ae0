/**
 * `chat send-file <user> <path>`, `chat files`, `chat files accept <id>`, `chat files decline <id>` (PROTOCOL.md §16).
 * Offers arrive with `chat recv` (or the interactive session); nothing is downloaded before `accept`. While
 * `chat daemon` runs, each asks it (sendFile, listFiles, acceptFile, declineFile; docs/JSONRPC.md) with absolute
 * paths: no passphrase, and no progress line (the daemon answers when the transfer is done).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { acceptFile, declineFile } from '../engine/files/download.js';
import { sendFile } from '../engine/files/upload.js';
import { ChatError } from '../engine/errors.js';
import { printable } from '../engine/errors.js';
import type { FileProgress } from '../engine/files/incoming.js';
import type { Messenger } from '../engine/messenger.js';
import { withDaemonOr } from './attach.js';
import { openMessenger } from './common.js';
import { printJson, type Io } from './io.js';
import { fileObject, type FileNotice } from '../daemon/objects.js';
import { progressSink } from './progress.js';

/** `--dir`, else `CHAT_DOWNLOADS`, else `~/Downloads`. */
export function downloadsDir(io: Io, dir?: string): string {
  return resolve(dir ?? io.env.CHAT_DOWNLOADS ?? join(io.env.HOME || homedir(), 'Downloads'));
}

export async function sendFileCommand(
  args: { username: string; path: string; json?: boolean },
  io: Io,
): Promise<number> {
  // Through the daemon: no progress line, it answers once the offer is stored (the daemon has its own cwd).
  const params = { recipient: args.username, path: resolve(args.path) };
  const t = await withDaemonOr(io, 'sendFile', params, () =>
    withProgress(io, args.json, async (m, onProgress) =>
      fileObject(await sendFile(m, args.username, args.path, { onProgress })),
    ),
  );
  if (args.json) printJson(io, { event: 'offered', ...t });
  else io.stdout.write(`offered ${printable(t.name)} (${t.size} bytes) to ${t.peer} (id ${t.id.slice(0, 8)})\n`);
  return 0;
}

export async function listFiles(args: { json?: boolean }, io: Io): Promise<number> {
  const list = await withDaemonOr(io, 'listFiles', {}, async () => {
    const messenger = await openMessenger(io);
    try {
      return messenger.store.files.list().map(fileObject);
    } finally {
      messenger.close();
    }
  });
  for (const t of list) {
    if (args.json) printJson(io, t);
    else {
      const arrow = t.direction === 'in' ? `from ${t.peer}` : `to ${t.peer}`;
      io.stdout.write(
        `${t.id.slice(0, 8)}  ${t.state.padEnd(11)} ${arrow}  ${printable(t.name)} (${t.size} bytes)${t.path && t.direction === 'in' ? `  ${printable(t.path)}` : ''}\n`,
      );
    }
  }
  return 0;
}

export async function acceptCommand(args: { id: string; dir?: string; json?: boolean }, io: Io): Promise<number> {
  const dir = downloadsDir(io, args.dir);
  const t = await withDaemonOr(io, 'acceptFile', { id: args.id, dir }, () =>
    withProgress(io, args.json, async (m, onProgress) => fileObject(await acceptFile(m, args.id, dir, { onProgress }))),
  );
  if (args.json) printJson(io, { event: 'received', ...t });
  else io.stdout.write(`saved ${printable(t.name)} from ${t.peer} to ${printable(t.path ?? '')}\n`);
  return 0;
}

export async function declineCommand(args: { id: string; dir?: string; json?: boolean }, io: Io): Promise<number> {
  const dir = downloadsDir(io, args.dir);
  const t = await withDaemonOr(io, 'declineFile', { id: args.id, dir }, async () => {
    const messenger = await openMessenger(io);
    try {
      return fileObject(await declineFile(messenger, args.id, dir));
    } finally {
      messenger.close();
    }
  });
  if (args.json) printJson(io, { event: 'declined', ...t });
  else io.stdout.write(`declined ${printable(t.name)} from ${t.peer}\n`);
  return 0;
}

/** A transfer in a session of this process's own, with a progress line on a terminal (progress.ts). */
async function withProgress<T>(
  io: Io,
  json: boolean | undefined,
  f: (m: Messenger, onProgress: (p: FileProgress) => void) => Promise<T>,
): Promise<T> {
  const messenger = await openMessenger(io);
  const sink = await progressSink(io, json === true);
  try {
    return await f(messenger, (p) => sink.update(p));
  } finally {
    sink.stop();
    messenger.close();
  }
}

export async function files(
  args: { action?: string; id?: string; dir?: string; json?: boolean },
  io: Io,
): Promise<number> {
  switch (args.action ?? 'list') {
    case 'list':
      return listFiles(args, io);
    case 'accept':
    case 'decline':
      if (!args.id)
        throw new ChatError('USAGE', `chat files ${args.action} needs the transfer id`, {
          hint: 'chat files lists them',
        });
      return args.action === 'accept'
        ? acceptCommand({ ...args, id: args.id }, io)
        : declineCommand({ ...args, id: args.id }, io);
    default:
      throw new ChatError('USAGE', `unknown files action ${JSON.stringify(args.action)}`, {
        hint: 'chat files [list | accept <id> | decline <id>]',
      });
  }
}

/** An offer or an answer as `chat recv` prints it, from this process's session or from the daemon's notification. */
export function printFileNotice(io: Io, n: FileNotice, json: boolean): void {
  const t = n.transfer;
  if (json) {
    printJson(
      io,
      // `type` names the event, as on every `chat recv --json` line; the file's media type is then `mime`.
      n.kind === 'offer'
        ? { ...t, mime: t.type, type: 'file_offer', event: 'file_offer' }
        : { ...t, mime: t.type, type: 'file_answer', event: 'file_answer', outcome: n.outcome },
    );
  } else if (n.kind === 'offer') {
    io.stdout.write(
      `${t.peer} offers a file: ${printable(t.name)} (${t.size} bytes, ${printable(t.type)}); chat files accept ${t.id.slice(0, 8)} or chat files decline ${t.id.slice(0, 8)}\n`,
    );
  } else {
    io.stdout.write(`${t.peer} ${n.outcome} ${printable(t.name)}\n`);
  }
}
