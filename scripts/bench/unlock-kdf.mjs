// One unlock of a passphrase-sealed identity.json (PROTOCOL.md §13.1) at the old (logN 15) and the new (logN 17)
// scrypt cost: Profile.unlockIdentity from the built engine, re-wrap off, 5 runs each interleaved, median.
// Usage: npm run build && node scripts/bench/unlock-kdf.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity } from '@chat/crypto';
import { writePrivateFileAtomic } from '../../packages/cli/dist/engine/files.js';
import { encryptIdentity } from '../../packages/cli/dist/engine/keyfile.js';
import { Profile } from '../../packages/cli/dist/engine/profile.js';

const RUNS = 5;
const dir = mkdtempSync(join(tmpdir(), 'unlock-kdf-'));
try {
  const id = generateIdentity();
  const profiles = {};
  for (const logN of [15, 17]) {
    const p = new Profile(join(dir, `n${logN}`));
    writePrivateFileAtomic(p.identityPath, JSON.stringify(encryptIdentity(id, 'bench', 'x', { logN, r: 8, p: 1 })));
    profiles[logN] = { profile: p, ms: [] };
  }
  for (let i = 0; i < RUNS; i++) {
    for (const logN of [15, 17]) {
      const t0 = process.hrtime.bigint();
      await profiles[logN].profile.unlockIdentity('bench', { rewrap: false });
      profiles[logN].ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  for (const logN of [15, 17]) {
    const ms = profiles[logN].ms.toSorted((a, b) => a - b);
    console.log(
      `logN ${logN} r 8 p 1: median ${ms[RUNS >> 1].toFixed(0)} ms (runs ${profiles[logN].ms.map((x) => x.toFixed(0)).join(', ')})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
