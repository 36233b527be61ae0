/**
 * The notice of a recovered v2 session (PROTOCOL.md §24.7) in the interactive session: one line in that peer's
 * conversation, on either side, with the name made inert; no relay (nothing is started).
 */
import { generateIdentity } from '@chat/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../../test/helpers.js';
import { recoveryNotice } from '../commands/recovery-notice.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { localEngine } from '../session/local.js';
import { ChatController } from './controller.js';

describe('the recovery notice (§24.7)', () => {
  let t: TempDir;
  let m: Messenger;
  beforeAll(async () => {
    t = tempDir('recovery-notice');
    const profile = new Profile(`${t.dir}/bob`);
    profile.saveIdentity(generateIdentity());
    profile.saveConfig({ version: 1, username: 'bob', relay: '127.0.0.1:1', relayId: '01'.repeat(32) });
    m = await Messenger.open(profile);
  });
  afterAll(() => {
    m.close();
    t.cleanup();
  });

  it("shows one line in the peer's conversation for each side", () => {
    const c = new ChatController(localEngine(m), { initial: 'alice', write: () => {} });
    const texts = (): string[] => c.view().items.flatMap((x) => (x.type === 'message' ? [] : [x.text]));
    const ids = ['00'.repeat(16), '11'.repeat(16)];
    m.emit('recovery', { type: 'recovery', action: 'asked', peer: 'alice', ids });
    m.emit('recovery', { type: 'recovery', action: 'resent', peer: 'alice', ids: ids.slice(1) });
    expect(texts()).toEqual([
      'could not decrypt 2 messages from alice (the session was lost); asked alice to send them again',
      'alice could not decrypt 1 of your messages (a lost session); sent them again',
    ]);
  });

  it('makes the name inert', () => {
    const line = recoveryNotice({ type: 'recovery', action: 'asked', peer: 'al\u001b]0;owned\u0007ice', ids: [] });
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});
