/**
 * The built `chat-relay` refuses a data directory another local user could have planted (review 2026-12-06,
 * finding 3; the reviewer's /tmp/rev-datadir-plant.sh): a world-writable directory holding relay.json and a TLS pair
 * made by uid 65534. Before, root started the relay there with the planted admin and certificate.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { RELAY_JS, runBin } from './run-bin.js';
import { tempDir } from '../fixtures/temp.js';

const t = tempDir('data-dir-bin');
afterAll(() => t.cleanup());

/** Runs the relay until it exits, or until it prints its address (then it is stopped: it served). */
function start(dir: string): Promise<{ code: number | null; served: boolean; stderr: string }> {
  const proc = spawn(process.execPath, [RELAY_JS, '--data', dir, '--port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let served = false;
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    if (d.toString().includes('chat-relay address')) {
      served = true;
      proc.kill('SIGTERM');
    }
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, served, stderr })));
}

it('refuses a world-writable data directory with planted files: exit 1, DATA_DIR_UNSAFE and a hint', async () => {
  const dir = join(t.dir, 'shared');
  mkdirSync(dir);
  chmodSync(dir, 0o1777);
  const relayJson = join(dir, 'relay.json');
  writeFileSync(relayJson, JSON.stringify({ admins: ['mallory:00000000000000000000000000000000'] }), { mode: 0o644 });
  if (process.getuid?.() === 0) chownSync(relayJson, 65534, 65534);
  const r = await start(dir);
  expect(r.served).toBe(false);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(
    /^chat-relay: error: .*(writable by group or others|belongs to another user).*\(DATA_DIR_UNSAFE\)$/m,
  );
  expect(r.stderr).toMatch(/^chat-relay: hint: (chmod|chown|if its content)/m);
});

it('chat-relay admin and status refuse it too: they would talk to a control socket someone else could plant', async () => {
  const dir = join(t.dir, 'shared-admin');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  for (const args of [['admin', 'users'], ['status']]) {
    const r = await runBin(RELAY_JS, [...args, '--data', dir]);
    expect(r.code, args.join(' ')).toBe(1);
    expect(r.stderr).toMatch(/^chat-relay: error: .*writable by group or others \(mode 0777\).*\(DATA_DIR_UNSAFE\)$/m);
    expect(r.stderr).toMatch(new RegExp(`^chat-relay: hint: chmod go-w ${dir}$`, 'm'));
  }
});
