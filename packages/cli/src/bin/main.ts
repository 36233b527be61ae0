#!/usr/bin/env node
/**
 * The `chat` binary. `npm run build` bundles this file with the code it imports into dist/bin/chat.js
 * (packages/cli/scripts/bundle.mjs): one file to read and compile at start-up instead of ~150 modules.
 */
import { parseWithYargs } from './cli.js';

// `chat recv | head -1`: a closed stdout must not crash the process before it has acknowledged what it committed.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

await parseWithYargs(process.argv.slice(2)); // what yargs' hideBin returns for node
