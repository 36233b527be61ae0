/**
 * `chat key export` / `chat key import` (PROTOCOL.md §13.2): identity, relay settings and contacts (with trust
 * states), blocked users, nicknames, disappearing-message timers, groups and joined rooms in one passphrase-encrypted, ASCII-armoured file. Message history is not included; the ids of recently seen
 * messages are, so that a restored profile does not show again what the relay delivers again (§13.2, §4 step 7).
 */
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import {
  MAX_TIMER_SECONDS,
  ROOM_PATTERN,
  parseGroupRecord,
  fingerprint,
  fromBase64,
  identityFromSecrets,
  isValidUsername,
  toBase64,
  toHex,
  type Identity,
} from '@chat/crypto';
import { checkNickname } from './contacts/nickname.js';
import { ChatError } from './errors.js';
import { parseConfig, type ChatConfig } from './profile.js';
import {
  BACKUP_SCRYPT,
  NONCE_BYTES,
  SALT_BYTES,
  checkScryptParams,
  deriveKey,
  deriveKeySync,
  openWithKey,
  sealWithKey,
  type ScryptParams,
} from './secret-box.js';
import type { Contact, PendingKey, TrustState } from './store/store.js';
import { MAX_SEEN_IDS } from './store/seen.js';

export const BACKUP_LABEL = 'chat/v1/backup\0';
export const ARMOR_BEGIN = '-----BEGIN CHAT BACKUP-----';
export const ARMOR_END = '-----END CHAT BACKUP-----';
const LABEL_BYTES = Buffer.byteLength(BACKUP_LABEL, 'latin1');
const HEADER_BYTES = LABEL_BYTES + 3 + SALT_BYTES + NONCE_BYTES;
/** The largest backup text `importBackup` reads (§13.2): far above any real one (a contact is ~300 characters). */
export const MAX_BACKUP_CHARS = 8 * 1024 * 1024;
/** The armour's check line, first after BEGIN: `=` and the first 6 bytes of SHA-256(blob) in base64 (§13.2). */
const CHECK_LINE = /^=[A-Za-z0-9+/]{8}$/;
const TRUST: readonly TrustState[] = ['unverified', 'verified', 'changed', 'untrusted'];

export interface BackupContents {
  identity: Identity;
  config: ChatConfig | undefined;
  contacts: Contact[];
  /**
   * Message ids (32 hex digits) seen within the relay's mailbox expiry, newest first (store/seen.ts). Empty when
   * read from a backup written before they were carried.
   */
  seenIds: string[];
  /** Blocked users (§17.4), nicknames and conversation timers (§17.5); empty when read from an older backup. */
  blocked: { username: string; blockedAt: number }[];
  nicknames: { username: string; nickname: string }[];
  timers: { conv: string; seconds: number; setBy: string; setTs: number }[];
  /**
   * Groups we accepted (§15.3: each one's state record, as stored, and whether we are still a member) and the public
   * rooms joined (§15.6). Optional when exporting; empty when read from an older backup.
   */
  groups?: { record: Uint8Array; member: boolean }[];
  rooms?: string[];
}

function header(params: ScryptParams, salt: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(BACKUP_LABEL, 'latin1'),
    Uint8Array.of(params.logN, params.r, params.p),
    salt,
    nonce,
  ]);
}

const b64 = (b: Uint8Array): string => toBase64(b);

/** The armoured backup text. scrypt runs synchronously (BACKUP_SCRYPT, N = 2^18). */
export function exportBackup(
  contents: BackupContents,
  passphrase: string,
  params: ScryptParams = BACKUP_SCRYPT,
): string {
  const payload = Buffer.from(
    JSON.stringify({
      version: 1,
      identity: {
        identitySecretKey: b64(contents.identity.identity.secretKey),
        encryptionSecretKey: b64(contents.identity.encryption.secretKey),
      },
      config: contents.config ?? null,
      contacts: contents.contacts.map((c) => ({
        username: c.username,
        identityPublicKey: b64(c.identityPublicKey),
        encryptionPublicKey: b64(c.encryptionPublicKey),
        firstSeen: c.firstSeen,
        trust: c.trust,
        verifiedAt: c.verifiedAt,
        pending: c.pending && {
          identityPublicKey: b64(c.pending.identityPublicKey),
          encryptionPublicKey: b64(c.pending.encryptionPublicKey),
          seenAt: c.pending.seenAt,
        },
      })),
      // §13.2: the 16-byte ids concatenated, in base64 (a third of the size of a JSON array of hex strings).
      seen: b64(Buffer.from(contents.seenIds.join(''), 'hex')),
      blocked: contents.blocked,
      nicknames: contents.nicknames,
      timers: contents.timers,
      groups: (contents.groups ?? []).map((g) => ({ record: b64(g.record), member: g.member })),
      rooms: contents.rooms ?? [],
    }),
    'utf8',
  );
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const head = header(params, salt, nonce);
  const key = deriveKeySync(passphrase, salt, params);
  try {
    const blob = Buffer.concat([head, sealWithKey(key, payload, head, nonce).sealed]);
    const lines = blob.toString('base64').match(/.{1,64}/g) ?? [];
    // The check line comes first: a file cut short at its end still has it (§13.2).
    return `${ARMOR_BEGIN}\n=${check(blob)}\n${lines.join('\n')}\n${ARMOR_END}\n`;
  } finally {
    key.fill(0);
    payload.fill(0);
  }
}

