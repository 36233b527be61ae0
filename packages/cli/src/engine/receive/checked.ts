/** What checking a delivered envelope (check.ts, check-v2.ts) decides, for commit.ts to apply. */
import type { GroupMessage, OpenedEnvelope } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { HeldMessage } from '../events.js';

/** One delivered envelope after §4 steps 1–6. */
export type Checked =
  /**
   * Opened and signed by the accepted key of `opened.from` (v1), or decrypted in a session with it (v2): to be
   * applied by its kind. `commit` writes the v2 session's new state, in the batch's transaction.
   */
  | { outcome: 'ok'; frame: MsgFrame; opened: OpenedEnvelope; commit?: () => void }
  /** Signed by a key not accepted (yet): left on the relay, not acknowledged. */
  | { outcome: 'held'; frame: MsgFrame; from: string; reason: HeldMessage['reason'] }
  /**
   * Failed a check: recorded in `rejected` and acknowledged. A v2 envelope that decrypted (then failed its kind's
   * rules) has `commit` and its sender `from`; one that failed for want of a session (§24.7) has `awaitFrom`, the
   * sender asked to resend it.
   */
  | {
      outcome: 'rejected';
      frame: MsgFrame;
      code: string;
      detail: string;
      commit?: () => void;
      from?: string;
      awaitFrom?: string;
    }
  /** A verified ephemeral typing signal (§4.1): shown, never stored or acknowledged. */
  | { outcome: 'typing'; frame: MsgFrame; from: string; active: boolean; commit?: () => void }
  /** A group message in a sender key (§25.5), opened and parsed: decrypted by commit.ts in the batch's transaction. */
  | { outcome: 'group'; frame: MsgFrame; msg: GroupMessage }
  /** A v2 envelope already committed, or whose message key was used (§24.3): acknowledged, not shown. */
  | { outcome: 'duplicate'; frame: MsgFrame }
  /** An ephemeral envelope that failed a check or is not `typing`: ignored entirely, not acknowledged (§9). */
  | { outcome: 'ignored'; frame: MsgFrame };
