import { CryptoError } from '@chat/crypto';
import { ERROR_CODES, type ErrorCode } from '@chat/protocol';
import { describe, expect, it } from 'vitest';
import { ChatError, exitCodeFor, fromCryptoError, fromRelayError, retryAfterMs } from './errors.js';

describe('exit codes (PROTOCOL.md §12)', () => {
  it.each([
    ['USAGE', 2],
    ['BAD_USERNAME', 2],
    ['BODY_TOO_LARGE', 2],
    ['UNKNOWN_USER', 3],
    ['KEY_CHANGED', 4],
    ['BUNDLE_INVALID', 4],
    ['RELAY_UNREACHABLE', 5],
    ['CONNECTION_LOST', 5],
    ['TIMEOUT', 5],
    ['SHUTTING_DOWN', 5],
    ['RELAY_CHANGED', 6],
    ['KEY_MISMATCH', 6],
    ['ALREADY_RECEIVING', 6],
    ['MAILBOX_FULL', 6],
    ['AUTH_FAILED', 6],
    ['ENVELOPE_TOO_LARGE', 6],
    ['NO_IDENTITY', 1],
    ['NOT_LOGGED_IN', 1],
    ['PROFILE_CORRUPT', 1],
    ['INTERNAL', 6],
    ['UNEXPECTED', 1],
    ['RELAY_PROTOCOL', 1],
    ['TOO_MANY_CONNECTIONS', 5],
    ['CONNECT_RATE_LIMITED', 5],
    ['IDLE_TIMEOUT', 5],
    ['RATE_LIMITED', 6],
    ['BANNED', 6],
    ['KICKED', 6],
    ['INVITE_REQUIRED', 6],
    ['INVITE_INVALID', 6],
    ['FORBIDDEN', 6],
  ] as const)('%s → %i', (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
    expect(new ChatError(code, 'x').exitCode).toBe(exit);
  });

  it('maps every relay error code to unknown-user, unreachable or refusal', () => {
    // BAD_USERNAME is checked before anything is sent, so it reaches the user as a usage error (2). The two prekey
    // codes are also the client's own verdict on a prekey bundle the relay served (§18.3): a key problem (4).
    const ownVerdicts: ErrorCode[] = ['PREKEY_INVALID', 'PREKEY_BAD_SIGNATURE'];
    for (const code of (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => c !== 'BAD_USERNAME')) {
      expect(ownVerdicts.includes(code) ? [4] : [3, 5, 6], code).toContain(exitCodeFor(code));
    }
  });
});

describe('fromRelayError', () => {
  it('keeps the wait a RATE_LIMITED refusal names (§10), and none when waiting cannot help', () => {
    expect(fromRelayError('RATE_LIMITED', 'rate limit exceeded; retry in 250 ms').retryAfterMs).toBe(250);
    expect(
      fromRelayError('RATE_LIMITED', 'rate limit exceeded; the request is larger than the byte burst').retryAfterMs,
    ).toBeUndefined();
    expect(fromRelayError('MAILBOX_FULL', 'retry in 250 ms').retryAfterMs).toBeUndefined();
    expect(retryAfterMs('retry in 99999999 ms')).toBe(60_000);
    expect(retryAfterMs('retry in -5 ms')).toBeUndefined();
    expect(retryAfterMs('retry in 12.5 ms')).toBeUndefined();
  });

  it('says who is already receiving', () => {
    const e = fromRelayError('ALREADY_RECEIVING', 'busy', 'alice');
    expect(e.code).toBe('ALREADY_RECEIVING');
    expect(e.exitCode).toBe(6);
    expect(e.message).toContain('another session is already receiving for alice');
    expect(e.hint).toBeTruthy();
  });

  it('explains KEY_MISMATCH with a next step', () => {
    const e = fromRelayError('KEY_MISMATCH', '', 'alice');
    expect(e.message).toContain('alice');
    expect(e.hint).toContain('CHAT_HOME');
  });

  it('keeps the relay text for other refusals', () => {
    const e = fromRelayError('MAILBOX_FULL', 'quota reached', 'bob');
    expect(e.message).toContain('MAILBOX_FULL');
    expect(e.message).toContain('quota reached');
    expect(e.exitCode).toBe(6);
  });

  it('neutralises control characters in the relay text', () => {
    const e = fromRelayError('MAILBOX_FULL', 'full\x1b[2J\r', 'bob');
    expect(e.message).not.toMatch(/[\x00-\x1f]/);
    expect(e.message).toContain('full\\x1b[2J\\x0d');
  });
});

describe('fromCryptoError', () => {
  it('BODY_TOO_LARGE is a usage error, BUNDLE_INVALID an untrusted key', () => {
    expect(fromCryptoError(new CryptoError('BODY_TOO_LARGE', 'big')).exitCode).toBe(2);
    expect(fromCryptoError(new CryptoError('BUNDLE_INVALID', 'bad')).exitCode).toBe(4);
  });

  it('anything else is unexpected (exit 1), keeping the cause', () => {
    const cause = new CryptoError('OPEN_FAILED', 'no');
    const e = fromCryptoError(cause, 'sealing');
    expect(e.code).toBe('UNEXPECTED');
    expect(e.message).toBe('sealing: OPEN_FAILED');
    expect(e.cause).toBe(cause);
  });
});
