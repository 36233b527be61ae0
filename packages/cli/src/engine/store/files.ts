/**
 * The client's record of file transfers (schema v4): offers received (`in`) and files sent (`out`), keyed by the
 * blob id in hex. Users name a transfer by a prefix of that id (`chat files accept 3f9a…`).
 */
import type Database from 'better-sqlite3';
import { ChatError } from '../errors.js';

/**
 * `out`: uploading → offered → received | declined.
 * `in`: offered → downloading → received | declined (a failed download stays `downloading` and can be retried).
 */
export type FileState = 'uploading' | 'offered' | 'downloading' | 'received' | 'declined';

export interface FileTransfer {
  blob: string;
  direction: 'in' | 'out';
  peer: string;
  /** `in`: the name as offered (hostile, never used as a path unsanitised); `out`: the base name sent. */
  name: string;
  size: number;
  type: string;
  /** SHA-256 of the plaintext; null for an upload still in progress. */
  sha256: Buffer | null;
  key: Buffer;
  state: FileState;
  /** `out`: the source path; `in`: where it was saved. */
  path: string | null;
  ts: number;
}

export class FileTable {
  constructor(private readonly db: Database.Database) {}

  /** Records a transfer; false if one with that blob id exists already (a redelivered offer). */
  add(t: FileTransfer): boolean {
    const r = this.db
      .prepare(`INSERT OR IGNORE INTO files (blob, direction, peer, name, size, type, sha256, key, state, path, ts)
                VALUES (@blob, @direction, @peer, @name, @size, @type, @sha256, @key, @state, @path, @ts)`)
      .run(t);
    return r.changes === 1;
  }

  get(blob: string): FileTransfer | undefined {
    return this.db.prepare('SELECT * FROM files WHERE blob = ?').get(blob) as FileTransfer | undefined;
  }

  /**
   * The one transfer whose blob id starts with `prefix` (hex, at least 4 characters).
   * @throws {ChatError} NO_SUCH_TRANSFER when none or several match.
   */
  find(prefix: string, direction?: 'in' | 'out'): FileTransfer {
    const p = prefix.toLowerCase();
    if (!/^[0-9a-f]{4,32}$/.test(p))
      throw new ChatError('NO_SUCH_TRANSFER', `a transfer id is 4 to 32 hex digits, got ${JSON.stringify(prefix)}`, {
        hint: 'chat files lists them',
      });
    const all = this.db.prepare('SELECT * FROM files WHERE blob LIKE ? ORDER BY ts').all(`${p}%`) as FileTransfer[];
    const rows = all.filter((r) => direction === undefined || r.direction === direction);
    if (rows.length === 1) return rows[0]!;
    // `chat files accept` of a file we offered: it is listed, so "no file transfer" read as a bug (hunt2).
    const other = rows.length === 0 && all.length === 1 ? all[0] : undefined;
    const why = other
      ? `${p} is a file ${other.direction === 'out' ? `you offered to ${other.peer}` : `${other.peer} offered you`}, not one ${direction === 'in' ? 'offered to you' : 'you offered'}`
      : rows.length === 0
        ? `no file transfer ${p}`
        : `${rows.length} transfers start with ${p}`;
    throw new ChatError('NO_SUCH_TRANSFER', why, { hint: 'chat files lists them' });
  }

  /** An unfinished upload of the same file to the same peer, to resume (§16.1). */
  findUpload(peer: string, path: string, size: number): FileTransfer | undefined {
    return this.db
      .prepare(
        "SELECT * FROM files WHERE direction = 'out' AND state = 'uploading' AND peer = ? AND path = ? AND size = ? ORDER BY ts DESC LIMIT 1",
      )
      .get(peer, path, size) as FileTransfer | undefined;
  }

  /** Forgets a transfer (an upload the relay refused before any of it was stored). */
  remove(blob: string): void {
    this.db.prepare('DELETE FROM files WHERE blob = ?').run(blob);
  }

  list(): FileTransfer[] {
    return this.db.prepare('SELECT * FROM files ORDER BY ts').all() as FileTransfer[];
  }

  update(blob: string, fields: Partial<Pick<FileTransfer, 'state' | 'path' | 'sha256'>>): void {
    for (const [k, v] of Object.entries(fields)) {
      if (!['state', 'path', 'sha256'].includes(k)) continue;
      this.db.prepare(`UPDATE files SET ${k} = ? WHERE blob = ?`).run(v, blob);
    }
  }
}
