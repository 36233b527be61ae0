/**
 * `chat trust <user> [--verify <digits>]`: accept a contact's changed (or not yet trusted) key, and with `--verify`
 * compare the safety number (constant time) and mark the contact verified. Messages held under the new key are
 * shown by the next `chat recv`. Offline: works on what `chat send` / `chat recv` last saw.
 */
import { openMessenger } from './common.js';
import { printJson, type Io } from './io.js';
import { trustResult } from '../daemon/results.js';

export interface TrustArgs {
  username: string;
  verify?: string | undefined;
  json?: boolean;
}

export async function trust(args: TrustArgs, io: Io): Promise<number> {
  const messenger = await openMessenger(io);
  try {
    const r = messenger.trust(args.username, args.verify === undefined ? {} : { verify: args.verify });
    const c = r.contact;
    if (args.json) {
      printJson(io, trustResult(r));
      return 0;
    }
    if (r.acceptedNewKey) {
      io.stdout.write(
        `accepted ${c.username}'s key ${c.fingerprint}${r.previousFingerprint ? ` (was ${r.previousFingerprint})` : ''}\n`,
      );
      io.stdout.write(`messages held under it are shown by the next chat recv\n`);
    }
    io.stdout.write(`${c.username} is ${c.trust}${c.trust === 'verified' ? ' (safety numbers match)' : ''}\n`);
    if (c.trust !== 'verified')
      io.stdout.write(
        `to verify: compare chat verify ${c.username} with them, then chat trust ${c.username} --verify <digits>\n`,
      );
    return 0;
  } finally {
    messenger.close();
  }
}
