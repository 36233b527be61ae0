/**
 * The blobs directory, opened file by file without trusting a path (review 2 of 2026-12-06, finding 1). The blob id
 * names the file and is the client's choice, and the relay is often root: a `<bid>.bin` that is a symlink, or a hard
 * link to another file, would have the relay write attacker bytes into, or serve, any file on the host. So every open
 * refuses a symlink (O_NOFOLLOW), a new file is created only where none is (O_CREAT | O_EXCL, after unlinking a stale
 * one, which removes a link and never its target), and the opened descriptor must be a regular file with one link,
 * owned by the relay's user or root. The directory itself must be the one first seen (same device and inode): the
 * start-up check of its ancestors (data-dir.ts) keeps others from swapping it, and this re-check is the second wall.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '@chat/protocol/dirs';
import { checkStats } from '../data-dir.js';
import { DataDirUnsafeError } from '../errors.js';

export class BlobDir {
  private id: { dev: number; ino: number } | undefined;

  constructor(
    readonly path: string,
    private readonly uid: number | undefined = process.getuid?.(),
  ) {}

  /** True if the directory exists (checked, as `verify`). */
  exists(): boolean {
    try {
      lstatSync(this.path);
    } catch {
      return false;
    }
    this.verify(false);
    return true;
  }

  /** Refuses a directory that is a link, another user's, writable by others or not the one first seen. */
  verify(create: boolean): void {
    if (create) makeDirs(this.path, 0o700);
    const st = lstatSync(this.path);
    if (!st.isDirectory()) {
      throw new DataDirUnsafeError(`${this.path} is not a directory (a symbolic link?)`, `remove ${this.path}`);
    }
    checkStats(this.path, st, this.uid, false);
    if (this.id === undefined) this.id = { dev: st.dev, ino: st.ino };
    else if (this.id.dev !== st.dev || this.id.ino !== st.ino) {
      throw new DataDirUnsafeError(
        `${this.path} was replaced while the relay ran: another directory stands at its path`,
        'stop the relay and find out who could write the data directory',
      );
    }
  }

  /** Opens `name` (O_RDONLY or O_RDWR) if it is a file of the relay's own. */
  open(name: string, flags: number): number {
    this.verify(false);
    return this.checked(join(this.path, name), flags | constants.O_NOFOLLOW);
  }

  /** Creates `name` afresh (0600, write-only): whatever stood at its name is unlinked first, never opened. */
  create(name: string): number {
    this.verify(true);
    const path = join(this.path, name);
    rmSync(path, { force: true });
    return this.checked(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW);
  }

  private checked(path: string, flags: number): number {
    let fd: number;
    try {
      fd = openSync(path, flags, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
        throw new DataDirUnsafeError(`${path} is a symbolic link: the relay does not follow it`, `remove ${path}`);
      }
      throw err;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1) {
        throw new DataDirUnsafeError(
          `${path} is not a regular file of its own (${st.nlink} links): the relay does not use it`,
          `remove ${path}`,
        );
      }
      checkStats(path, st, this.uid, false);
      return fd;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }
}
