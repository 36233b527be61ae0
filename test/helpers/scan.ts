/**
 * Scanning files for plaintext (issue 13, "no plaintext body in any file"): each body raw, in hex (both cases) and in
 * base64, in every regular file under a directory (a database, its -wal, -shm and -journal, keys, sockets' dirs).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Each body's raw, hex and base64 forms. */
export function forms(body: string): Buffer[] {
  const b = Buffer.from(body, 'utf8');
  return [
    b,
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('hex').toUpperCase()),
    Buffer.from(b.toString('base64')),
  ];
}

/** `file: form` for every regular file under `dir` holding any form of any body. */
export function scan(dir: string, bodies: readonly string[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    let bytes: Buffer;
    try {
      if (!statSync(path).isFile()) continue;
      bytes = readFileSync(path);
    } catch (err) {
      // A file the running program removed between the listing and the read (a -journal, a .part) holds nothing now.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const body of bodies)
      for (const f of forms(body)) if (bytes.includes(f)) found.push(`${name}: ${f.toString().slice(0, 24)}`);
  }
  return found;
}
