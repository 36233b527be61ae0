/**
 * The history encrypted at rest (issue 13 item 8, PROTOCOL.md §13.3), through the built binaries: distinctive bodies
 * sent and received, then every file of the profile directory (chat.db, its -wal, -shm and -journal, identity.json,
 * the daemon's socket directory) scanned for each body raw, in hex and in base64. A passphrase-protected profile shows
 * none; a `--no-passphrase` profile shows none either, but the key to chat.db is in its identity.json in the clear:
 * the same scan documents that its history is readable from the profile alone.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PrekeyType } from '@chat/crypto';
import { Profile } from '@chat/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../packages/cli/src/engine/store/store.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { openProfileDb } from '../helpers/profile-db.js';
import { scan } from '../helpers/scan.js';
import { chat, jsonLines, newUser, startChat, type Running } from './harness.js';

describe('the history at rest (§13.3)', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  let alice: string;
  let bob: string;
  let carol: string;
  let daemon: Running | undefined;
  const toBob = 'zebra-quartz-41 at the harbour';
  const toAlice = 'nightjar-copper-77 says hello';
  const toCarol = 'marmot-saffron-93 unprotected';
  beforeAll(async () => {
    t = tempDir('e2e-at-rest');
    relay = await relayInProcess(join(t.dir, 'relay'));
    alice = await newUser(t.dir, 'alice', relay, { sealed: true }); // keys under TEST_PASSPHRASE
    bob = await newUser(t.dir, 'bob', relay, { sealed: true });
    carol = await newUser(t.dir, 'carol', relay); // unencrypted keys, as `chat keygen --no-passphrase` writes
  });
  afterAll(async () => {
    daemon?.proc.kill('SIGTERM');
    await daemon?.exit;
    await relay.stop();
    t.cleanup();
  });

  it('a passphrase profile: no body in any file, with the daemon running (WAL open) and after', async () => {
    daemon = startChat(['daemon', '--json'], { home: bob });
    await daemon.waitFor(/"event":"connection","state":"online"/);
    expect((await chat(['send', 'bob', toBob], { home: alice })).code).toBe(0);
    const received = await chat(['recv', '--json'], { home: bob, env: { CHAT_PASSPHRASE: undefined } });
    expect(jsonLines(received.stdout).map((m) => m.body)).toEqual([toBob]);
    expect((await chat(['send', 'alice', toAlice], { home: bob, env: { CHAT_PASSPHRASE: undefined } })).code).toBe(0);
    expect((await chat(['recv'], { home: alice })).code).toBe(0);
    // Through the daemon's storage key: no passphrase, and the history is there.
    const h = await chat(['history', 'alice', '--json'], { home: bob, env: { CHAT_PASSPHRASE: undefined } });
    expect(h.code).toBe(0);
    expect(jsonLines(h.stdout).map((e) => e.body)).toEqual([toBob, toAlice]);
    expect(readdirSync(bob)).toContain('chat.db-wal'); // the daemon holds the database open: the WAL is scanned too
    expect(scan(bob, [toBob, toAlice])).toEqual([]);
    daemon.proc.kill('SIGTERM');
    await daemon.exit;
    daemon = undefined;
    for (const home of [alice, bob]) expect(scan(home, [toBob, toAlice])).toEqual([]);
    // The scan can fail: the bodies are in the database, as its key reads it.
    const db = openProfileDb(bob, { readonly: true });
    expect(db.prepare('SELECT body FROM messages ORDER BY ts').all()).toHaveLength(2);
    db.close();
  });

  it('without the daemon a reader needs the passphrase (PASSPHRASE_REQUIRED, exit 7), then reads the history', async () => {
    const locked = await chat(['history', 'alice'], { home: bob, env: { CHAT_PASSPHRASE: undefined } });
    expect(locked.code).toBe(7);
    expect(locked.stderr).toContain('(PASSPHRASE_REQUIRED)');
    const wrong = await chat(['search', 'zebra'], { home: bob, env: { CHAT_PASSPHRASE: 'not it' } });
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toContain('(BAD_PASSPHRASE)');
    const found = await chat(['search', 'zebra', '--json'], { home: bob });
    expect(jsonLines(found.stdout).map((e) => e.body)).toEqual([toBob]);
  });

  it('a --no-passphrase profile: chat.db is still ciphertext, but its key lies in identity.json (documented)', async () => {
    expect((await chat(['send', 'carol', toCarol], { home: alice })).code).toBe(0);
    expect((await chat(['recv'], { home: carol })).code).toBe(0);
    expect(scan(carol, [toCarol])).toEqual([]);
    // Whoever copies the profile reads the history with nothing else: the key is in identity.json, unwrapped.
    const identity = JSON.parse(readFileSync(join(carol, 'identity.json'), 'utf8')) as Record<string, unknown>;
    expect(typeof identity.storageKey).toBe('string');
    const db = openProfileDb(carol, { readonly: true });
    expect(db.prepare('SELECT body FROM messages').all()).toEqual([{ body: toCarol }]);
    db.close();
    const who = await chat(['whoami'], { home: carol });
    expect(who.stdout).toMatch(/history +NOT protected/);
    const whoJson = JSON.parse((await chat(['whoami', '--json'], { home: carol })).stdout) as Record<string, unknown>;
    expect(whoJson).toMatchObject({ keys: 'unencrypted', history: 'unprotected' });
  });

  it('keygen --force keeps the history when its key can be had, else sets it aside with a warning', async () => {
    // carol's keys are unprotected: the new keys keep her storage key, and her history still opens.
    const v2State = async () => {
      const store = Store.open(join(carol, 'chat.db'), (await new Profile(carol).unlockKeys(undefined)).storageKey);
      try {
        return { sessions: store.v2.sessions('alice').length, prekeys: store.v2.live(PrekeyType.x25519OneTime).length };
      } finally {
        store.close();
      }
    };
    const before = await v2State();
    expect(before.sessions).toBeGreaterThan(0); // alice's message to her came in a v2 session
    expect(before.prekeys).toBeGreaterThan(0);
    const k = await chat(['keygen', '--force', '--no-passphrase'], { home: carol });
    expect(k.code).toBe(0);
    const h = await chat(['history', 'alice', '--json'], { home: carol });
    expect(jsonLines(h.stdout).map((e) => e.body)).toEqual([toCarol]);
    // Not the old identity's sessions and prekeys (hunt3: her contacts went on accepting the old sessions as hers).
    expect(await v2State()).toEqual({ sessions: 0, prekeys: 0 });
    // bob's are sealed and no daemon runs: the old history cannot be opened by the new keys; it is moved aside.
    const b = await chat(['keygen', '--force'], { home: bob });
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/moved it to .*chat\.db\.replaced-/);
    expect(readdirSync(bob).some((f) => f.startsWith('chat.db.replaced-'))).toBe(true);
    const empty = await chat(['history', 'alice', '--json'], { home: bob });
    expect(empty).toMatchObject({ code: 0, stdout: '' });
  });
});
