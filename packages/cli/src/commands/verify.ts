/**
 * `chat verify <user>`: the safety number with a contact (PROTOCOL.md §3.5) as 12 groups of 5 digits and a QR code,
 * to compare in person or over a channel you trust. Looks the contact up first if it was never seen. While
 * `chat daemon` runs, asks it (`verify`, docs/JSONRPC.md).
 */
import { withDaemonOr } from './attach.js';
import { openMessenger } from './common.js';
import { printJson, type Io } from './io.js';
import { safetyNumberResult } from '../daemon/results.js';

export interface VerifyArgs {
  username: string;
  qr?: boolean;
  json?: boolean;
}

export async function verify(args: VerifyArgs, io: Io): Promise<number> {
  const view = await withDaemonOr(io, 'verify', { recipient: args.username }, async () => {
    const messenger = await openMessenger(io);
    try {
      return safetyNumberResult(await messenger.safetyNumber(args.username));
    } finally {
      messenger.close();
    }
  });
  if (args.json) {
    printJson(io, view);
    return 0;
  }
  const lines = view.safetyNumber.split(' ');
  io.stdout.write(
    `safety number with ${view.username} (${view.trust}${view.forPendingKey ? ', for the new key the relay gives' : ''}):\n\n` +
      `    ${lines.slice(0, 4).join(' ')}\n    ${lines.slice(4, 8).join(' ')}\n    ${lines.slice(8).join(' ')}\n\n` +
      `their fingerprint: ${view.fingerprint}\n`,
  );
  if (args.qr !== false) {
    // Loaded only here: nothing else needs the QR encoder. The code holds the 60 digits without spaces.
    const { default: QRCode } = await import('qrcode');
    const digits = view.safetyNumber.replaceAll(' ', '');
    io.stdout.write(
      `\n${await QRCode.toString(digits, { type: 'terminal', small: true, errorCorrectionLevel: 'M' })}\n`,
    );
  }
  io.stdout.write(
    `if ${view.username} sees the same digits: chat trust ${view.username} --verify "${view.safetyNumber}"\n`,
  );
  return 0;
}
