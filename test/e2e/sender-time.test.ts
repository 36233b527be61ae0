/**
 * Sender-chosen timestamps (issue 14, finding 13; SECURITY.md "Sender-chosen timestamps"). The §4 `ts` is signed by
 * the sender but chosen by them: a backdated message must not slide up into the history, 2^53−1 must not pin a
 * message last or draw "????", and a restore from `chat key import` must not show as new an envelope the relay
 * delivers again. A hostile client (mallory) seals envelopes with the ts it likes; bob runs the real binaries, his
 * session in a real terminal (tmux).
 */
import { join } from 'node:path';
import { MessageKind, randomMessageId, sealEnvelope, utf8 } from '@chat/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Messenger } from '../../packages/cli/src/engine/messenger.js';
import { makeUser } from '../../packages/cli/test/helpers.js';
import { chat, jsonLines, newUser } from './harness.js';
import { relayBinary as startRelay, type BinaryRelay as Relay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { Tmux } from './tmux.js';

/** mallory's client: sends `body` to `to` with the signed ts `ts`, under `id` (a fresh one unless given). */
async function sendAt(
  profile: Parameters<typeof Messenger.open>[0],
  to: string,
  body: string,
  ts: number,
  id = randomMessageId(),
): Promise<Uint8Array> {
  const m = await Messenger.open(profile);
  try {
    await m.withConnectionFor(async (c) => {
      const contact = await m.lookupAndPin(to, c);
      const env = sealEnvelope(
        { kind: MessageKind.text, from: m.username, to, id, ts, body: utf8(body) },
        m.identity.identity.secretKey,
        contact.encryptionPublicKey,
      );
      await c.send(to, id, env);
    });
  } finally {
    m.close();
  }
  return id;
}

describe('sender-chosen timestamps', () => {
  let t: ReturnType<typeof tempDir>;
  let relay: Relay;
  const term = new Tmux();

  beforeAll(async () => {
    Tmux.check();
    t = tempDir('sender-time');
    relay = await startRelay(`${t.dir}/relay`);
  });
  afterAll(async () => {
    term.kill();
    await relay.stop();
    t.cleanup();
  });

  it('history is in receive order: a backdated message and one dated 2^53−1 land where they arrived, with a sane time', async () => {
    const bob = await newUser(t.dir, 'bob', relay);
    const { profile } = await makeUser(t.dir, 'mallory', relay.address);
    await sendAt(profile, 'bob', 'one first', Date.now());
    expect((await chat(['recv'], { home: bob })).code).toBe(0);
    await sendAt(profile, 'bob', 'two backdated', Date.UTC(2001, 0, 1, 10, 0));
    await sendAt(profile, 'bob', 'three pinned', Number.MAX_SAFE_INTEGER);
    const plain = await chat(['recv'], { home: bob });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('?');
    // The local receive time leads; the sender's claim follows only because it is far off.
    expect(plain.stdout).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] mallory: two backdated \(sent 2001-01-01 10:00 by their clock\)$/m,
    );
    expect(plain.stdout).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] mallory: three pinned \(sent at an unknown time by their clock\)$/m,
    );
    await sendAt(profile, 'bob', 'four now', Date.now());
    const json = jsonLines<{ body: string; ts: number; receivedAt: number }>(
      (await chat(['recv', '--json'], { home: bob })).stdout,
    );
    expect(json).toHaveLength(1);
    expect(typeof json[0]!.receivedAt).toBe('number');

    term.start('bob', bob, [], { columns: 100, rows: 20 });
    await term.waitFor('bob', /^ online .*bob@/m);
    term.keys('bob', 'C-n');
    const screen = await term.waitFor('bob', /four now/);
    const order = ['one first', 'two backdated', 'three pinned', 'four now'].map((b) => screen.indexOf(b));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(screen).not.toMatch(/NaN|\?\?/);
    expect(screen).toContain('(sent 2001-01-01 10:00 by their clock)');
    expect(screen.replace(/\s+/g, ' ')).toContain('three pinned (sent at an unknown time by their clock)');
  });

  it('key import keeps the seen ids: an envelope the relay delivers again after a restore is not new', async () => {
    const carol = await newUser(t.dir, 'carol', relay);
    const { profile } = await makeUser(t.dir, 'mallory2', relay.address);
    const id = await sendAt(profile, 'carol', 'said once', Date.now());
    expect((await chat(['recv'], { home: carol })).stdout).toContain('said once');
    const env = { CHAT_BACKUP_PASSPHRASE: 'backup secret' };
    const backup = join(t.dir, 'carol-backup.txt');
    expect((await chat(['key', 'export', '--out', backup], { home: carol, env })).code).toBe(0);
    // The same envelope id on the relay again (a replay, or one whose ack was lost before the restore).
    await sendAt(profile, 'carol', 'said once', Date.now(), id);
    const fresh = join(t.dir, 'carol-restored');
    // Restored without a passphrase: the seen ids are under test, not how the keys are sealed (no scrypt to seal and
    // to unlock for the recv below).
    expect((await chat(['key', 'import', '--no-passphrase', backup], { home: fresh, env })).code).toBe(0);
    const again = await chat(['recv', '--json'], { home: fresh });
    expect(again.code).toBe(0);
    expect(jsonLines(again.stdout)).toEqual([]);
  });
});