function bad(what: string): ChatError {
  return new ChatError('BAD_BACKUP', `not a chat backup: ${what}`);
}

function damaged(what: string): ChatError {
  return new ChatError('BAD_BACKUP', `the backup is damaged: ${what}`, {
    hint: 'use another copy of the backup, or export it again',
  });
}

const check = (blob: Uint8Array): string =>
  createHash('sha256').update(blob).digest().subarray(0, 6).toString('base64');

/**
 * The blob inside the armour (§13.2), in one pass over the lines: no regular expression that can backtrack over the
 * whole text. Blank lines and surrounding whitespace (CRLF included) are ignored. A file cut short or with lines
 * missing (no END line, or a check line that does not match) is damaged, so it is not mistaken for a wrong passphrase. A backup written
 * before the check line existed has none; it is still read.
 * @throws {ChatError} BAD_BACKUP.
 */
export function parseArmor(text: string): Buffer {
  if (text.length > MAX_BACKUP_CHARS) throw bad(`larger than ${MAX_BACKUP_CHARS} characters`);
  const lines = text.split('\n').map((l) => l.trim());
  const begin = lines.indexOf(ARMOR_BEGIN);
  if (begin < 0) throw bad(`no ${ARMOR_BEGIN} line`);
  const end = lines.indexOf(ARMOR_END, begin + 1);
  if (end < 0) throw damaged(`it stops before the ${ARMOR_END} line`);
  const body = lines.slice(begin + 1, end).filter((l) => l !== '');
  const first = body[0];
  const checkLine = first !== undefined && CHECK_LINE.test(first) ? body.shift()!.slice(1) : undefined;
  const b64 = body.join('');
  // Linear: one character class, then at most two '=' (no nested or overlapping quantifiers).
  if (b64.length === 0 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
    throw damaged('the text between the armour lines is not base64');
  const blob = Buffer.from(b64, 'base64');
  if (checkLine !== undefined && checkLine !== check(blob))
    throw damaged('its check line does not match (lines missing or changed)');
  return blob;
}

/**
 * Opens an armoured backup. Everything is checked before the caller writes anything.
 * @throws {ChatError} BAD_BACKUP (damaged or not a backup), BAD_PASSPHRASE (exit 7).
 */
export async function importBackup(text: string, passphrase: string): Promise<BackupContents> {
  const blob = parseArmor(text);
  if (blob.length < HEADER_BYTES + 16 || blob.subarray(0, LABEL_BYTES).toString('latin1') !== BACKUP_LABEL)
    throw bad('wrong header');
  const params: ScryptParams = {
    logN: blob[LABEL_BYTES] ?? 0,
    r: blob[LABEL_BYTES + 1] ?? 0,
    p: blob[LABEL_BYTES + 2] ?? 0,
  };
  if (!checkScryptParams(params)) throw bad('scrypt parameters out of range');
  const salt = blob.subarray(LABEL_BYTES + 3, LABEL_BYTES + 3 + SALT_BYTES);
  const nonce = blob.subarray(LABEL_BYTES + 3 + SALT_BYTES, HEADER_BYTES);
  const key = await deriveKey(passphrase, salt, params);
  let payload: Buffer;
  try {
    payload = openWithKey(key, nonce, blob.subarray(HEADER_BYTES), blob.subarray(0, HEADER_BYTES), 'the backup');
  } catch (err) {
    // The backup's own passphrase, not the keys': the hint names where that one comes from.
    if (err instanceof ChatError && err.code === 'BAD_PASSPHRASE')
      throw new ChatError('BAD_PASSPHRASE', err.message, {
        hint: 'nothing was changed; the backup passphrase is the one chosen at chat key export (CHAT_BACKUP_PASSPHRASE, --backup-passphrase-file, or type it)',
      });
    throw err;
  } finally {
    key.fill(0);
  }
  try {
    return parsePayload(JSON.parse(payload.toString('utf8')) as unknown);
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw bad('the contents are not valid');
  } finally {
    payload.fill(0);
  }
}

function parsePayload(raw: unknown): BackupContents {
  const o = raw as Record<string, unknown> & { identity?: Record<string, unknown>; contacts?: unknown };
  if (o?.version !== 1 || typeof o.identity !== 'object' || o.identity === null || !Array.isArray(o.contacts))
    throw bad('unsupported contents');
  const identity = identityFromSecrets(key32(o.identity.identitySecretKey), key32(o.identity.encryptionSecretKey));
  const config = o.config === null || o.config === undefined ? undefined : parseConfig(o.config, 'the backup');
  return {
    identity,
    config,
    contacts: o.contacts.map(parseContact),
    seenIds: parseSeen(o.seen),
    blocked: list(o.blocked, 'blocked users').map((b) => ({ username: user(b.username), blockedAt: int(b.blockedAt) })),
    nicknames: list(o.nicknames, 'nicknames').map((n) => ({ username: user(n.username), nickname: nick(n.nickname) })),
    timers: list(o.timers, 'timers').map((t) => ({
      conv: conv(t.conv),
      seconds: seconds(t.seconds),
      setBy: user(t.setBy),
      setTs: int(t.setTs),
    })),
    groups: list(o.groups, 'groups').map((g) => ({ record: groupRecord(g.record), member: bool(g.member) })),
    rooms: parseRooms(o.rooms),
  };
}

/** A group state record (§15.3), checked for its layout as a received one is (§15.4 step 1). */
function groupRecord(v: unknown): Uint8Array {
  if (typeof v !== 'string') throw bad('a group record is not base64');
  const bytes = fromBase64(v);
  try {
    parseGroupRecord(bytes);
  } catch {
    throw bad('a group record is malformed');
  }
  return bytes;
}

function bool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw bad('a group membership is not true or false');
  return v;
}

