/**
 * The argument shapes of `chat send` and `chat recv` that main.ts runs without loading yargs: yargs and its help
 * renderer are about a third of a one-shot command's start-up, and scripts run these two in loops.
 *
 * Only shapes whose meaning is unambiguous qualify: `send <username> [<word>...]` (with `--json` anywhere), where no
 * word is empty or starts with `-`, and `recv` with at most `--json` and one of `--follow` / `-f`. A lone `-` (stdin)
 * is left to yargs too: yargs drops it from the words, and the fast path does not imitate that.
 * Anything else (`--help`, `--`, other options, a missing username, a repeated flag, a typo) returns undefined and
 * goes through yargs, so help texts and usage errors come from one place. fast-path.test.ts checks that yargs
 * parses every shape accepted here into the same action.
 */
import type { RecvAction, SendAction } from './run.js';

export type FastCommand = { command: 'send'; args: SendAction } | { command: 'recv'; args: RecvAction };

/** The command for `args` (argv after node and the script) if yargs is not needed for it; else undefined. */
export function fastCommand(args: readonly string[]): FastCommand | undefined {
  const [name, ...rest] = args;
  if (name === 'send') return fastSend(rest);
  if (name === 'recv') return fastRecv(rest);
  return undefined;
}

function fastSend(rest: readonly string[]): FastCommand | undefined {
  const words = rest.filter((w) => w !== '--json');
  const json = words.length < rest.length;
  if (rest.length - words.length > 1) return undefined; // --json twice: yargs makes an array of it
  const [username, ...message] = words;
  if (username === undefined || !isPlainWord(username) || !message.every(isPlainWord)) return undefined;
  return { command: 'send', args: { username, message, json } };
}

function fastRecv(rest: readonly string[]): FastCommand | undefined {
  const follow = rest.filter((f) => f === '--follow' || f === '-f').length;
  const json = rest.filter((f) => f === '--json').length;
  if (follow > 1 || json > 1 || follow + json !== rest.length) return undefined;
  return { command: 'recv', args: { follow: follow === 1, json: json === 1 } };
}

/** A positional yargs takes as it is: non-empty and not starting with `-` (an option, `--`, or a lone `-`). */
function isPlainWord(w: string): boolean {
  return w.length > 0 && !w.startsWith('-');
}
