/**
 * `mkdir -p` for the relay's data directory and the client's profile and download directories: a helper both programs
 * need that is not about the wire, kept here because the relay and the client share nothing else
 * (`@chat/protocol/dirs`, not part of the codec's index; `./output` is the other).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` with `mode` for each directory it creates. Not Node's `mkdirSync(…, { recursive: true })`: on Node 20,
 * under /proc (`--data /proc/nonexistent/x`, a `CHAT_HOME` or a download directory there) that loops for ever between
 * ENOENT and EEXIST at 100 % CPU. Here the missing directories are created one by one from the deepest one that
 * exists, so a parent that cannot be created is the error it is (ENOENT, EACCES, ENOTDIR). An existing directory is
 * left as it is; a path that exists as something else (a file, a link to one) is ENOTDIR, as `mkdir -p` says.
 * @throws the `mkdirSync` error of the first directory that cannot be created, or ENOTDIR / ENOENT (a dangling link)
 *   when `path` is not a directory afterwards.
 * @example makeDirs('/var/lib/chat-relay/blobs', 0o700)
 */
export function makeDirs(path: string, mode: number): void {
  const missing: string[] = [];
  for (let p = resolve(path); !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const target = resolve(path);
  if (!statSync(target).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${target}'`), {
      code: 'ENOTDIR',
      syscall: 'mkdir',
      path: target,
    });
  }
}
