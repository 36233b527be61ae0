/** `chat-relay status`: is the relay of a data directory running, and its live counts (through the control socket). */
import { controlRequest } from '../admin/control.js';
import type { RelayStats } from '../admin/ops.js';
import { RelayExit } from './common.js';
import { configFrom, parse } from './flags.js';

export const STATUS_HELP = `Usage: chat-relay status [--json] [--data DIR]

Asks the relay running on DIR (through DIR/control.sock) for its state. Exits 0 and prints its counts if it runs,
exits 3 and prints "not running" if not.

Examples:
  chat-relay status --data /var/lib/chat-relay
  chat-relay status --json --data /var/lib/chat-relay
`;

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  const { config } = configFrom(values);
  let stats: RelayStats;
  try {
    const answer = await controlRequest(config.dataDir, { op: 'stats' });
    stats = (answer.result as { stats: RelayStats }).stats;
  } catch {
    if (values.json) process.stdout.write(`${JSON.stringify({ running: false, dataDir: config.dataDir })}\n`);
    else process.stdout.write(`chat-relay on ${config.dataDir}: not running\n`);
    return RelayExit.NOT_RUNNING;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ running: true, dataDir: config.dataDir, ...stats })}\n`);
  } else {
    process.stdout.write(
      `chat-relay on ${config.dataDir}: running for ${Math.round(stats.uptimeMs / 1000)} s\n` +
        `connections ${stats.connections}, users online ${stats.online}, accounts ${stats.users}, ` +
        `waiting ${stats.queued} envelopes (${stats.queuedBytes} bytes)\n` +
        (stats.relays === undefined
          ? ''
          : `shared store: ${stats.relays} relays alive, ${stats.receiving ?? 0} users receiving on them\n`),
    );
  }
  return 0;
}
