/**
 * The `chat` command line as a yargs definition: every command, option, example, `--help` text and usage error.
 * Each command module is imported when it runs, so `chat --help` and `chat --version` load neither crypto nor SQLite;
 * the command's logic lives in src/commands/<name>.ts. main.ts skips this module for plain `send`, `recv`,
 * `history`, `search`, `contacts` and `whoami` (fast-path.ts).
 */
import yargs from 'yargs';
import { actions as defaultActions, io, run, type Actions } from './run.js';
import { VERSION } from '../version.js';

const json = { type: 'boolean', describe: 'print JSON' } as const;

/** Parses `args` (argv without node and the script) and runs the command; `actions` are for tests. */
export async function parseWithYargs(args: string[], actions: Actions = defaultActions): Promise<void> {
  await withoutHelpCache(yargs(args))
    .scriptName('chat')
    .usage(
      '$0 <command> [options]\n\nEnd-to-end encrypted messages from the terminal, through a chat-relay that only sees ciphertext.',
    )
    .command(
      '$0',
      'open the interactive session (the most recent conversation)',
      (y) => y.example('$0', 'open the interactive session'),
      () =>
        run(
          () => import('../commands/interactive.js'),
          (m) => m.interactive({}, io),
        ),
    )
    .command(
      'open <username>',
      'open the interactive session on the conversation with <username>',
      (y) =>
        y
          .positional('username', { type: 'string', demandOption: true, describe: 'whom to talk to' })
          .example('$0 open bob', 'chat with bob; /help inside lists the commands and keys'),
      (a) =>
        run(
          () => import('../commands/interactive.js'),
          (m) => m.interactive({ open: a.username }, io),
        ),
    )
    .command(
      'keygen',
      'create your identity keys, encrypted with a passphrase (prints the fingerprint)',
      (y) =>
        y
          .option('force', { type: 'boolean', describe: 'replace an existing identity (the old keys are lost)' })
          .option('passphrase', {
            type: 'boolean',
            default: true,
            describe: 'encrypt the keys (--no-passphrase stores them unencrypted)',
          })
          .option('json', json)
          .example('$0 keygen', 'create keys in $CHAT_HOME (default ~/.config/chat); asks for a passphrase twice')
          .example('CHAT_PASSPHRASE=... $0 keygen', 'in a script: the passphrase from the environment')
          .example('$0 keygen --passphrase-file ~/.chat-pass', 'the passphrase from a file')
          .example('$0 keygen --no-passphrase', 'unencrypted keys (a warning is printed)'),
      (a) =>
        run(
          () => import('../commands/keygen.js'),
          (m) => m.keygen({ force: a.force === true, json: a.json === true, noPassphrase: a.passphrase === false }, io),
        ),
    )
    .command(
      'passwd',
      'change the passphrase of your keys (or add or remove it)',
      (y) =>
        y
          .option('passphrase', { type: 'boolean', default: true, describe: '--no-passphrase removes the passphrase' })
          .option('new-passphrase-file', {
            type: 'string',
            describe: 'read the new passphrase from this file (or CHAT_NEW_PASSPHRASE)',
          })
          .option('json', json)
          .example('$0 passwd', 'asks for the current passphrase, then the new one twice')
          .example('CHAT_PASSPHRASE=old CHAT_NEW_PASSPHRASE=new $0 passwd', 'in a script'),
      (a) => {
        if (typeof a['new-passphrase-file'] === 'string')
          flagOverEnv(io.env, 'CHAT_NEW_PASSPHRASE', a['new-passphrase-file']);
        return run(
          () => import('../commands/passwd.js'),
          (m) => m.passwd({ noPassphrase: a.passphrase === false, json: a.json === true }, io),
        );
      },
    )
    .command('key', 'back up and restore your keys and contacts', (y) =>
      y
        .option('backup-passphrase-file', {
          type: 'string',
          describe: 'read the backup passphrase from this file (or CHAT_BACKUP_PASSPHRASE)',
        })
        .middleware((a) => {
          if (typeof a['backup-passphrase-file'] === 'string')
            flagOverEnv(io.env, 'CHAT_BACKUP_PASSPHRASE', a['backup-passphrase-file']);
        })
        .command(
          'export',
          'write an encrypted, armoured backup of identity, relay settings and contacts',
          (yy) =>
            yy
              .option('out', {
                alias: 'o',
                type: 'string',
                describe: 'write to this new file (0600) instead of stdout',
              })
              .example(
                '$0 key export --out chat-backup.txt',
                'asks for the key passphrase, then a backup passphrase twice',
              ),
          (a) =>
            run(
              () => import('../commands/key.js'),
              (m) => m.keyExport({ out: a.out }, io),
            ),
        )
        .command(
          'import [file]',
          'restore a backup into an empty profile (CHAT_HOME)',
          (yy) =>
            yy
              .positional('file', { type: 'string', describe: 'the backup file; - or none reads stdin' })
              .option('force', { type: 'boolean', describe: 'replace existing keys' })
              .option('passphrase', {
                type: 'boolean',
                default: true,
                describe: '--no-passphrase stores the restored keys unencrypted',
              })
              .option('json', json)
              .example('CHAT_HOME=~/new $0 key import chat-backup.txt', 'restore on a new machine'),
          (a) =>
            run(
              () => import('../commands/key.js'),
              (m) =>
                m.keyImport(
                  {
                    file: a.file,
                    force: a.force === true,
                    noPassphrase: a.passphrase === false,
                    json: a.json === true,
                  },
                  io,
                ),
            ),
        )
        .demandCommand(1, 'chat key export | chat key import'),
    )
    .command(
      'login <username>',
      'register (first time) or log in on a relay, and remember it',
      (y) =>
        y
          .positional('username', {
            type: 'string',
            demandOption: true,
            describe: 'your username: 3-32 of a-z 0-9 _ -',
          })
          .option('relay', {
            type: 'string',
            describe:
              'relay address: chat://<fingerprint>@host:port (pins its certificate) or host:port (pins the first one seen); default: CHAT_RELAY, the last one, or 127.0.0.1:7717',
          })
          .option('insecure', {
            type: 'boolean',
            describe: 'plaintext TCP to a relay started with --insecure (no TLS)',
          })
          .option('drop-tls-pin', {
            type: 'boolean',
            describe:
              "with --insecure: replace this relay's pinned TLS certificate with plaintext (only if its operator says it dropped TLS)",
          })
          .option('invite', { type: 'string', describe: 'one-time invite code, to register on an invite-only relay' })
          .option('json', json)
          .example(
            '$0 login alice --relay chat://8Lh4PGRXsWA4ZljjQfD1oaS5zWkDWdJtZ5mK7Iznd0w@relay.example.org:7717',
            'register alice, accepting only that certificate',
          )
          .example(
            '$0 login alice --relay 127.0.0.1:7717',
            'register alice on a local relay, pinning its certificate on first use',
          )
          .example('$0 login alice --relay 127.0.0.1:7717 --insecure', 'plaintext, for a relay run with --insecure')
          .example('$0 login carol --invite 3f9c…', 'register on an invite-only relay with a code from its operator'),
      (a) =>
        run(
          () => import('../commands/login.js'),
          (m) =>
            m.login(
              {
                username: a.username,
                relay: a.relay,
                insecure: a.insecure === true,
                dropTlsPin: a.dropTlsPin === true,
                invite: a.invite,
                json: a.json === true,
              },
              io,
            ),
        ),
    )
    .command(
      'send <username> [message..]',
      'send a message; exits 0 once the relay has stored it',
      (y) =>
        y
          .positional('username', {
            type: 'string',
            demandOption: true,
            describe: "recipient, or '#group' / '#room', or group:<id> / room:<name>",
          })
          .positional('message', {
            type: 'string',
            array: true,
            describe: 'the message; - (or no words and a pipe) reads stdin',
          })
          .option('json', { type: 'boolean', describe: 'print {"id","to","ts"}' })
          .option('reply-to', {
            type: 'string',
            describe: 'reply to this message (its id, or the first 8+ hex digits of it; chat history shows them)',
          })
          .option('allow-v1', {
            type: 'boolean',
            describe:
              'if the relay or the recipient has no protocol v2, send a v1 envelope (signed, no forward secrecy) instead of failing with exit 8',
          })
          .example('$0 send bob "lunch at noon?"', 'send a message to bob')
          .example('$0 send bob --reply-to 1f2e3d4c "yes"', 'reply to a message (quoted above the text)')
          .example('echo hi | $0 send bob -', 'send what is on stdin')
          .example('$0 send bob -- -5 degrees', 'words after -- are message text')
          .example('$0 send --json bob hello', 'print the message id as JSON')
          .example("$0 send '#team' hi all", 'send to a group, or a joined room, by its name'),
      (a) => {
        const message = [...(a.message ?? []), ...((a['--'] as string[] | undefined) ?? [])];
        const replyTo = typeof a['reply-to'] === 'string' ? a['reply-to'] : undefined;
        return actions.send({
          username: a.username,
          message,
          json: a.json === true,
          ...(replyTo ? { replyTo } : {}),
          ...(a['allow-v1'] === true ? { allowV1: true } : {}),
        });
      },
    )
    .command(
      'edit <id> [message..]',
      'edit a message you sent (everyone sees the latest version, marked (edited))',
      (y) =>
        y
          .positional('id', {
            type: 'string',
            demandOption: true,
            describe: 'the message id (or its first 8+ hex digits)',
          })
          .positional('message', { type: 'string', array: true, describe: 'the new text; - reads stdin' })
          .option('json', { type: 'boolean', describe: 'print {"target","conv","seq"}' })
          .example('$0 edit 1f2e3d4c "lunch at 1 instead"', 'replace the text of your message 1f2e3d4c…'),
      (a) => {
        const message = [...(a.message ?? []), ...((a['--'] as string[] | undefined) ?? [])];
        return run(
          () => import('../commands/messages.js'),
          (m) => m.edit({ id: a.id, message, json: a.json === true }, io),
        );
      },
    )
    .command(
      'delete <id>',
      'delete a message for everyone (only your own), or with --for-me from your history only',
      (y) =>
        y
          .positional('id', {
            type: 'string',
            demandOption: true,
            describe: 'the message id (or its first 8+ hex digits)',
          })
          .option('for-me', { type: 'boolean', describe: 'delete it from your history only; nothing is sent' })
          .option('json', json)
          .example('$0 delete 1f2e3d4c', 'recipients see "message deleted" instead of the text')
          .example('$0 delete 1f2e3d4c --for-me', 'forget any message locally'),
      (a) =>
        run(
          () => import('../commands/messages.js'),
          (m) => m.del({ id: a.id, forMe: a['for-me'] === true, json: a.json === true }, io),
        ),
    )
    .command(
      'react <id> [emoji]',
      'react to a message (one reaction per person; another replaces it, none or "" removes it)',
      (y) =>
        y
          .positional('id', {
            type: 'string',
            demandOption: true,
            describe: 'the message id (or its first 8+ hex digits)',
          })
          .positional('emoji', { type: 'string', describe: 'the reaction, at most 64 bytes; empty removes yours' })
          .option('json', json)
          .example('$0 react 1f2e3d4c 👍', 'react with a thumbs-up')
          .example("$0 react 1f2e3d4c ''", 'remove your reaction'),
      (a) =>
        run(
          () => import('../commands/messages.js'),
          (m) => m.react({ id: a.id, emoji: a.emoji, json: a.json === true }, io),
        ),
    )
    .command(
      'block <username>',
      'block a user: nothing from them is stored or shown, and no receipts, typing or messages go back; queued ones are held until chat unblock (local only)',
      (y) =>
        y
          .positional('username', { type: 'string', demandOption: true, describe: 'whom to block' })
          .option('json', json)
          .example('$0 block mallory', 'mallory is not told; chat contacts shows it'),
      (a) =>
        run(
          () => import('../commands/block.js'),
          (m) => m.block({ username: a.username, json: a.json === true }, io),
        ),
    )
    .command(
      'unblock <username>',
      'unblock a user (what they sent while blocked is gone)',
      (y) =>
        y
          .positional('username', { type: 'string', demandOption: true, describe: 'whom to unblock' })
          .option('json', json),
      (a) =>
        run(
          () => import('../commands/block.js'),
          (m) => m.unblock({ username: a.username, json: a.json === true }, io),
        ),
    )
    .command(
      'expire <target> [duration]',
      'disappearing messages: a conversation timer both sides apply (30s, 5m, 1h, 2d, 1w, or off); no duration shows it',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: 'a user or #group' })
          .positional('duration', { type: 'string', describe: 'how long new messages live, or off' })
          .option('json', json)
          .example('$0 expire bob 1h', 'new messages with bob disappear an hour after they arrive, on both machines')
          .example("$0 expire '#team' off", 'group admins only'),
      (a) =>
        run(
          () => import('../commands/expire.js'),
          (m) => m.expire({ target: a.target, duration: a.duration, json: a.json === true }, io),
        ),
    )
    .command(
      'nick <username> [name..]',
      'give a user a local nickname, shown beside their username (never instead of it); --clear removes it',
      (y) =>
        y
          .positional('username', { type: 'string', demandOption: true, describe: 'whose nickname' })
          .positional('name', { type: 'string', array: true, describe: 'the nickname (1 to 32 characters)' })
          .option('clear', { type: 'boolean', describe: 'remove the nickname' })
          .option('json', json)
          .example('$0 nick alice "Alice (ops)"', 'chat recv then shows alice (Alice (ops)): …')
          .example('$0 nick alice --clear', 'back to alice alone'),
      (a) =>
        run(
          () => import('../commands/nick.js'),
          (m) => m.nick({ username: a.username, name: a.name, clear: a.clear === true, json: a.json === true }, io),
        ),
    )
    .command(
      'history <conversation>',
      'print the local history of a conversation, with edits, deletes, reactions and replies applied',
      (y) =>
        y
          .positional('conversation', { type: 'string', demandOption: true, describe: "a username, or '#group'" })
          .option('limit', { type: 'number', describe: 'how many messages (newest; default 50, at most 10000)' })
          .option('before', { type: 'string', describe: 'the page before this message id (the oldest one shown)' })
          .option('json', { type: 'boolean', describe: 'one JSON object per message (type "message")' })
          .example('$0 history bob', 'the last 50 messages with bob, oldest first')
          .example('$0 history bob --before 1f2e3d4c --limit 20', 'the 20 before that message')
          .example("$0 history '#team' --json", 'a group, as JSON lines'),
      (a) => actions.history({ target: a.conversation, limit: a.limit, before: a.before, json: a.json === true }),
    )
    .command(
      'search <text..>',
      'search the local history (the shown text of every message, case-insensitive for ASCII)',
      (y) =>
        y
          .positional('text', { type: 'string', array: true, demandOption: true, describe: 'what to look for' })
          .option('in', { type: 'string', describe: "only in this conversation (a username or '#group')" })
          .option('limit', { type: 'number', describe: 'most results (newest first; default 50)' })
          .option('json', { type: 'boolean', describe: 'one JSON object per message (type "message")' })
          .example('$0 search deploy', 'every message mentioning deploy')
          .example("$0 search --in '#team' build failed", 'only in #team'),
      (a) => actions.search({ text: a.text, in: a.in, limit: a.limit, json: a.json === true }),
    )
    .command('group', 'end-to-end encrypted groups (fan-out: each member gets its own envelope)', (y) =>
      y.command(
        '$0 <action> <group> [users..]',
        false,
        (z) =>
          z
            .positional('action', {
              type: 'string',
              demandOption: true,
              choices: ['create', 'add', 'remove', 'leave', 'rename', 'members', 'accept', 'decline'] as const,
            })
            .positional('group', {
              type: 'string',
              demandOption: true,
              describe: 'group name, or group:<id> (at least 8 hex digits of its id)',
            })
            .positional('users', {
              type: 'string',
              array: true,
              describe: 'members (create), one user (add, remove), the new name (rename)',
            })
            .option('json', { type: 'boolean', describe: 'print the group as JSON' })
            .option('from', {
              type: 'string',
              describe: 'accept, decline: the invitation from this user (when several invite you to one group)',
            })
            .example('$0 group create team bob carol', 'create #team with bob and carol; you are its admin')
            .example('$0 group add team dave', 'add dave (admins only)')
            .example('$0 group remove team carol', 'remove carol: nothing sent afterwards reaches her')
            .example('$0 group rename team crew', 'rename it')
            .example('$0 group leave team', 'leave the group')
            .example('$0 group members team', 'list members and admins')
            .example('$0 group accept 1a2b3c4d', 'accept an invitation from someone not in your contacts')
            .example('$0 group decline 1a2b3c4d', 'decline it: the group is forgotten, nobody is told')
            .example(
              '$0 group accept 1a2b3c4d --from alice',
              "take alice's invitation to a group you hold another version of",
            ),
        (a) =>
          run(
            () => import('../commands/group.js'),
            (m) =>
              m.group(
                {
                  action: a.action as 'create',
                  group: a.group,
                  users: (a.users ?? []).map(String),
                  json: a.json === true,
                  ...(typeof a.from === 'string' ? { from: a.from } : {}),
                },
                io,
              ),
          ),
      ),
    )
    .command(
      'groups',
      'list your groups',
      (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }).example('$0 groups', 'names, ids and sizes'),
      (a) =>
        run(
          () => import('../commands/group.js'),
          (m) => m.groups({ json: a.json === true }, io),
        ),
    )
    .command(
      'rooms',
      "list the relay's public rooms",
      (y) =>
        y.option('json', { type: 'boolean', describe: 'print JSON' }).example('$0 rooms', 'e.g. #general (joined)'),
      (a) =>
        run(
          () => import('../commands/rooms.js'),
          (m) => m.rooms({ json: a.json === true }, io),
        ),
    )
    .command(
      'join <room>',
      'join a public room (the relay knows who is in it; messages stay end-to-end encrypted)',
      (y) =>
        y
          .positional('room', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean', describe: 'print the members as JSON' })
          .example('$0 join general', "then: chat send '#general' hello"),
      (a) =>
        run(
          () => import('../commands/rooms.js'),
          (m) => m.room({ action: 'join', room: a.room, json: a.json === true }, io),
        ),
    )
    .command(
      'leave <room>',
      'leave a public room',
      (y) =>
        y
          .positional('room', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean' })
          .example('$0 leave general', 'stop receiving #general'),
      (a) =>
        run(
          () => import('../commands/rooms.js'),
          (m) => m.room({ action: 'leave', room: a.room, json: a.json === true }, io),
        ),
    )
    .command(
      'send-file <username> <path>',
      'send a file, end-to-end encrypted; the recipient accepts or declines it',
      (y) =>
        y
          .positional('username', { type: 'string', demandOption: true, describe: 'recipient' })
          .positional('path', { type: 'string', demandOption: true, describe: 'the file' })
          .option('json', { type: 'boolean', describe: 'progress events and the result as JSON lines on stdout' })
          .example('$0 send-file bob report.pdf', 'upload report.pdf for bob and send him the offer')
          .example('$0 send-file bob big.iso', 'run the same command again to resume an interrupted upload'),
      (a) =>
        run(
          () => import('../commands/files.js'),
          (m) => m.sendFileCommand({ username: a.username, path: a.path, json: a.json === true }, io),
        ),
    )
    .command(
      'files [action] [id]',
      'list file offers and transfers; accept or decline an offer',
      (y) =>
        y
          .positional('action', {
            type: 'string',
            choices: ['list', 'accept', 'decline'],
            describe: 'list (default), accept or decline',
          })
          .positional('id', {
            type: 'string',
            describe: 'the transfer id (or its first 4+ hex digits) from chat files',
          })
          .option('dir', {
            type: 'string',
            describe: 'downloads directory (default: $CHAT_DOWNLOADS, else ~/Downloads)',
          })
          .option('json', { type: 'boolean', describe: 'JSON lines: transfers, progress events, results' })
          .example('$0 recv && $0 files', 'fetch new offers, then list them')
          .example('$0 files accept 3f9a1c2e', 'download, verify and save an offered file')
          .example('$0 files accept 3f9a --dir /tmp/in --json', 'the same into /tmp/in with JSON progress')
          .example('$0 files decline 3f9a', 'refuse it; the relay deletes its copy and the sender is told'),
      (a) =>
        run(
          () => import('../commands/files.js'),
          (m) => m.files({ action: a.action, id: a.id, dir: a.dir, json: a.json === true }, io),
        ),
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
      (a) => actions.recv({ follow: a.follow === true, json: a.json === true }),
    )
    .command(
      'daemon',
      'keep one relay session for this profile and serve chat send / chat recv and bots on a local socket (JSON-RPC)',
      (y) =>
        y
          .option('json', { type: 'boolean', describe: 'log lifecycle events as JSON lines (never message text)' })
          .example('$0 daemon', 'unlock the keys once and stay in the foreground until Ctrl-C')
          .example('$0 daemon --json --passphrase-file ~/.chat-pass', 'as a service (docs/systemd/chat-daemon.service)')
          .epilogue('The API on $CHAT_HOME/daemon.sock: docs/JSONRPC.md.'),
      (a) =>
        run(
          () => import('../commands/daemon.js'),
          (m) => m.daemon({ json: a.json === true }, io),
          { stopOnSignals: true },
        ),
    )
    .command(
      'jsonrpc',
      'speak the JSON-RPC API on stdin/stdout for a bot that spawns chat (through the daemon when one runs)',
      (y) =>
        y
          .example('$0 jsonrpc', 'one JSON-RPC request per line on stdin, answers and notifications on stdout')
          .epilogue('The methods: docs/JSONRPC.md. Without a running chat daemon it opens its own session.'),
      () =>
        run(
          () => import('../commands/jsonrpc.js'),
          (m) => m.jsonrpc(io),
          { stopOnSignals: true },
        ),
    )
    .command(
      'verify <username>',
      'show the safety number with a contact (and a QR code) to compare in person',
      (y) =>
        y
          .positional('username', { type: 'string', demandOption: true, describe: 'the contact' })
          .option('qr', { type: 'boolean', default: true, describe: 'draw the QR code (--no-qr to leave it out)' })
          .option('json', {
            type: 'boolean',
            describe: 'print {"username","safetyNumber","fingerprint","trust","forPendingKey"}',
          })
          .example('$0 verify bob', 'show the 60-digit safety number with bob and its QR code')
          .example('$0 verify bob --json', 'the same for scripts'),
      (a) =>
        run(
          () => import('../commands/verify.js'),
          (m) => m.verify({ username: a.username, qr: a.qr !== false, json: a.json === true }, io),
        ),
    )
    .command(
      'trust <username>',
      "accept a contact's changed key; with --verify, check the safety number and mark them verified",
      (y) =>
        y
          .positional('username', { type: 'string', demandOption: true, describe: 'the contact' })
          .option('verify', {
            type: 'string',
            describe: 'the 60 digits bob reads to you from his chat verify (spaces ignored)',
          })
          .option('json', json)
          .example(
            '$0 trust bob --verify "08360 32126 26740 81100 61261 13375 42717 59880 25314 75108 43454 85907"',
            'compare and mark bob verified',
          )
          .example('$0 trust bob', "accept bob's new key without verifying it (stays unverified)"),
      (a) =>
        run(
          () => import('../commands/trust.js'),
          (m) => m.trust({ username: a.username, verify: a.verify, json: a.json === true }, io),
        ),
    )
    .command(
      'admin <command> [username]',
      'relay admins only: users, stats, invite, kick, ban, unban, shutdown',
      (y) =>
        y
          .positional('command', {
            type: 'string',
            demandOption: true,
            describe: 'users | stats | invite | kick | ban | unban | shutdown',
          })
          .positional('username', { type: 'string', describe: 'the account, for kick, ban and unban' })
          .option('reason', { type: 'string', describe: 'shown to the kicked or banned user' })
          .option('after', { type: 'string', describe: 'users: the next page after this name' })
          .option('json', json)
          .example('$0 admin users', 'list accounts, who is online, waiting mail (never content)')
          .example('$0 admin kick bob --reason "upgrade please"', "end all of bob's sessions")
          .example('$0 admin invite', 'print a one-time invite code'),
      (a) =>
        run(
          () => import('../commands/admin.js'),
          (m) =>
            m.admin({ op: a.command, user: a.username, reason: a.reason, after: a.after, json: a.json === true }, io),
        ),
    )
    .command(
      'whoami',
      'show your username, relay and fingerprint',
      (y) => y.option('json', json).example('$0 whoami', 'show who you are and your fingerprint'),
      (a) => actions.whoami({ json: a.json === true }),
    )
    .command(
      'contacts',
      'list contacts with fingerprint, trust state (unverified, verified, changed, untrusted) and first seen',
      (y) =>
        y
          .option('json', { type: 'boolean', describe: 'one JSON object per contact' })
          .example('$0 contacts', 'list contacts and fingerprints'),
      (a) => actions.contacts({ json: a.json === true }),
    )
    .command(
      'completion <shell>',
      'print a completion script for bash, zsh or fish (commands and options complete on TAB)',
      (y) =>
        y
          .positional('shell', { type: 'string', demandOption: true, choices: ['bash', 'zsh', 'fish'] as const })
          .example('$0 completion bash > ~/.local/share/bash-completion/completions/chat', 'bash: loaded on first TAB')
          .example('$0 completion zsh > "${fpath[1]}/_chat"', 'zsh: a completion function on $fpath')
          .example('$0 completion fish > ~/.config/fish/completions/chat.fish', 'fish'),
      (a) =>
        run(
          () => import('../commands/completion.js'),
          (m) => m.completion({ shell: a.shell as 'bash' }, io),
        ),
    )
    .example('$0', 'the interactive session')
    .example('$0 open bob', 'the interactive session, talking to bob')
    .example('$0 keygen', 'create your keys')
    .example('$0 login alice --relay 127.0.0.1:7717', 'register as alice on a relay')
    .example('$0 send bob "hello"', 'send bob a message')
    .example('echo hello | $0 send bob -', 'send stdin to bob')
    .example('$0 recv --follow', 'receive messages as they arrive')
    .example('$0 whoami --json', 'your username, relay and fingerprint')
    .example('$0 contacts', 'pinned contacts, fingerprints and trust')
    .example('$0 verify bob', 'safety number with bob, to compare in person')
    .option('trust-new-identities', {
      choices: ['on-first-use', 'always', 'never'],
      global: true,
      describe:
        'keys not accepted before: pin on first use (default), always accept (even changed ones), or never (chat trust first); also CHAT_TRUST_NEW_IDENTITIES',
    })
    .option('passphrase-file', {
      type: 'string',
      global: true,
      describe: 'read the passphrase of your keys from this file (else CHAT_PASSPHRASE, else a prompt on a terminal)',
    })
    .middleware((a) => {
      const policy = a['trust-new-identities'];
      if (typeof policy === 'string') io.env.CHAT_TRUST_NEW_IDENTITIES = policy;
      // A flag beats the environment: with --passphrase-file, CHAT_PASSPHRASE is not consulted.
      if (typeof a['passphrase-file'] === 'string') flagOverEnv(io.env, 'CHAT_PASSPHRASE', a['passphrase-file']);
    })
    .epilogue(
      'Environment: CHAT_HOME selects the profile directory (default $XDG_CONFIG_HOME/chat or ~/.config/chat); ' +
        'CHAT_RELAY=host:port overrides the relay address stored at login; CHAT_TRUST_NEW_IDENTITIES as --trust-new-identities.\n' +
        'Exit codes: 0 ok, 1 other failure, 2 usage, 3 unknown user, 4 changed or untrusted key, 5 relay unreachable, 6 relay refusal, 7 keys locked (wrong or missing passphrase), 8 only v1 possible (V2_UNAVAILABLE).',
    )
    .parserConfiguration({ 'populate--': true })
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
}

/**
 * Before yargs runs a command's handler it renders that command's whole `--help` text and keeps it, in case the
 * handler later asks for it (`showHelp()`, or a failure that shows help): 20-40 ms of CPU per `chat groups` or
 * `chat nick` (cliui wrapping every line with string-width; docs/BENCHMARKS.md, "The yargs path"). No handler here
 * asks for help, and failures never show it (`showHelpOnFail(false)`, our own `.fail`), so that text was never
 * printed: the cache is switched off. `--help` itself does not go through it (yargs renders help when asked, as
 * before). If a later yargs has no such internals, nothing changes but the cost.
 */
function withoutHelpCache<Y>(y: Y): Y {
  const usage = (y as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  return y;
}

/** The part of yargs' undocumented internals that withoutHelpCache touches. */
interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } | undefined };
}

/**
 * A `--…-passphrase-file` flag beats the environment (commands/passphrase.ts reads the variable first): the file goes
 * into `<envVar>_FILE` and the variable holding a passphrase itself is dropped for this command.
 */
function flagOverEnv(env: Record<string, string | undefined>, envVar: string, file: string): void {
  env[`${envVar}_FILE`] = file;
  delete env[envVar];
}
