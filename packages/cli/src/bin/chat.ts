#!/usr/bin/env node
/**
 * The `chat` binary: yargs wiring only. Each command module is imported when it runs, so `chat --help` and
 * `chat --version` load neither crypto nor SQLite; the command's logic lives in src/commands/<name>.ts.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { Io } from '../commands/io.js';
import { VERSION } from '../version.js';

const io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

// `chat recv | head -1`: a closed stdout must not crash the process before it has acknowledged what it committed.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

/** Loads a command module, runs it, and maps a thrown error to `chat: error:` lines and a §12 exit code. */
async function run<M>(load: () => Promise<M>, call: (m: M) => Promise<number>, { stopOnSignals = false } = {}): Promise<void> {
  const { runCommand } = await import('../commands/io.js');
  if (stopOnSignals) {
    // First SIGINT / SIGTERM: stop cleanly (acknowledge what is committed, close). A second one: exit at once.
    const controller = new AbortController();
    io.signal = controller.signal;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  process.exitCode = await runCommand(io, async () => call(await load()));
}

const json = { type: 'boolean', describe: 'print JSON' } as const;

await yargs(hideBin(process.argv))
  .scriptName('chat')
  .usage('$0 <command> [options]\n\nEnd-to-end encrypted messages from the terminal, through a chat-relay that only sees ciphertext.')
  .command(
    'keygen',
    'create your identity keys (prints the fingerprint)',
    (y) =>
      y
        .option('force', { type: 'boolean', describe: 'replace an existing identity (the old keys are lost)' })
        .option('json', json)
        .example('$0 keygen', 'create keys in $CHAT_HOME (default ~/.config/chat)'),
    (a) => run(() => import('../commands/keygen.js'), (m) => m.keygen({ force: a.force === true, json: a.json === true }, io)),
  )
  .command(
    'login <username>',
    'register (first time) or log in on a relay, and remember it',
    (y) =>
      y
        .positional('username', { type: 'string', demandOption: true, describe: 'your username: 3-32 of a-z 0-9 _ -' })
        .option('relay', { type: 'string', describe: 'relay host:port (default: CHAT_RELAY, the last one, or 127.0.0.1:7717)' })
        .option('invite', { type: 'string', describe: 'one-time invite code, to register on an invite-only relay' })
        .option('json', json)
        .example('$0 login alice --relay 127.0.0.1:7717', 'register alice on a local relay')
        .example('$0 login carol --invite 3f9c…', 'register on an invite-only relay with a code from its operator'),
    (a) => run(() => import('../commands/login.js'), (m) => m.login({ username: a.username, relay: a.relay, invite: a.invite, json: a.json === true }, io)),
  )
  .command(
    'send <username> [message..]',
    'send a message; exits 0 once the relay has stored it',
    (y) =>
      y
        .positional('username', { type: 'string', demandOption: true, describe: 'recipient' })
        .positional('message', { type: 'string', array: true, describe: 'the message; - (or no words and a pipe) reads stdin' })
        .option('json', { type: 'boolean', describe: 'print {"id","to","ts"}' })
        .example('$0 send bob "lunch at noon?"', 'send a message to bob')
        .example('echo hi | $0 send bob -', 'send what is on stdin')
        .example('$0 send bob -- -5 degrees', 'words after -- are message text')
        .example('$0 send --json bob hello', 'print the message id as JSON'),
    (a) => {
      const message = [...(a.message ?? []), ...((a['--'] as string[] | undefined) ?? [])];
      return run(() => import('../commands/send.js'), (m) => m.send({ username: a.username, message, json: a.json === true }, io));
    },
  )
  .command(
    'recv',
    'receive new messages (then exit, or keep listening with --follow)',
    (y) =>
      y
        .option('follow', { alias: 'f', type: 'boolean', describe: 'keep listening until Ctrl-C' })
        .option('json', { type: 'boolean', describe: 'one JSON object per message: id, from, to, body, ts, relayTs' })
        .example('$0 recv', 'print waiting messages and exit')
        .example('$0 recv --follow --json', 'stream messages as JSON lines'),
    (a) => run(() => import('../commands/recv.js'), (m) => m.recv({ follow: a.follow === true, json: a.json === true }, io), { stopOnSignals: true }),
  )
  .command(
    'admin <command> [username]',
    'relay admins only: users, stats, invite, kick, ban, unban, shutdown',
    (y) =>
      y
        .positional('command', { type: 'string', demandOption: true, describe: 'users | stats | invite | kick | ban | unban | shutdown' })
        .positional('username', { type: 'string', describe: 'the account, for kick, ban and unban' })
        .option('reason', { type: 'string', describe: 'shown to the kicked or banned user' })
        .option('after', { type: 'string', describe: 'users: the next page after this name' })
        .option('json', json)
        .example('$0 admin users', 'list accounts, who is online, waiting mail (never content)')
        .example('$0 admin kick bob --reason "upgrade please"', 'end all of bob\'s sessions')
        .example('$0 admin invite', 'print a one-time invite code'),
    (a) =>
      run(() => import('../commands/admin.js'), (m) =>
        m.admin({ op: a.command, user: a.username, reason: a.reason, after: a.after, json: a.json === true }, io),
      ),
  )
  .command(
    'whoami',
    'show your username, relay and fingerprint',
    (y) => y.option('json', json).example('$0 whoami', 'show who you are and your fingerprint'),
    (a) => run(() => import('../commands/whoami.js'), (m) => m.whoami({ json: a.json === true }, io)),
  )
  .command(
    'contacts',
    'list pinned contacts with their fingerprints',
    (y) => y.option('json', { type: 'boolean', describe: 'one JSON object per contact' }).example('$0 contacts', 'list contacts and fingerprints'),
    (a) => run(() => import('../commands/contacts.js'), (m) => m.contacts({ json: a.json === true }, io)),
  )
  .example('$0 keygen', 'create your keys')
  .example('$0 login alice --relay 127.0.0.1:7717', 'register as alice on a relay')
  .example('$0 send bob "hello"', 'send bob a message')
  .example('echo hello | $0 send bob -', 'send stdin to bob')
  .example('$0 recv --follow', 'receive messages as they arrive')
  .example('$0 whoami --json', 'your username, relay and fingerprint')
  .example('$0 contacts', 'pinned contacts and fingerprints')
  .epilogue(
    'Environment: CHAT_HOME selects the profile directory (default $XDG_CONFIG_HOME/chat or ~/.config/chat); ' +
      'CHAT_RELAY=host:port overrides the relay address stored at login.\n' +
      'Exit codes: 0 ok, 1 other failure, 2 usage, 3 unknown user, 4 changed or untrusted key, 5 relay unreachable, 6 relay refusal.',
  )
  .parserConfiguration({ 'populate--': true })
  .demandCommand(1, 'no command given')
  .strict()
  .version(VERSION)
  .help()
  .alias('h', 'help')
  .alias('V', 'version')
  .showHelpOnFail(false)
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`chat: error: ${msg}\nchat: hint: run chat --help\n`);
    process.exit(2);
  })
  .wrap(Math.min(110, process.stdout.columns || 100))
  .parseAsync();
