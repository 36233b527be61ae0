/**
 * `chat` / `chat open <user>`: the interactive session. Loaded only by those commands (commands/interactive.ts), so
 * the one-shot commands never load Ink or React.
 */
import { render } from 'ink';
import type { Io } from '../commands/io.js';
import { ChatError } from '../engine/errors.js';
import { normalizeUsername } from '../engine/username.js';
import { ChatApp } from './ChatApp.js';
import { ChatController } from './controller.js';
import { colorEnabled } from './text.js';
import { openSession } from '../session/open.js';

export interface InteractiveArgs {
  open?: string | undefined;
}

// Alternate screen (the shell's scrollback is left alone) and bracketed paste (a pasted block is one message).
const ENTER = '\x1b[?1049h\x1b[?2004h';
const LEAVE = '\x1b[?2004l\x1b[?1049l';

export async function runInteractive(args: InteractiveArgs, io: Io): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new ChatError('USAGE', 'the interactive session needs a terminal', {
      hint: 'in scripts use chat send <user> <message> and chat recv',
    });
  }
  const initial = args.open === undefined ? undefined : normalizeUsername(args.open);
  // While `chat daemon` runs this attaches to it: no passphrase, and every front end sees each message.
  const { engine, attached } = await openSession(io);
  const controller = new ChatController(engine, { initial, write: (s) => void (s && stdout.write(s)) });
  const color = colorEnabled(io.env);
  stdout.write(ENTER);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    stdout.write(LEAVE);
  };
  process.once('exit', restore);
  const done = new Promise<void>((resolve) => controller.once('exit', resolve));
  const quit = (): void => {
    controller.submit('/quit');
  };
  process.once('SIGTERM', quit);
  const app = render(<ChatApp controller={controller} relay={engine.relay} color={color} onQuit={quit} />, {
    exitOnCtrlC: false,
    patchConsole: false,
  });
  controller.start();
  if (attached) controller.notice('attached to chat daemon: it holds the relay session for this profile', 'info');
  await done;
  app.unmount();
  restore();
  // Let the receiving session acknowledge what it committed and close (receiver.ts `finish`).
  await controller.stopped();
  engine.close();
  return 0;
}
