/**
 * Account administration beside the mailboxes (PROTOCOL.md §14): bans, one-time invite codes, account listing with
 * mailbox depth and size, deletion. Nothing here reads an envelope: admins see counts and sizes, never content.
 * Asynchronous for the same reason as `MailboxStore` (mailbox-store.ts).
 */
import type { UserRecord } from './mailbox-store.js';

export interface AccountSummary {
  username: string;
  createdAt: number;
  banned: boolean;
  /** Envelopes waiting in the mailbox, and their total size in bytes. */
  depth: number;
  bytes: number;
}

export interface AccountTotals {
  users: number;
  queued: number;
  queuedBytes: number;
}

export type InviteResult = 'ok' | 'invalid';

export interface AccountStore {
  /** Up to `limit` accounts with names after `after` (exclusive), by name. */
  list(after: string, limit: number): Promise<AccountSummary[]>;
  totals(): Promise<AccountTotals>;
  isBanned(username: string): Promise<boolean>;
  /** Bans `username` (registered or not: a ban also reserves the name). Returns false if already banned. */
  ban(username: string, reason: string, now: number): Promise<boolean>;
  /** Returns false if the name was not banned. */
  unban(username: string): Promise<boolean>;
  /** Creates a one-time invite code valid until `expiresAt`; only its SHA-256 is stored. */
  createInvite(now: number, expiresAt: number): Promise<string>;
  /**
   * Registers `user` with invite `code` in one transaction: the code must exist, be unused and unexpired; it is then
   * marked used. 'invalid' registers nothing.
   */
  registerWithInvite(user: UserRecord, code: string, now: number): Promise<InviteResult>;
  /** Deletes the account and its whole mailbox. Returns false if there was no such account. */
  deleteUser(username: string): Promise<boolean>;
  /** Records that `username` logged in again after the login that registered it (§8): the account is in use. */
  noteReturn(username: string, now: number): Promise<void>;
  /**
   * Deletes, with their mailboxes, the accounts registered at or before `registeredBefore` that never logged in again
   * (§11 `unusedAccountTtlMs`), except those `keep` names (e.g. online now). Returns the deleted names.
   */
  expireUnused(registeredBefore: number, keep: (username: string) => boolean): Promise<string[]>;
}
