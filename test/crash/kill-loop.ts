/**
 * The receiving kill loop of the crash tests (kill-client.test.ts, kill-v2.test.ts): rounds of the real
 * `chat recv --follow --json`, each SIGKILLed after its k-th message line, k seeded. The kill is placed by the
 * client's own output, not by a clock, so it lands while the drain runs however busy the machine is: the client
 * commits a batch before printing it and is then already checking the next one.
 */
import { spawn } from 'node:child_process';
import { expect, onTestFailed } from 'vitest';
import { CHAT_BIN } from '../e2e/harness.js';

/** One line of `chat recv --json`. */
export interface RecvLine {
  type?: string;
  id?: string;
  body?: string;
  code?: string;
}

/** What one killed `chat recv` wrote: its complete JSON lines (a kill may cut the last one) and its stderr. */
export interface KilledRecv {
  lines: RecvLine[];
  stderr: string;
}

export interface KillLoop {
  /** The receiver's environment (`CHAT_HOME`, and a passphrase if its keys need one). */
  env: NodeJS.ProcessEnv;
  /** At most this many rounds. */
  rounds: number;
  /** Each round is killed after a seeded 1..this many message lines (and never more than `fresh()`). */
  maxLines: number;
  random: () => number;
  /** Shown with the last stderr if the test fails. */
  seed: number;
  /** Messages waiting that are not in the history yet: what the next round will print. The loop ends at 0. */
  fresh: () => number;
  /** The checks after each kill (`kill` counts from 1). */
  afterKill: (killed: KilledRecv, kill: number) => void;
}

/** Runs the rounds (see the file comment); returns how many kills there were. */
export async function killRecvRounds(o: KillLoop): Promise<number> {
  let stderr = '';
  onTestFailed(() => console.error(`[crash] seed ${o.seed}; stderr of the last chat recv:\n${stderr}`));
  let kills = 0;
  for (let round = 0; round < o.rounds; round++) {
    const fresh = o.fresh();
    if (fresh === 0) break;
    const k = 1 + Math.floor(o.random() * Math.min(o.maxLines, fresh));
    const proc = spawn(process.execPath, [CHAT_BIN, 'recv', '--follow', '--json'], {
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const lines: RecvLine[] = [];
    let partial = '';
    let messages = 0;
    const outcome = await new Promise<'killed' | 'exited'>((resolve) => {
      proc.stdout.setEncoding('utf8').on('data', (d: string) => {
        const parts = (partial + d).split('\n');
        partial = parts.pop() ?? '';
        for (const l of parts.filter((p) => p.trim() !== '')) {
          const line = JSON.parse(l) as RecvLine;
          lines.push(line);
          if (line.type === 'message') messages++;
        }
        if (messages >= k && proc.kill('SIGKILL')) resolve('killed');
      });
      proc.once('exit', () => resolve('exited'));
    });
    // `chat recv --follow` never ends on its own while the relay serves it: an exit is a failure, with its reason.
    expect(outcome, `round ${round}: chat recv exited before its ${k}th message; stderr: ${stderr}`).toBe('killed');
    if (proc.exitCode === null && proc.signalCode === null) await new Promise((r) => proc.once('exit', r));
    kills++;
    o.afterKill({ lines, stderr }, kills);
  }
  return kills;
}

/**
 * The invariant after a kill: each of `sent` is still in the relay's mailbox or already in the history, never neither.
 * @returns whether the kill fell mid-drain (some of `sent` in each)
 */
export function noneLost(sent: Set<string>, inMailbox: Set<string>, inHistory: Set<string>, label: string): boolean {
  expect(
    [...sent].filter((id) => !inMailbox.has(id) && !inHistory.has(id)),
    label,
  ).toEqual([]);
  return [...sent].some((id) => inMailbox.has(id)) && [...sent].some((id) => inHistory.has(id));
}
