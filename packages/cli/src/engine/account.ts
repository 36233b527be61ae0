/** `chat login` as an engine call: authenticate once (§8) and remember the relay, its id and our username. */
import { type Identity, toHex } from '@chat/crypto';
import { formatPinnedAddress, formatRelayAddress, type RelayAddress } from './address.js';
import { Connection } from './net/connection.js';
import { ChatError } from './errors.js';
import type { ChatConfig, Profile } from './profile.js';
import { normalizeUsername } from './username.js';

export interface LoginResult {
  username: string;
  relay: string;
  relayId: string;
  /** True if this login created the account on the relay. */
  registered: boolean;
  /** The relay id pinned before, when this login replaced it with another (a deliberate re-join, §8). */
  replacedRelayId: string | undefined;
  /** The relay certificate fingerprint now pinned (§5.1); undefined with `insecure`. */
  relayCert: string | undefined;
  /**
   * The certificate fingerprint pinned before, when a `chat://` address deliberately replaced it, or `--drop-tls-pin`
   * dropped it (then for `droppedPinRelay`, which may be another address than this login's).
   */
  replacedRelayCert: string | undefined;
  /** With `--drop-tls-pin`: the address whose pinned certificate (`replacedRelayCert`) this login dropped. */
  droppedPinRelay?: string;
  /** `chat://<fingerprint>@host:port`, to share with others; plain host:port with `insecure`. */
  shareableAddress: string;
  /** A bare host:port and no pin held: the certificate was trusted on first use (§5.1), worth checking. */
  trustedOnFirstUse: boolean;
}

export interface LoginOptions {
  agent?: string;
  /** Plaintext TCP (§5.1); refused together with a `chat://` address. */
  insecure?: boolean;
  /** With `insecure`: replace a certificate pinned for this address with plaintext (`--drop-tls-pin`, §5.1). */
  dropTlsPin?: boolean;
  /** Unlocks passphrase-protected keys (§13.1). */
  passphrase?: string | undefined;
  /** A one-time invite code for an invite-only relay (§8, §14.3). */
  invite?: string | undefined;
  /** Say `hello` 1 (§23.1), so no prekeys are published: a client from before v2 (`MessengerOptions.v1Only`). */
  v1Only?: boolean;
}

/**
 * Registers (first login) or logs in as `username` in mode `send`, then stores username, address, relay id and the
 * relay's certificate fingerprint. Logging in is the deliberate way to accept a relay whose id changed, so no relay
 * id is expected here. The certificate (§5.1) is another matter: a `chat://` address names the one to accept; with
 * a bare `host:port` the one the profile has pinned (for any address) must match, else (no pin yet) the first one
 * seen is pinned.
 *
 * @throws {ChatError} NO_IDENTITY, BAD_USERNAME, RELAY_UNREACHABLE, RELAY_CERT_MISMATCH, TLS_FAILED, KEY_MISMATCH, …
 */
