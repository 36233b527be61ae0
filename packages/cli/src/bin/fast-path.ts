/**
 * The argument shapes that main.ts runs without loading yargs: yargs and its help renderer cost about 150 ms of a
 * one-shot command's start-up (docs/BENCHMARKS.md), more than the work of `chat history` on 50,000 messages, and
 * scripts run these commands in loops: `send`, `recv`, and the read-only `history`, `search`, `contacts`, `whoami`.
 *
 * Only shapes whose meaning is unambiguous qualify: plain words (non-empty, not starting with `-`), `--json` at most
 * once anywhere, and the command's own value options (`--limit 50`, `--before <id>`, `--in <conversation>`) at most
 * once each, as two words with a plain value (`--limit` only with a plain decimal number). `send <username>
 * [<word>...]`; `recv` with at most `--json` and one of `--follow` / `-f`; `history <conversation>`; `search <word>...`;
 * `contacts` and `whoami` with at most `--json`; `send <username> -` (stdin), which yargs reads as `send <username>`
 * (it drops a lone `-`). Any other lone `-` is left to yargs.
 * Anything else (`--help`, `--`, other options, `--limit=5`, a missing or extra word, a repeated flag, a typo)
 * returns undefined and goes through yargs, so help texts and usage errors come from one place. fast-path.test.ts
 * checks that yargs parses every shape accepted here into the same action.
 */
import type { ContactsArgs } from '../commands/contacts.js';
import type { HistoryArgs, SearchArgs } from '../commands/history.js';
import type { WhoamiArgs } from '../commands/whoami.js';
import type { RecvAction, SendAction } from './run.js';

export type FastCommand =
  | { command: 'send'; args: SendAction }
  | { command: 'recv'; args: RecvAction }
  | { command: 'history'; args: HistoryArgs }
  | { command: 'search'; args: SearchArgs }
  | { command: 'contacts'; args: ContactsArgs }
  | { command: 'whoami'; args: WhoamiArgs };

/** The command for `args` (argv after node and the script) if yargs is not needed for it; else undefined. */
export function fastCommand(args: readonly string[]): FastCommand | undefined {
  const [name, ...rest] = args;
  switch (name) {
    case 'send':
      return fastSend(rest);
    case 'recv':
      return fastRecv(rest);
    case 'history':
      return fastHistory(rest);
    case 'search':
      return fastSearch(rest);
    case 'contacts':
    case 'whoami': {
      const p = parse(rest, []);
      return p && p.words.length === 0 ? { command: name, args: { json: p.json } } : undefined;
    }
    default:
      return undefined;
  }
}

function fastSend(rest: readonly string[]): FastCommand | undefined {
  // `send <username> -` (`echo x | chat send bob -` in scripts): yargs drops the lone `-`, so this is `send <username>`
  // with no words, which reads a pipe. Only that shape: a `-` among message words is left to yargs.
  const dash = rest.indexOf('-');
  if (dash >= 0) {
    if (rest.lastIndexOf('-') !== dash) return undefined;
    const f = fastSend([...rest.slice(0, dash), ...rest.slice(dash + 1)]);
    const wordsBefore = rest.slice(0, dash).filter(isPlainWord).length;
    return f?.command === 'send' && f.args.message.length === 0 && wordsBefore === 1 ? f : undefined;
  }
  const p = parse(rest, []);
  const [username, ...message] = p?.words ?? [];
  if (!p || username === undefined) return undefined;
  return { command: 'send', args: { username, message, json: p.json } };
}

function fastRecv(rest: readonly string[]): FastCommand | undefined {
  const follow = rest.filter((f) => f === '--follow' || f === '-f').length;
  const json = rest.filter((f) => f === '--json').length;
  if (follow > 1 || json > 1 || follow + json !== rest.length) return undefined;
  return { command: 'recv', args: { follow: follow === 1, json: json === 1 } };
}

function fastHistory(rest: readonly string[]): FastCommand | undefined {
  const p = parse(rest, ['limit', 'before']);
  const [target, ...extra] = p?.words ?? [];
  if (!p || target === undefined || extra.length > 0 || !limitOk(p.values.limit)) return undefined;
  const { limit, before } = p.values;
  return { command: 'history', args: { target, limit: number(limit), before, json: p.json } };
}

function fastSearch(rest: readonly string[]): FastCommand | undefined {
  const p = parse(rest, ['in', 'limit']);
  if (!p || p.words.length === 0 || !limitOk(p.values.limit)) return undefined;
  return { command: 'search', args: { text: p.words, in: p.values.in, limit: number(p.values.limit), json: p.json } };
}

interface Parsed {
  words: string[];
  json: boolean;
  values: Partial<Record<string, string>>;
}

/** Plain words, `--json` at most once, and each of `valueOptions` (`--name value`) at most once; else undefined. */
function parse(rest: readonly string[], valueOptions: readonly string[]): Parsed | undefined {
  const parsed: Parsed = { words: [], json: false, values: {} };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i] as string;
    const option = w.startsWith('--') ? w.slice(2) : undefined;
    if (w === '--json') {
      if (parsed.json) return undefined; // --json twice: yargs makes an array of it
      parsed.json = true;
    } else if (option !== undefined && valueOptions.includes(option)) {
      const value = rest[++i];
      if (value === undefined || !isPlainWord(value) || parsed.values[option] !== undefined) return undefined;
      parsed.values[option] = value;
    } else if (isPlainWord(w)) parsed.words.push(w);
    else return undefined;
  }
  return parsed;
}

/** No `--limit`, or a plain decimal number that yargs reads as the same number (no sign, exponent or leading 0). */
function limitOk(limit: string | undefined): boolean {
  return limit === undefined || /^(0|[1-9][0-9]{0,8})$/.test(limit);
}

const number = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** A positional yargs takes as it is: non-empty and not starting with `-` (an option, `--`, or a lone `-`). */
function isPlainWord(w: string): boolean {
  return w.length > 0 && !w.startsWith('-');
}
