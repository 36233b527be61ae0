/**
 * The interactive session's `/file <path>`, `/accept [id]` and `/decline [id]` (PROTOCOL.md §16): the same engine
 * calls as `chat send-file` and `chat files accept|decline`, with offers, answers and a live progress line (bytes,
 * rate, ETA) as notices in the conversation.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FileProgress } from '../engine/files/incoming.js';
import { ChatError, printable } from '../engine/errors.js';
import type { SessionEngine } from '../session/engine.js';

export interface FileHost {
  readonly m: SessionEngine;
  readonly current: string | undefined;
  notice(text: string, level: 'info' | 'error', peer?: string): void;
  progressNotice(key: string, text: string, peer: string): void;
}

const message = (err: unknown): string =>
  err instanceof ChatError
    ? `${err.message}${err.hint ? ` (${err.hint})` : ''}`
    : err instanceof Error
      ? err.message
      : String(err);

const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

/** One progress line: arrow, name, a 20-cell bar, percent, MiB done / total, MiB/s, ETA. */
export function progressLine(p: FileProgress, now = Date.now()): string {
  const frac = p.total === 0 ? 1 : p.done / p.total;
  const cells = Math.round(frac * 20);
  const secs = Math.max((now - p.startedAt) / 1000, 0.001);
  const rate = p.done / secs;
  const eta = rate > 0 ? Math.ceil((p.total - p.done) / rate) : 0;
  return `${p.direction === 'up' ? '↑' : '↓'} ${printable(p.name)} ${'█'.repeat(cells)}${'░'.repeat(20 - cells)} ${Math.floor(frac * 100)}% ${mib(p.done)}/${mib(p.total)} MiB ${mib(rate)} MiB/s ETA ${eta}s`;
}

function progressTo(host: FileHost, peer: string): (p: FileProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.done < p.total && now - last < 200) return;
    last = now;
    host.progressNotice(`file-${p.blob}`, progressLine(p, now), peer);
  };
}

function downloadsDir(): string {
  // Absolute: an attached session's daemon runs in another working directory.
  return resolve(process.env.CHAT_DOWNLOADS ?? join(process.env.HOME || homedir(), 'Downloads'));
}

/** Offers and answers arriving over the live session show up in the sender's conversation. */
export function attachFileNotices(host: FileHost): void {
  host.m.on('file', (e) => {
    if (e.kind === 'offer') {
      const t = e.transfer;
      host.notice(
        `${t.peer} offers a file: ${printable(t.name)} (${t.size} bytes, ${printable(t.type)}) — /accept ${t.blob.slice(0, 8)} or /decline ${t.blob.slice(0, 8)}`,
        'info',
        t.peer,
      );
    } else if (e.kind === 'answer') {
      host.notice(`${e.transfer.peer} ${e.outcome} ${printable(e.transfer.name)}`, 'info', e.transfer.peer);
    }
  });
}

/** `/file <path>`: uploads and offers the file to the open conversation. */
export async function fileCommand(host: FileHost, raw: string): Promise<void> {
  const peer = host.current;
  if (!peer) return host.notice('no conversation open: /open <user> first', 'error');
  const path = resolve(raw.startsWith('~/') ? join(process.env.HOME || homedir(), raw.slice(2)) : raw);
  try {
    const t = await host.m.ops.sendFile({ recipient: peer, path }, progressTo(host, peer));
    host.notice(`offered ${printable(t.name)} to ${peer} (id ${t.id.slice(0, 8)})`, 'info', peer);
  } catch (err) {
    host.notice(`/file failed: ${message(err)}`, 'error', peer);
  }
}

/** `/accept [id]` and `/decline [id]`; without an id, the newest open offer in this conversation. */
export async function answerCommand(host: FileHost, what: 'accept' | 'decline', id?: string): Promise<void> {
  const peer = host.current ?? '';
  try {
    let target = id;
    if (target === undefined) {
      const open = host.m.store.files
        .list()
        .filter((t) => t.direction === 'in' && t.peer === peer && (t.state === 'offered' || t.state === 'downloading'));
      if (open.length === 0)
        return host.notice(`no open file offer from ${peer || 'anyone here'} (/${what} <id> names one)`, 'error');
      target = open.at(-1)!.blob;
    }
    if (what === 'decline') {
      const t = await host.m.ops.declineFile({ id: target, dir: downloadsDir() });
      return host.notice(`declined ${printable(t.name)} from ${t.peer}`, 'info', t.peer);
    }
    const t = await host.m.ops.acceptFile({ id: target, dir: downloadsDir() }, progressTo(host, peer));
    host.notice(`saved ${printable(t.name)} from ${t.peer} to ${printable(t.path ?? '')}`, 'info', t.peer);
  } catch (err) {
    host.notice(`/${what} failed: ${message(err)}`, 'error');
  }
}
