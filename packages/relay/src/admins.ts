/**
 * Admins are a username bound to an identity key fingerprint (PROTOCOL.md §14.1): `name:FINGERPRINT`, the fingerprint
 * of §3.3 with or without its spaces. A name alone would let whoever registers it first (before the real admin's
 * first login, or at all on an open relay) act as admin, so a bare name is refused.
 */
import { fingerprint, isValidUsername } from '@chat/crypto';

const ENTRY = /^([^:]+):\s*((?:[0-9a-fA-F]{4}\s?){7}[0-9a-fA-F]{4})\s*$/;

/** Configured admins: username → fingerprint in its canonical §3.3 form (upper-case hex, groups of 4, spaces). */
export type AdminKeys = ReadonlyMap<string, string>;

/**
 * Parses one `admins` entry.
 * @throws {RangeError} when the entry is not `name:fingerprint` with a valid username and a 32-hex-digit fingerprint.
 * @example parseAdminEntry('alice:3F2A 91BC 0D4E 7A11 C0DE 5EED 9B3A 44F0') // ['alice', '3F2A 91BC ...']
 */
export function parseAdminEntry(entry: string): [string, string] {
  const m = ENTRY.exec(entry);
  if (!m || !isValidUsername(m[1]!)) {
    throw new RangeError(
      `admins: expected "name:fingerprint" (the admin's key fingerprint from \`chat whoami\`, 32 hex digits), got ${JSON.stringify(entry)}`,
    );
  }
  const hex = m[2]!.replace(/\s/g, '').toUpperCase();
  return [m[1]!, hex.match(/.{4}/g)!.join(' ')];
}

/** @throws {RangeError} as parseAdminEntry, or when one name is listed with two fingerprints. */
export function parseAdmins(entries: readonly string[]): AdminKeys {
  const admins = new Map<string, string>();
  for (const e of entries) {
    const [name, fp] = parseAdminEntry(e);
    if (admins.has(name) && admins.get(name) !== fp)
      throw new RangeError(`admins: ${name} is listed with two fingerprints`);
    admins.set(name, fp);
  }
  return admins;
}

/** True if `user` is a configured admin and `identityPublicKey` is the key bound to that name. */
export function isAdmin(admins: AdminKeys, user: string, identityPublicKey: Uint8Array): boolean {
  const want = admins.get(user);
  return want !== undefined && want === fingerprint(identityPublicKey);
}