export async function login(
  profile: Profile,
  username: string,
  address: RelayAddress,
  options: LoginOptions | string = {},
): Promise<LoginResult> {
  const {
    agent,
    insecure = false,
    passphrase,
    invite,
    dropTlsPin = false,
    v1Only = false,
  } = typeof options === 'string' ? { agent: options, passphrase: undefined, invite: undefined } : options;
  if (insecure && address.fingerprint !== undefined) {
    throw new ChatError(
      'USAGE',
      '--insecure cannot be used with a chat://<fingerprint>@ address (that pins a TLS certificate)',
      {
        hint: 'give host:port with --insecure, or drop --insecure',
      },
    );
  }
  const name = normalizeUsername(username);
  const { identity, storageKey } = await profile.unlockKeys(passphrase);
  const previous = profile.loadConfig();
  const relay = formatRelayAddress(address);
  // A relay that spoke TLS and now answers in plaintext may be an impostor: replacing a pin with plaintext takes a
  // separate, explicit flag (§5.1), never --insecure alone. Any pin counts, not only one for the address as typed:
  // the same relay has many spellings (names, case, IPv4 and IPv6 literals), and review 2026-12-06 finding 7 showed
  // LOCALHOST:port slipping past a pin held for localhost:port.
  const heldPin = previous?.relayCert;
  if (insecure && heldPin !== undefined && !dropTlsPin) {
    throw new ChatError(
      'USAGE',
      `${previous!.relay} has a pinned TLS certificate (${heldPin}); --insecure would replace it with plaintext`,
      {
        hint: "something else may be answering at that address: ask the relay's operator. If the relay really runs without TLS now: chat login <name> --insecure --drop-tls-pin",
      },
    );
  }
  // The same over TLS (review 2 of 2026-12-06, finding 2): a bare host:port must present the pin the profile holds,
  // whatever the spelling (127.0.0.1:P for a pin taken at localhost:P accepted any certificate and re-pinned it).
  // Only a chat:// address, which names the certificate, replaces a pin.
  const expected = address.fingerprint ?? (insecure ? undefined : heldPin);
  let conn: Connection;
  try {
    conn = await Connection.open({
      address,
      username: name,
      identity,
      mode: 'send',
      insecure,
      expectedCertFingerprint: expected,
      ...(agent ? { agent } : {}),
      invite,
      v1Only,
    });
  } catch (err) {
    throw address.fingerprint === undefined ? heldPinMismatch(err, address, previous?.relay, heldPin) : err;
  }
  const relayId = toHex(conn.relayId);
  const registered = conn.registered;
  const relayCert = conn.certFingerprint;
  try {
    // Best effort: a relay that limits us now (RATE_LIMITED) or a lost connection must not fail the login; the first
    // receiving connection publishes again (§23.5).
    await publishAtLogin(profile, name, identity, storageKey, conn).catch(() => {});
  } finally {
    storageKey.fill(0);
    await conn.close();
  }
  const cfg: ChatConfig = { version: 1, username: name, relay, relayId };
  if (relayCert !== undefined) cfg.relayCert = relayCert;
  if (insecure) cfg.insecure = true;
  profile.saveConfig(cfg);
  return {
    username: name,
    relay,
    relayId,
    registered,
    replacedRelayId: previous && previous.relayId !== relayId ? previous.relayId : undefined,
    relayCert,
    replacedRelayCert: heldPin !== undefined && (insecure || heldPin !== relayCert) ? heldPin : undefined,
    ...(insecure && heldPin !== undefined ? { droppedPinRelay: previous!.relay } : {}),
    shareableAddress: relayCert === undefined ? relay : formatPinnedAddress(address, relayCert),
    trustedOnFirstUse: expected === undefined && relayCert !== undefined,
  };
}

/**
 * A relay that speaks v2 gets our prekeys at login (PROTOCOL.md §23.3), so others can start a v2 session with us
 * before our first `chat recv`.
 */
async function publishAtLogin(
  profile: Profile,
  username: string,
  identity: Identity,
  storageKey: Uint8Array,
  conn: Connection,
): Promise<void> {
  if (!conn.speaksV2) return;
  const [{ Store }, { publishPrekeys }] = await Promise.all([import('./store/store.js'), import('./v2/publish.js')]);
  const store = Store.open(profile.dbPath, storageKey);
  try {
    await publishPrekeys({ username, identity, store }, conn);
  } finally {
    store.close();
  }
}

/** A bare host:port that did not present the held pin: say which pin, and how to accept this relay deliberately. */
function heldPinMismatch(
  err: unknown,
  address: RelayAddress,
  pinnedFor: string | undefined,
  pin: string | undefined,
): unknown {
  if (!(err instanceof ChatError) || err.code !== 'RELAY_CERT_MISMATCH' || err.presentedCert === undefined) return err;
  const relay = formatRelayAddress(address);
  return new ChatError(
    'RELAY_CERT_MISMATCH',
    `the relay at ${relay} presented a TLS certificate (${err.presentedCert}) that does not match the pinned one (${pin}, pinned at ${pinnedFor}); refusing to connect`,
    {
      hint: `someone may be intercepting the connection. If ${relay} is a relay you mean to use (a new one, or a new key), check its fingerprint with its operator, then: chat login <name> --relay ${formatPinnedAddress(address, err.presentedCert)}`,
      presentedCert: err.presentedCert,
    },
  );
}
