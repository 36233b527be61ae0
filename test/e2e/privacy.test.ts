/**
 * No plaintext at rest (issue 13): the relay stores only ciphertext, and after a v2 conversation (texts, an edit, a
 * file offer and its transfer) no file of the relay's data directory or of either client profile (databases with
 * their -wal, -shm and -journal, keys) holds any body, file name or file content, raw, hex or base64: while the relay
 * and a daemon run, and after everything stopped.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, jsonLines, newUser, startChat } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { openProfileDb } from '../helpers/profile-db.js';
import { scan } from '../helpers/scan.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('what the relay keeps', () => {
  let t: TempDir;
  let relay: InProcessRelay;

  beforeAll(async () => {
    t = tempDir('privacy');
    relay = await relayInProcess(`${t.dir}/relay`);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('never holds plaintext, whether delivered, waiting, or streamed to a follower', async () => {
    const alice = await newUser(t.dir, 'alice', relay);
    const bob = await newUser(t.dir, 'bob', relay);
    const secrets = [
      'PLAINTEXT-CANARY-delivered-7f3a',
      'PLAINTEXT-CANARY-waiting-91bc',
      'PLAINTEXT-CANARY-followed-c0de',
    ];
    const logs: string[] = [];

    expect((await chat(['send', 'bob', secrets[0] ?? ''], { home: alice })).code).toBe(0);
    const r = await chat(['recv'], { home: bob });
    expect(r.stdout).toContain(secrets[0]);
    logs.push(r.stderr);

    const follower = startChat(['recv', '--follow'], { home: alice });
    const s = await chat(['send', 'alice', secrets[2] ?? ''], { home: bob });
    logs.push(s.stderr);
    await follower.waitFor(new RegExp(secrets[2] ?? ''));
    follower.proc.kill('SIGTERM');
    logs.push((await follower.exit).stderr);

    // Left waiting in bob's mailbox.
    const w = await chat(['send', 'bob', '-'], { home: alice, stdin: secrets[1] ?? '' });
    expect(w.code).toBe(0);
    logs.push(w.stderr);

    // Stop the relay so that everything it buffers is on disk, then read every byte it wrote.
    await relay.stop();
    const files = filesUnder(relay.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of secrets)
        expect(bytes.includes(Buffer.from(secret)), `${file} contains ${secret}`).toBe(false);
    }
    // Clients never put a body on stderr.
    for (const log of logs) for (const secret of secrets) expect(log).not.toContain(secret);
    relay = await relayInProcess(`${t.dir}/relay`);
  });
  it('a v2 conversation leaves no body, file name or file content in any file of the relay or either profile', async () => {
    const erin = await newUser(t.dir, 'erin', relay);
    const frank = await newUser(t.dir, 'frank', relay);
    const first = 'CANARY-v2-first-contact-5e1d';
    const second = 'CANARY-v2-in-the-session-77a0';
    const reply = 'CANARY-v2-the-answer-c41b';
    const edited = 'CANARY-v2-edited-text-0f93';
    const fileName = 'canary-v2-file-name-4b7e.txt';
    const fileText = 'CANARY-v2-file-content-a9f2\n';
    const secrets = [first, second, reply, edited, fileName, fileText];
    const src = join(t.dir, 'src');
    const downloads = join(t.dir, 'downloads');
    mkdirSync(src);
    mkdirSync(downloads);
    writeFileSync(join(src, fileName), fileText.repeat(100));
    const everywhere = (): string[] => [
      ...scan(relay.dataDir, secrets).map((f) => `relay/${f}`),
      ...scan(erin, secrets).map((f) => `erin/${f}`),
      ...scan(frank, secrets).map((f) => `frank/${f}`),
    ];

    // frank's daemon holds his database open (its WAL and -shm exist) and receives live.
    const daemon = startChat(['daemon', '--json'], { home: frank });
    await daemon.waitFor(/"event":"connection","state":"online"/);
    const sent = jsonLines<{ id: string }>((await chat(['send', '--json', 'frank', first], { home: erin })).stdout);
    expect((await chat(['send', 'frank', second], { home: erin })).code).toBe(0);
    const got = jsonLines<{ body: string }>((await chat(['recv', '--json'], { home: frank })).stdout);
    expect(got.map((m) => m.body)).toEqual([first, second]);
    expect((await chat(['send', 'erin', reply], { home: frank })).code).toBe(0);
    expect((await chat(['recv'], { home: erin })).stdout).toContain(reply);
    const offered = await chat(['send-file', 'frank', join(src, fileName), '--json'], { home: erin });
    expect(offered.code).toBe(0);
    const offerId = jsonLines<{ id: string }>(offered.stdout).at(-1)!.id;
    expect((await chat(['edit', sent[0]!.id, edited], { home: erin })).code).toBe(0);
    // The daemon shows the edit once it has it, and the offer came before it (file offers are not replayed to recv).
    const r = jsonLines<{ type?: string }>((await chat(['recv', '--json'], { home: frank })).stdout);
    expect(r.map((e) => e.type)).toEqual(['edit']);
    const files = jsonLines<{ id: string }>((await chat(['files', '--json'], { home: frank })).stdout);
    expect(files.map((f) => f.id)).toEqual([offerId]);
    // Running, with the file's chunks waiting on the relay: nothing anywhere.
    expect(readdirSync(frank)).toContain('chat.db-wal');
    expect(everywhere()).toEqual([]);
    const accepted = await chat(['files', 'accept', offerId.slice(0, 8), '--dir', downloads], { home: frank });
    expect(accepted.code).toBe(0);
    expect((await chat(['recv'], { home: erin })).code).toBe(0);
    expect(everywhere()).toEqual([]);

    daemon.proc.kill('SIGTERM');
    await daemon.exit;
    await relay.stop();
    expect(everywhere()).toEqual([]);
    // The scan can fail: the downloaded file holds the content in the clear (where the user asked for it), and the
    // conversation went in v2 sessions, whose history the profile's key reads.
    expect(scan(downloads, [fileText])).not.toEqual([]);
    const db = openProfileDb(frank, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM v2_sessions').get() as { n: number }).n).toBeGreaterThan(0);
    expect(db.prepare('SELECT body FROM messages WHERE body = ?').all(edited)).toHaveLength(1);
    db.close();
    relay = await relayInProcess(`${t.dir}/relay`);
  });
});
