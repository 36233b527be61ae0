/** The backup's seen ids (§13.2, issue 14 finding 13): carried, bounded, and optional for older backups. */
import { generateIdentity, randomMessageId, toHex } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { exportBackup, importBackup } from './backup.js';
import { MAX_SEEN_IDS } from './store/seen.js';

// The lowest cost checkScryptParams accepts: the KDF is not what these tests are about.
const CHEAP = { logN: 10, r: 8, p: 1 };

describe('backup seen ids', () => {
  it('round-trips the seen ids, and reads a backup that has none as an empty set', async () => {
    const identity = generateIdentity();
    const seenIds = [toHex(randomMessageId()), toHex(randomMessageId())];
    const back = await importBackup(
      exportBackup({ identity, config: undefined, contacts: [], seenIds }, 'pw', CHEAP),
      'pw',
    );
    expect(back.seenIds).toEqual(seenIds);
    const none = await importBackup(
      exportBackup({ identity, config: undefined, contacts: [], seenIds: [] }, 'pw', CHEAP),
      'pw',
    );
    expect(none.seenIds).toEqual([]);
  });

  it('refuses more than MAX_SEEN_IDS ids', async () => {
    const identity = generateIdentity();
    const seenIds = Array.from({ length: MAX_SEEN_IDS + 1 }, (_, i) => i.toString(16).padStart(32, '0'));
    const text = exportBackup({ identity, config: undefined, contacts: [], seenIds }, 'pw', CHEAP);
    await expect(importBackup(text, 'pw')).rejects.toMatchObject({ code: 'BAD_BACKUP' });
  });
});
