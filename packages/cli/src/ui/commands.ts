/**
 * Slash commands of the interactive session: the table `/help` prints, a parser that turns a line into an action or
 * an inline error, and Tab completion. Pure functions: the UI decides what an action does.
 */
import { isValidUsername } from '@chat/crypto';
import { ADMIN_NEEDS_USER, ADMIN_OPS, type AdminOp } from '../engine/admin.js';
import type { ListAction } from './conversations-ui.js';
import type { GroupAction } from './groups-ui.js';
import type { MessageAction } from './messages-ui.js';

const GROUP_OPS = ['create', 'add', 'remove', 'leave', 'rename', 'members', 'accept', 'decline'] as const;

export interface CommandSpec {
  name: string;
  aliases?: string[];
  args: string;
  description: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'msg', aliases: ['whisper'], args: '<user> <text>', description: 'private message from any chat' },
  { name: 'open', args: '<user>', description: 'switch to the chat with <user>' },
  { name: 'close', args: '[user|#group]', description: 'drop a chat from the list (kept)' },
  { name: 'nick', args: '<user> [name]', description: 'a local nickname beside <user>' },
  { name: 'who', args: '', description: 'who is online on the relay now' },
  { name: 'contacts', args: '', description: 'contacts and their fingerprints' },
  { name: 'fingerprint', args: '[user]', description: "yours, or <user>'s pinned one" },
  { name: 'verify', args: '<user> [num]', description: 'safety number; with num: verify' },
  { name: 'trust', args: '<user>', description: "accept <user>'s changed key" },
  { name: 'reply', args: '[id] <text>', description: 'reply (no id: to their last)' },
  { name: 'edit', args: '<id> <text>', description: 'edit yours (Up: your last)' },
  { name: 'delete', args: '<id> [--for-me]', description: 'for everyone, or just for you' },
  { name: 'react', args: '<id> [emoji]', description: 'react; no emoji removes yours' },
  { name: 'search', args: '<text>', description: 'search the whole history' },
  { name: 'expire', args: '[30s|5m|1h|off]', description: 'disappearing messages here' },
  { name: 'block', args: '<user>', description: 'keep and show nothing from them' },
  { name: 'unblock', args: '<user>', description: 'undo /block' },
  { name: 'file', args: '<path>', description: 'send a file to this chat' },
  { name: 'accept', args: '[id]', description: 'download an offered file' },
  { name: 'decline', args: '[id]', description: 'refuse an offered file' },
  { name: 'admin', args: '<op> [user]', description: 'relay admins only (/admin: ops)' },
  { name: 'group', args: '<op> <group> ..', description: 'groups (/group: ops)' },
  { name: 'groups', args: '', description: 'your groups' },
  { name: 'rooms', args: '', description: "the relay's public rooms" },
  { name: 'join', args: '<room>', description: 'join a public room and open it' },
  { name: 'part', aliases: ['leave'], args: '<room>', description: 'leave a public room' },
  { name: 'mute', args: '', description: 'silence this chat (no bell)' },
  { name: 'unmute', args: '', description: 'bell and notifications again' },
  { name: 'clear', args: '', description: 'clear the pane (history is kept)' },
  { name: 'logout', args: '', description: 'go offline (/connect comes back)' },
  { name: 'connect', args: '', description: 'connect again after /logout' },
  { name: 'quit', args: '', description: 'leave the session (or Ctrl-C)' },
  { name: 'help', args: '', description: 'this list and the key bindings' },
];

/** `/help`'s lines: one per command and alias, then the keys; each fits 56 columns (an 80-column terminal). */
export function helpLines(): string[] {
  const rows: [string, string][] = [];
  for (const c of COMMANDS) {
    rows.push([`/${c.name}${c.args ? ` ${c.args}` : ''}`, c.description]);
    for (const a of c.aliases ?? []) rows.push([`/${a}${c.args ? ` ${c.args}` : ''}`, `same as /${c.name}`]);
  }
  return [...rows.map(([l, d]) => `${l.padEnd(22)} ${d}`), ...KEY_BINDINGS.map(([k, d]) => `${k.padEnd(22)} ${d}`)];
}

