/** The one-line notice of a recovered v2 session (PROTOCOL.md §24.7), shared by `chat recv` and the session. */
import type { RecoveryEvent } from '../engine/events.js';
import { inertLine } from '../terminal-text.js';

export function recoveryNotice(e: RecoveryEvent): string {
  const peer = inertLine(e.peer);
  const n = e.ids.length;
  const messages = n === 1 ? '1 message' : `${n} messages`;
  return e.action === 'asked'
    ? `could not decrypt ${messages} from ${peer} (the session was lost); asked ${peer} to send them again`
    : `${peer} could not decrypt ${n === 1 ? '1 of your messages' : `${n} of your messages`} (a lost session); sent them again`;
}
