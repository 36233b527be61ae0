import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { describeBlobs } from './blobs.suite.js';
import { BlobStore, fileBlobs } from './store.js';

const tmp = tempDir('relay-blobs');
afterAll(() => tmp.cleanup());
let n = 0;

describeBlobs('files', async (limits) => fileBlobs(new BlobStore(join(tmp.dir, `blobs-${n++}`), limits)));