function parseRooms(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((r) => typeof r !== 'string' || !ROOM_PATTERN.test(r)))
    throw bad('the rooms are not a list of room names');
  return v as string[];
}

/** An optional array of objects (absent in a backup written before it was carried). */
function list(v: unknown, what: string): Record<string, unknown>[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null)) throw bad(`the ${what} are not a list`);
  return v as Record<string, unknown>[];
}

function user(v: unknown): string {
  if (typeof v !== 'string' || !isValidUsername(v)) throw bad('an invalid username');
  return v;
}

/** Checked as `chat nick` checks it: a backup is a file anyone may have edited. */
function nick(v: unknown): string {
  if (typeof v !== 'string') throw bad('a nickname is not text');
  try {
    return checkNickname(v);
  } catch {
    throw bad('a nickname has control or invisible characters, or is too long');
  }
}

/** A timer's conversation: a username, or `#` and a 32-hex-digit group id (§17.5). */
function conv(v: unknown): string {
  if (typeof v === 'string' && (/^#[0-9a-f]{32}$/.test(v) || isValidUsername(v))) return v;
  throw bad('a timer names no conversation');
}

function seconds(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TIMER_SECONDS)
    throw bad('a timer is out of range');
  return v;
}

/** §13.2 `seen`: absent in older backups; else base64 of whole 16-byte ids, at most MAX_SEEN_IDS of them. */
function parseSeen(v: unknown): string[] {
  if (v === undefined) return [];
  if (typeof v !== 'string') throw bad('the seen ids are not base64');
  const b = fromBase64(v);
  if (b.length % 16 !== 0 || b.length / 16 > MAX_SEEN_IDS) throw bad('the seen ids are not whole 16-byte ids');
  const ids: string[] = [];
  for (let at = 0; at < b.length; at += 16) ids.push(toHex(b.subarray(at, at + 16)));
  return ids;
}

function key32(v: unknown): Uint8Array {
  if (typeof v !== 'string') throw bad('missing key');
  const b = fromBase64(v);
  if (b.length !== 32) throw bad('a key is not 32 bytes');
  return b;
}

function int(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad('not a time');
  return v;
}

function parseContact(raw: unknown): Contact {
  const c = raw as Record<string, unknown>;
  if (typeof c.username !== 'string' || !isValidUsername(c.username)) throw bad('a contact has an invalid username');
  if (!TRUST.includes(c.trust as TrustState)) throw bad('a contact has an invalid trust state');
  const idpk = key32(c.identityPublicKey);
  let pending: PendingKey | null = null;
  if (c.pending !== null && c.pending !== undefined) {
    const p = c.pending as Record<string, unknown>;
    const pidpk = key32(p.identityPublicKey);
    pending = {
      identityPublicKey: pidpk,
      encryptionPublicKey: key32(p.encryptionPublicKey),
      fingerprint: fingerprint(pidpk),
      seenAt: int(p.seenAt),
    };
  }
  return {
    username: c.username,
    identityPublicKey: idpk,
    encryptionPublicKey: key32(c.encryptionPublicKey),
    // Recomputed, not trusted from the file.
    fingerprint: fingerprint(idpk),
    firstSeen: int(c.firstSeen),
    trust: c.trust as TrustState,
    verifiedAt: c.verifiedAt === null || c.verifiedAt === undefined ? null : int(c.verifiedAt),
    pending,
  };
}
