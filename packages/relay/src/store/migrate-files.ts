/**
 * The data directory's files in `chat-relay migrate` (migrate.ts): blobs (`blobs/<bid>.json` and `.bin`) become
 * `blobs` and `blob_chunks` rows, the TLS pair becomes `relay_meta`'s. Read the way the relay reads them: through
 * `BlobDir` and `readDataFile`, never through a link or a file another user could have planted.
 */
import { closeSync, constants, existsSync, fstatSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { BlobDir } from '../blobs/blob-dir.js';
import { type BlobMeta, SEALED_CHUNK } from '../blobs/rules.js';
import { readDataFile } from '../data-dir.js';
import { TLS_CERT_FILE, TLS_KEY_FILE } from '../tls-material.js';

/** The blobs of `<dataDir>/blobs` as the relay would load them: whole chunks only, `.part` files ignored. */
function readBlobMetas(dir: BlobDir, path: string): BlobMeta[] {
  if (!dir.exists()) return [];
  const out: BlobMeta[] = [];
  for (const name of readdirSync(path)) {
    if (!name.endsWith('.json')) continue;
    let m: BlobMeta;
    try {
      const fd = dir.open(name, constants.O_RDONLY);
      try {
        m = JSON.parse(readFileSync(fd, 'utf8')) as BlobMeta;
      } finally {
        closeSync(fd);
      }
    } catch {
      continue; // a torn metadata file: the relay would drop it too (its upload starts over)
    }
    let size = 0;
    try {
      const fd = dir.open(`${m.bid}.bin`, constants.O_RDONLY);
      size = fstatSync(fd).size;
      closeSync(fd);
    } catch {
      /* no chunk file: nothing confirmed */
    }
    const whole = Math.floor(size / SEALED_CHUNK) + (size === m.size ? 1 : 0);
    m.have = m.completedAt === undefined ? Math.min(whole, m.chunks - 1) : m.chunks;
    out.push(m);
  }
  return out.sort((a, b) => a.createdAt - b.createdAt || (a.bid < b.bid ? -1 : 1));
}

/** Copies every blob with its whole chunks; `progress(done, total)` after each blob. */
export async function copyBlobs(
  dataDir: string,
  c: pg.PoolClient,
  progress: (done: number, total: number) => void,
): Promise<{ blobs: number; chunks: number }> {
  const counts = { blobs: 0, chunks: 0 };
  const path = join(dataDir, 'blobs');
  const dir = new BlobDir(path);
  const metas = readBlobMetas(dir, path);
  for (const m of metas) {
    await c.query(
      `INSERT INTO blobs (bid, owner, recipient, size, chunks, created_at, have, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [m.bid, m.owner, m.to, m.size, m.chunks, m.createdAt, m.have, m.completedAt ?? null],
    );
    const fd = m.have > 0 ? dir.open(`${m.bid}.bin`, constants.O_RDONLY) : undefined;
    try {
      for (let n = 0; n < m.have; n++) {
        const len = n === m.chunks - 1 ? m.size - n * SEALED_CHUNK : SEALED_CHUNK;
        const data = Buffer.alloc(len);
        let got = 0;
        while (got < len) {
          const r = readSync(fd!, data, got, len - got, n * SEALED_CHUNK + got);
          if (r === 0) throw new Error(`blob ${m.bid} is shorter than its metadata says`);
          got += r;
        }
        await c.query('INSERT INTO blob_chunks (bid, n, data) VALUES ($1, $2, $3)', [m.bid, n, data]);
        counts.chunks++;
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    counts.blobs++;
    progress(counts.blobs, metas.length);
  }
  return counts;
}

/**
 * Clients pinned the SQLite relay's certificate (PROTOCOL.md §5.1): its pair becomes the database's (`relay_meta`
 * `tls_key`, `tls_cert`, as postgres-tls.ts keeps it), so every relay started on the database serves it. Replaces a
 * pair a relay may have offered while the database was empty. Returns 1 if copied, 0 if the directory has none.
 */
export async function copyTlsPair(dataDir: string, c: pg.PoolClient): Promise<number> {
  const keyPath = join(dataDir, TLS_KEY_FILE);
  const certPath = join(dataDir, TLS_CERT_FILE);
  if (!existsSync(keyPath) || !existsSync(certPath)) return 0;
  const pair = [
    ['tls_key', readDataFile(keyPath, true)],
    ['tls_cert', readDataFile(certPath)],
  ];
  for (const [key, pem] of pair) {
    await c.query(
      'INSERT INTO relay_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
      [key, Buffer.from(pem!)],
    );
  }
  return 1;
}
