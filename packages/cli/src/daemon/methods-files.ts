/**
 * Files (docs/JSONRPC.md, "Files"; PROTOCOL.md §16): `sendFile`, `listFiles`, `acceptFile`, `declineFile`, the engine
 * functions of `chat send-file` and `chat files`. Paths are absolute: the daemon does not run in the caller's directory.
 */
import { acceptFile, declineFile } from '../engine/files/download.js';
import { sendFile } from '../engine/files/upload.js';
import type { Messenger } from '../engine/messenger.js';
import type { Register } from './register.js';
import { fileObject } from './objects.js';
import { absolutePath, stringParam } from './params.js';
import { badParam } from './rpc-errors.js';

type FilesEngine = Parameters<typeof sendFile>[0] & Parameters<typeof acceptFile>[0] & Pick<Messenger, 'store'>;

export function registerFileMethods(method: Register<FilesEngine>): void {
  method('sendFile', async ({ engine }, p) => {
    const path = absolutePath(p, 'path');
    if (path === undefined) throw badParam('path', 'an absolute path');
    // Returns once the file is uploaded and the offer stored by the relay, as `chat send-file` exits.
    return fileObject(await sendFile(engine, stringParam(p, 'recipient'), path));
  });
  method('listFiles', ({ engine }) => engine.store.files.list().map(fileObject));
  method('acceptFile', async ({ engine, downloads }, p) => {
    const dir = absolutePath(p, 'dir') ?? downloads;
    return fileObject(await acceptFile(engine, stringParam(p, 'id'), dir));
  });
  method('declineFile', async ({ engine, downloads }, p) =>
    fileObject(await declineFile(engine, stringParam(p, 'id'), absolutePath(p, 'dir') ?? downloads)),
  );
}
