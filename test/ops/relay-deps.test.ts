/**
 * chat-relay checks every login's signatures with libsodium (sodium-native): an install without that package stops at
 * start-up with exit 1, saying what is missing, instead of listening and then refusing every client (as it did, with
 * AUTH_FAILED, before sodium-native was a dependency of its own). The relay runs from a copy of its built bundle whose
 * node_modules links every dependency of packages/relay but the one under test; the same copy with it starts.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp.js';
import { ROOT } from './run-bin.js';

const t = tempDir('relay-deps');
afterAll(() => t.cleanup());

/** A copy of the built relay in `name`, its node_modules linking packages/relay's dependencies but those left out. */
function install(name: string, without: readonly string[]): string {
  const pkg = join(t.dir, name);
  cpSync(join(ROOT, 'packages/relay/dist/bin'), join(pkg, 'dist/bin'), { recursive: true });
  cpSync(join(ROOT, 'packages/relay/package.json'), join(pkg, 'package.json'));
  const modules = join(ROOT, 'packages/relay/node_modules');
  mkdirSync(join(pkg, 'node_modules'));
  for (const dep of readdirSync(modules)) {
    if (dep.startsWith('.') || without.includes(dep)) continue;
    symlinkSync(realpathSync(join(modules, dep)), join(pkg, 'node_modules', dep));
  }
  return join(pkg, 'dist/bin/chat-relay.js');
}

/**
 * Starts the relay at `bin` on a data directory of its own: whether it printed its `listening` line (then it is
 * stopped with SIGTERM), its exit code and stderr.
 */
function start(bin: string, data: string): Promise<{ listening: boolean; code: number | null; stderr: string }> {
  const relay = spawn(process.execPath, [bin, '--data', join(t.dir, data), '--host', '127.0.0.1', '--port', '0'], {
    // Not this process's environment: pnpm's shims set NODE_PATH to its store, where Node would find the package.
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr, listening] = ['', '', false];
  relay.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!listening && stdout.includes('chat-relay listening on')) {
      listening = true;
      relay.kill('SIGTERM');
    }
  });
  relay.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    relay.once('error', reject);
    relay.once('close', (code) => resolve({ listening, code, stderr }));
  });
}

it('without sodium-native: exit 1 before listening, naming the package, with a hint', async () => {
  const r = await start(install('without', ['sodium-native']), 'data-without');
  expect(r.listening).toBe(false);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^chat-relay: error: libsodium: the package sodium-native is not installed where /m);
  expect(r.stderr).toMatch(/^chat-relay: hint: reinstall chat-relay/m);
});

it('the same copy with sodium-native listens (so the missing package is what stopped the other)', async () => {
  const r = await start(install('with', []), 'data-with');
  expect(r.listening).toBe(true);
  expect(r.code).toBe(0); // stopped by its SIGTERM
});
