/**
 * One TLS identity for every relay on the database (issue 17): clients pin the certificate's key (PROTOCOL.md §5.1),
 * so relays behind one address must all serve the same pair. The pair is kept in `relay_meta` (`tls_key`,
 * `tls_cert`, PEM text). The first relay to start offers its own (from its data directory, created there if
 * missing); every later one serves the stored pair.
 */
import type pg from 'pg';
import { transaction } from './postgres-pool.js';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** Held (per transaction) while the pair is read or stored: the schema lock's neighbour. */
const TLS_LOCK = 7717_0019;

async function stored(c: pg.Pool | pg.PoolClient): Promise<PemPair | undefined> {
  const rows = (await c.query("SELECT key, value FROM relay_meta WHERE key IN ('tls_cert', 'tls_key')")).rows as {
    key: string;
    value: Buffer;
  }[];
  const cert = rows.find((r) => r.key === 'tls_cert')?.value.toString('utf8');
  const key = rows.find((r) => r.key === 'tls_key')?.value.toString('utf8');
  return cert !== undefined && key !== undefined ? { certPem: cert, keyPem: key } : undefined;
}

/**
 * The pair every relay on the database serves; `offer` is asked for ours only if none is stored yet.
 * @returns the pair, and whether it is the one `offer` gave (this relay set the database's identity)
 */
export async function sharedTlsPair(
  pool: pg.Pool,
  offer: () => Promise<PemPair>,
): Promise<PemPair & { offered: boolean }> {
  const found = await stored(pool);
  if (found) return { ...found, offered: false };
  const mine = await offer();
  return transaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [TLS_LOCK]);
    const other = await stored(c); // another relay may have got here first
    if (other) return { ...other, offered: false };
    await c.query("INSERT INTO relay_meta (key, value) VALUES ('tls_key', $1), ('tls_cert', $2)", [
      Buffer.from(mine.keyPem),
      Buffer.from(mine.certPem),
    ]);
    return { ...mine, offered: true };
  });
}
