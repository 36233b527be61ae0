/**
 * `chat trust <user> [--verify <digits>]`: accept a contact's changed (or not yet trusted) key, and with `--verify`
 * compare the safety number (constant time) and mark the contact verified. Messages held under the new key are
 * shown at once by a running session (the interactive one, `chat recv --follow`, the daemon), else by the next
 * `chat recv`. Offline: works on what `chat send` / `chat recv` last saw. While `chat daemon`
 * runs, asks it (`trust`, docs/JSONRPC.md): no passphrase.
 */
import { withDaemonOr } from './attach.js';
import { openMessenger } from './common.js';
import { printJson, type Io } from './io.js';
import { trustResult } from '../daemon/results.js';
import { profileHome } from '../engine/home.js';
import { receivingElsewhere } from '../engine/receiving-marker.js';

export interface TrustArgs {
  username: string;
  verify?: string | undefined;
  json?: boolean;
}

export async function trust(args: TrustArgs, io: Io): Promise<number> {
  const params = {
    recipient: args.username,
    ...(args.verify === undefined ? {} : { verifiedSafetyNumber: args.verify }),
  };
  const r = await withDaemonOr(io, 'trust', params, async () => {
    const messenger = await openMessenger(io);
    try {
      return trustResult(messenger.trust(args.username, args.verify === undefined ? {} : { verify: args.verify }));
    } finally {
      messenger.close();
    }
  });
  if (args.json) {
    printJson(io, r);
    return 0;
  }
  if (r.acceptedNewKey) {
    io.stdout.write(
      `accepted ${r.username}'s key ${r.fingerprint}${r.previousFingerprint ? ` (was ${r.previousFingerprint})` : ''}\n`,
    );
    // A following session (here, or the daemon's) checks what it holds again at once (PROTOCOL.md §3.4).
    const running = receivingElsewhere(profileHome(io.env));
    io.stdout.write(
      running
        ? `messages held under it are shown now by ${running}\n`
        : `messages held under it are shown by the next chat recv\n`,
    );
  }
  io.stdout.write(`${r.username} is ${r.trust}${r.trust === 'verified' ? ' (safety numbers match)' : ''}\n`);
  if (r.trust !== 'verified')
    io.stdout.write(
      `to verify: compare chat verify ${r.username} with them, then chat trust ${r.username} --verify <digits>\n`,
    );
  return 0;
}
