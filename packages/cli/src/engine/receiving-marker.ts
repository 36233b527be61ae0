/**
 * Which process of this profile holds the receiving session (issue 15). The relay allows one `recv` session per user
 * (§8 step 7, `ALREADY_RECEIVING`) and cannot say whose it is; the profile can. While a session is up its process
 * writes `receiving.json` in the profile (pid, what it is, since when) and removes it when the session ends, so a
 * refused `chat recv` names the interactive session, `chat recv --follow` or the daemon instead of "another session".
 * A marker whose process is gone (a crash) is ignored.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatError } from './errors.js';

export const MARKER_FILE = 'receiving.json';

interface Marker {
  pid: number;
  holder: string;
  since: number;
}

/** What this process is, as the marker names it: from its command line (`chat`, `chat open bob`, `chat recv -f`). */
export function describeThisProcess(argv: readonly string[] = process.argv.slice(2)): string {
  const cmd = argv.find((a) => !a.startsWith('-'));
  if (cmd === undefined || cmd === 'open') return 'the interactive session';
  if (cmd === 'daemon') return 'the chat daemon';
  if (cmd === 'recv') return argv.includes('--follow') || argv.includes('-f') ? 'chat recv --follow' : 'chat recv';
  return `chat ${cmd}`;
}

/** Marks this process as the one receiving for the profile in `home`. Best effort: a failure only loses the name. */
export function markReceiving(home: string, holder: string): void {
  const marker: Marker = { pid: process.pid, holder, since: Date.now() };
  try {
    writeFileSync(join(home, MARKER_FILE), `${JSON.stringify(marker)}\n`, { mode: 0o600 });
  } catch {
    // the session works without it
  }
}

/** Removes the marker if it is this process's. */
export function unmarkReceiving(home: string): void {
  if (readMarker(home)?.pid === process.pid) rmSync(join(home, MARKER_FILE), { force: true });
}

function readMarker(home: string): Marker | undefined {
  try {
    const m = JSON.parse(readFileSync(join(home, MARKER_FILE), 'utf8')) as Partial<Marker>;
    if (typeof m.pid !== 'number' || typeof m.holder !== 'string' || typeof m.since !== 'number') return undefined;
    return { pid: m.pid, holder: m.holder, since: m.since };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What another live process of the profile in `home` that receives is (`the interactive session (pid 123)`), if any. */
export function receivingElsewhere(home: string): string | undefined {
  const m = readMarker(home);
  if (m === undefined || m.pid === process.pid || !alive(m.pid)) return undefined;
  // Our own file's, but printed inert anyway: it came from disk.
  return `${m.holder.replace(/[^\w .-]/g, '')} (pid ${m.pid})`;
}

/** `err` (ALREADY_RECEIVING) naming what holds the session, from the profile's marker; other errors unchanged. */
export function nameTheHolder(err: unknown, home: string, user: string): unknown {
  if (!(err instanceof ChatError) || err.code !== 'ALREADY_RECEIVING') return err;
  const m = readMarker(home);
  if (m?.pid === process.pid)
    return new ChatError(
      'ALREADY_RECEIVING',
      `an earlier session of this process still holds ${user}'s mailbox on the relay (ALREADY_RECEIVING)`,
      {
        hint: 'try again in a moment: the relay lets it go once it notices the old connection closed',
        cause: err,
      },
    );
  const here = m !== undefined && m.pid !== process.pid && alive(m.pid);
  // The holder's name is our own file's, but print it inert anyway: it came from disk.
  const holder = here ? `${m.holder.replace(/[^\w .-]/g, '')} (pid ${m.pid})` : undefined;
  return new ChatError(
    'ALREADY_RECEIVING',
    holder
      ? `${holder} is already receiving for ${user} (ALREADY_RECEIVING)`
      : `another session is already receiving for ${user}, not one of this profile on this machine (ALREADY_RECEIVING)`,
    {
      hint: holder
        ? 'quit it first, or let it do the receiving (chat recv and the interactive session attach to a running chat daemon by themselves)'
        : 'stop chat on the other machine (or the other copy of this profile) first',
      cause: err,
    },
  );
}