export type Action =
  | { kind: 'say'; text: string }
  | { kind: 'msg'; user: string; text: string }
  | { kind: 'open'; user: string }
  | { kind: 'fingerprint'; user?: string }
  | { kind: 'verify'; user: string; digits?: string }
  | { kind: 'trust'; user: string }
  | { kind: 'admin'; op: AdminOp; user?: string; reason?: string }
  | { kind: 'file'; path: string }
  | { kind: 'accept' | 'decline'; id?: string }
  | { kind: 'who' | 'contacts' | 'mute' | 'unmute' | 'clear' | 'logout' | 'connect' | 'quit' | 'help' }
  | GroupAction
  | ListAction
  | MessageAction
  | { kind: 'error'; message: string };

const byName = new Map<string, CommandSpec>();
for (const c of COMMANDS) for (const n of [c.name, ...(c.aliases ?? [])]) byName.set(n, c);

const usage = (c: CommandSpec): Action => ({
  kind: 'error',
  message: `usage: /${c.name}${c.args ? ` ${c.args}` : ''}`,
});

/**
 * Turns an input line into an action. A line not starting with `/` (or starting with `//`, which sends a literal
 * `/`) is text for the open conversation. Never throws.
 */
export function parseLine(line: string): Action {
  if (!line.startsWith('/') || line.startsWith('//'))
    return { kind: 'say', text: line.startsWith('//') ? line.slice(1) : line };
  const m = /^\/(\S*)\s*([\s\S]*)$/.exec(line);
  const name = (m?.[1] ?? '').toLowerCase();
  const rest = m?.[2] ?? '';
  const spec = byName.get(name);
  if (!spec) return { kind: 'error', message: `unknown command /${name} (/help lists the commands)` };
  const words = rest.trim() === '' ? [] : rest.trim().split(/\s+/);
  const user = (w: string | undefined): string | undefined => {
    const u = w?.replace(/^@/, '').toLowerCase();
    return u !== undefined && isValidUsername(u) ? u : undefined;
  };
  switch (spec.name) {
    case 'msg': {
      const target = /^(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(rest.trim());
      if (!target) return usage(spec);
      const u = user(target[1]);
      if (!u) return { kind: 'error', message: `not a valid username: ${target[1]}` };
      return { kind: 'msg', user: u, text: target[2] ?? '' };
    }
    case 'group': {
      const op = (words[0] ?? '').toLowerCase() as (typeof GROUP_OPS)[number];
      if (!GROUP_OPS.includes(op) || words[1] === undefined)
        return {
          kind: 'error',
          message:
            'usage: /group create <name> <user...> | add|remove <group> <user> | rename <group> <name> | leave|members <group> | accept|decline <group> [inviter]',
        };
      const args = words.slice(2);
      const need =
        op === 'create'
          ? args.length >= 1
          : op === 'add' || op === 'remove' || op === 'rename'
            ? args.length === 1
            : op === 'accept' || op === 'decline'
              ? args.length <= 1 // [inviter]: when several invite us to one group (PROTOCOL.md §15.4 step 4)
              : args.length === 0;
      if (!need)
        return {
          kind: 'error',
          message: `usage: /group ${op} <group>${op === 'create' ? ' <user...>' : op === 'rename' ? ' <name>' : op === 'add' || op === 'remove' ? ' <user>' : op === 'accept' || op === 'decline' ? ' [inviter]' : ''}`,
        };
      return {
        kind: 'group',
        action: op,
        group: words[1],
        args: op === 'rename' ? args : args.map((w) => w.replace(/^@/, '').toLowerCase()),
      };
    }
    case 'join':
    case 'part':
      if (words.length !== 1) return usage(spec);
      return { kind: spec.name as 'join', room: words[0] ?? '' };
    case 'open': {
      if (words.length !== 1) return usage(spec);
      if (words[0]?.startsWith('#') && words[0].length > 1) return { kind: 'open', user: words[0] };
      const u = user(words[0]);
      return u ? { kind: 'open', user: u } : { kind: 'error', message: `not a valid username: ${words[0]}` };
    }
    case 'close': {
      if (words.length > 1) return usage(spec);
      if (words[0] === undefined) return { kind: 'close' };
      if (words[0].startsWith('#') && words[0].length > 1) return { kind: 'close', target: words[0] };
      const u = user(words[0]);
      return u ? { kind: 'close', target: u } : { kind: 'error', message: `not a valid username: ${words[0]}` };
    }
    case 'nick': {
      // `/nick <user>` shows it, `/nick <user> --clear` removes it; the rest of the line is the nickname.
      const m = /^(\S+)(?:\s+([\s\S]*\S))?\s*$/.exec(rest.trim());
      if (!m) return usage(spec);
      const u = user(m[1]);
      if (!u) return { kind: 'error', message: `not a valid username: ${m[1]}` };
      return m[2] === undefined ? { kind: 'nick', user: u } : { kind: 'nick', user: u, name: m[2] };
    }
    case 'fingerprint': {
      if (words.length > 1) return usage(spec);
      if (words.length === 0) return { kind: 'fingerprint' };
      const u = user(words[0]);
      return u ? { kind: 'fingerprint', user: u } : { kind: 'error', message: `not a valid username: ${words[0]}` };
    }
    case 'verify': {
      if (words.length === 0) return usage(spec);
      const u = user(words[0]);
      if (!u) return { kind: 'error', message: `not a valid username: ${words[0]}` };
      const digits = words.slice(1).join('');
      if (digits !== '' && !/^\d{60}$/.test(digits.replace(/-/g, '')))
        return { kind: 'error', message: 'a safety number is 60 digits (spaces are fine)' };
      return digits === '' ? { kind: 'verify', user: u } : { kind: 'verify', user: u, digits };
    }
    case 'trust': {
      if (words.length !== 1) return usage(spec);
      const u = user(words[0]);
      return u ? { kind: 'trust', user: u } : { kind: 'error', message: `not a valid username: ${words[0]}` };
    }
    case 'admin': {
      const op = (words[0] ?? '').toLowerCase() as AdminOp;
      const adminUsage: Action = {
        kind: 'error',
        message: 'usage: /admin users|stats|invite|shutdown, or /admin kick|ban|unban <user> [reason]',
      };
      if (!ADMIN_OPS.includes(op)) return adminUsage;
      if (!ADMIN_NEEDS_USER.has(op)) return words.length === 1 ? { kind: 'admin', op } : adminUsage;
      const u = user(words[1]);
      if (!u)
        return words[1] === undefined ? adminUsage : { kind: 'error', message: `not a valid username: ${words[1]}` };
      const reason = rest.trim().split(/\s+/).slice(2).join(' ');
      return reason ? { kind: 'admin', op, user: u, reason } : { kind: 'admin', op, user: u };
    }
    case 'reply': {
      // `/reply <id> <text>` when the first word is a message id (8+ hex digits, as the pane shows them); otherwise
      // the whole rest is the text and the controller picks the last message from the other side.
      const m = /^(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(rest.trim());
      if (m && MESSAGE_ID.test(m[1] ?? '')) return { kind: 'reply', id: (m[1] ?? '').toLowerCase(), text: m[2] ?? '' };
      return rest.trim() === '' ? usage(spec) : { kind: 'reply', text: rest.trim() };
    }
    case 'edit': {
      const m = /^(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(rest.trim());
      if (!m || !MESSAGE_ID.test(m[1] ?? '')) return usage(spec);
      return { kind: 'edit', id: (m[1] ?? '').toLowerCase(), text: m[2] ?? '' };
    }
    case 'delete': {
      const forMe = words.includes('--for-me');
      const ids = words.filter((w) => w !== '--for-me');
      if (ids.length !== 1 || !MESSAGE_ID.test(ids[0] ?? '')) return usage(spec);
      return { kind: 'delete', id: (ids[0] ?? '').toLowerCase(), forMe };
    }
    case 'react':
      if (words.length < 1 || words.length > 2 || !MESSAGE_ID.test(words[0] ?? '')) return usage(spec);
      return { kind: 'react', id: (words[0] ?? '').toLowerCase(), emoji: words[1] ?? '' };
    case 'search':
      return rest.trim() === '' ? usage(spec) : { kind: 'search', text: rest.trim() };
    case 'expire':
      if (words.length > 1) return usage(spec);
      return words[0] === undefined ? { kind: 'expire' } : { kind: 'expire', duration: words[0] };
    case 'block':
    case 'unblock': {
      if (words.length !== 1) return usage(spec);
      const u = user(words[0]);
      return u ? { kind: spec.name, user: u } : { kind: 'error', message: `not a valid username: ${words[0]}` };
    }
    case 'file':
      // The rest of the line is the path (it may contain spaces); a leading ~/ is the home directory.
      return rest.trim() === '' ? usage(spec) : { kind: 'file', path: rest.trim() };
    case 'accept':
    case 'decline':
      if (words.length > 1 || (words[0] !== undefined && !/^[0-9a-fA-F]{4,32}$/.test(words[0]))) return usage(spec);
      return words[0] === undefined ? { kind: spec.name } : { kind: spec.name, id: words[0].toLowerCase() };
    default:
      if (words.length > 0) return usage(spec);
      return { kind: spec.name as 'who' };
  }
}

/** A message id as the pane shows it (its first 8 hex digits) up to a whole one: what `chat edit` accepts. */
const MESSAGE_ID = /^[0-9a-fA-F]{8,32}$/;

/** Commands that take a username as their first argument. */
const USER_ARG = new Set([
  'msg',
  'whisper',
  'open',
  'close',
  'nick',
  'fingerprint',
  'verify',
  'trust',
  'block',
  'unblock',
]);

/**
 * Tab completion of a command name (`/wh` → `/who`) or of the username being typed as a command's first argument or
 * after `@`. Returns the new line and the candidates (more than one: the line is extended to their common prefix).
 */
export function complete(line: string, users: readonly string[]): { line: string; candidates: string[] } {
  const cmd = /^\/(\S*)$/.exec(line);
  if (cmd) {
    const names = [...byName.keys()].filter((n) => n.startsWith((cmd[1] ?? '').toLowerCase())).sort();
    return extend(line, cmd[1] ?? '', names, (n) => `/${n} `, '/');
  }
  const arg = /^\/(\S+)\s+@?(\S*)$/.exec(line);
  const at = /(?:^|\s)@(\S*)$/.exec(line);
  const partial = arg && USER_ARG.has((arg[1] ?? '').toLowerCase()) ? (arg[2] ?? '') : at ? (at[1] ?? '') : undefined;
  if (partial === undefined) return { line, candidates: [] };
  const names = [...new Set(users)].filter((u) => u.startsWith(partial.toLowerCase())).sort();
  const head = line.slice(0, line.length - partial.length);
  return extend(line, partial, names, (n) => `${head}${n} `, head);
}

function extend(
  line: string,
  partial: string,
  names: string[],
  full: (n: string) => string,
  head: string,
): { line: string; candidates: string[] } {
  if (names.length === 0) return { line, candidates: [] };
  if (names.length === 1) return { line: full(names[0] ?? ''), candidates: names };
  let prefix = names[0] ?? '';
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return { line: prefix.length > partial.length ? `${head}${prefix}` : line, candidates: names };
}

export const KEY_BINDINGS: readonly [string, string][] = [
  ['Enter', 'send; a paste is one message'],
  ['Up / Down', 'previous / next line you entered'],
  ['Up (empty line)', 'edit your last message here'],
  ['Tab', 'complete a /command or a username'],
  ['PgUp / PgDn', 'scroll the conversation a page'],
  ['Shift+Up / Shift+Down', 'scroll a row'],
  ['Home / End', 'oldest message / newest'],
  ['Ctrl-N / Ctrl-P', 'next / previous conversation'],
  ['Ctrl-U / Ctrl-W', 'clear the line / delete a word'],
  ['Ctrl-C', 'quit'],
];
