/**
 * The interactive session's `/verify`, `/trust` and `/admin`: the same engine calls as `chat verify`, `chat trust`
 * and `chat admin` (PROTOCOL.md §3.5, §3.4, §14), with results shown as notices in the open conversation.
 */
import { formatAdminAnswer, type AdminOp } from '../engine/admin.js';
import { ChatError } from '../engine/errors.js';
import type { SessionEngine } from '../session/engine.js';

/** What these commands need from the controller. */
export interface CommandHost {
  readonly m: SessionEngine;
  notice(text: string, level: 'info' | 'error'): void;
  /** Sending to `peer` is allowed again (its key was accepted). */
  unblock(peer: string): void;
}

const message = (err: unknown): string =>
  err instanceof ChatError
    ? `${err.message}${err.hint ? ` (${err.hint})` : ''}`
    : err instanceof Error
      ? err.message
      : String(err);

/** `/verify <user>`: the safety number to compare; `/verify <user> <digits>`: compare and mark verified. */
export async function verifyCommand(host: CommandHost, user: string, digits: string | undefined): Promise<void> {
  try {
    if (digits === undefined) {
      const v = await host.m.ops.safetyNumber({ recipient: user });
      const which = v.forPendingKey ? ` (for ${user}'s NEW key, not yet accepted)` : '';
      host.notice(
        `safety number with ${user}${which}:\n${v.formatted}\ncompare with ${user}'s /verify ${host.m.username}; if equal: /verify ${user} <digits>`,
        'info',
      );
      return;
    }
    const r = await host.m.ops.trustKey({ recipient: user, verifiedSafetyNumber: digits });
    host.unblock(user);
    host.notice(
      `${user} is verified${r.acceptedNewKey ? ' (their new key is accepted)' : ''}: fingerprint ${r.fingerprint}`,
      'info',
    );
  } catch (err) {
    host.notice(`/verify failed: ${message(err)}`, 'error');
  }
}

/** `/trust <user>`: accepts a changed or untrusted key without verifying it. */
export async function trustCommand(host: CommandHost, user: string): Promise<void> {
  try {
    const r = await host.m.ops.trustKey({ recipient: user });
    host.unblock(user);
    host.notice(
      r.acceptedNewKey
        ? `accepted ${user}'s new key ${r.fingerprint} (was ${r.previousFingerprint ?? 'unknown'}); /verify ${user} to compare safety numbers`
        : `${user}'s key was already accepted (${r.trust})`,
      'info',
    );
  } catch (err) {
    host.notice(`/trust failed: ${message(err)}`, 'error');
  }
}

/** `/admin <op> [user] [reason]`: one admin request over the live session (FORBIDDEN for non-admins). */
export async function adminCommand(host: CommandHost, op: AdminOp, user?: string, reason?: string): Promise<void> {
  try {
    const answer = await host.m.ops.admin({ op, ...(user ? { user } : {}), ...(reason ? { reason } : {}) });
    host.notice(formatAdminAnswer(answer).trimEnd() || `${op}: done`, 'info');
  } catch (err) {
    host.notice(`/admin ${op} failed: ${message(err)}`, 'error');
  }
}
