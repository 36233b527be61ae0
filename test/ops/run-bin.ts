/**
 * The built binaries run to completion with a clean environment, for the install-and-habits tests (version,
 * completion, man pages). Kept apart from the e2e harness: these tests need nothing but a process and its output.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHAT_JS = join(ROOT, 'packages/cli/dist/bin/chat.js');
export const RELAY_JS = join(ROOT, 'packages/relay/dist/bin/chat-relay.js');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args` (a command, or a .js file run by this node) with HOME at a path that does not exist. */
export function runBin(file: string, args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  const [cmd, argv] = /\.m?js$/.test(file) ? [process.execPath, [file, ...args]] : [file, [...args]];
  const proc = spawn(cmd, argv, {
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', CHAT_HOME: '/nonexistent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
