/** `chat-relay config`: prints the effective configuration and, with --sources, where each value came from. */
import { describeConfig } from '../config.js';
import { configFrom, parse } from './flags.js';

export const CONFIG_HELP = `Usage: chat-relay config [--sources] [the options of chat-relay]

Prints the configuration chat-relay would run with, as JSON: built-in defaults, overridden by the config file
(--config FILE, else relay.json in the data directory), then by CHAT_RELAY_* environment variables, then by flags.
With --sources, prints one "key = value  (source)" line per setting instead.

Examples:
  chat-relay config --data /var/lib/chat-relay
  CHAT_RELAY_MAX_CONNECTIONS=500 chat-relay config --sources --set limits.messagesPerSecond=10
`;

export function configCommand(argv: string[]): number {
  const { values } = parse(argv, { sources: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(CONFIG_HELP);
    return 0;
  }
  const resolved = configFrom(values);
  if (values.sources) {
    if (resolved.file) process.stdout.write(`# config file: ${resolved.file}\n`);
    process.stdout.write(describeConfig(resolved));
  } else {
    process.stdout.write(`${JSON.stringify(resolved.config, null, 2)}\n`);
  }
  return 0;
}
