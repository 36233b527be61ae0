/**
 * What `chat daemon` and `chat jsonrpc` (in a session of its own) share: the JSON-RPC methods' view of one open
 * Messenger (daemon/methods.ts), and the live session that receives, sends the outbox and deletes what expired.
 */
import type { Hub } from '../daemon/hub.js';
import type { MethodDeps } from '../daemon/methods.js';
import type { Messenger } from '../engine/messenger.js';
import { VERSION } from '../version.js';
import { downloadsDir } from './files.js';
import type { Io } from './io.js';
import { sendWith, withNextStep } from './send-session.js';

export function methodDeps(messenger: Messenger, hub: Hub, io: Io): MethodDeps {
  return {
    version: VERSION,
    // The same next steps `chat send` names without a daemon (a size slip, a group name without '#').
    send: (recipient, text, replyTo, allowV1) =>
      sendWith(messenger, recipient, text, replyTo, allowV1).catch(async (err: unknown) => {
        throw await withNextStep(err, recipient, messenger);
      }),
    contacts: () => messenger.contacts(),
    history: (o) => messenger.history(o),
    hub,
    engine: messenger,
    downloads: downloadsDir(io),
  };
}

/** The receiving session (engine/live.ts, reconnecting with backoff) until `signal` aborts. */
export async function runSession(messenger: Messenger, signal: AbortSignal): Promise<void> {
  const { runLive } = await import('../engine/live.js');
  // Disappearing messages (§17.5) go while it runs, as in the interactive session and chat recv --follow.
  const { runExpirer } = await import('../engine/expire/expirer.js');
  const expirer = runExpirer(messenger);
  try {
    await runLive(messenger, { signal });
  } finally {
    expirer.stop();
  }
}
