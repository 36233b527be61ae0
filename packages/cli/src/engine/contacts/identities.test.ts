/**
 * Key changes and trust policies (§3.4, §3.5) against a malicious relay double on a real TLS socket: it answers
 * lookups for bob with whatever key the test chooses and records every frame the client writes.
 */
import type { Server } from 'node:net';
import { generateIdentity, safetyNumber, signBundle, formatSafetyNumber, type KeyBundle } from '@chat/crypto';
import type { ClientFrame } from '@chat/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handshake, scriptedRelay, tempDir } from '../../../test/helpers.js';
import { ChatError } from '../errors.js';
import { parseTrustNewIdentities, type TrustNewIdentities } from './identities.js';
import { Messenger } from '../messenger.js';
import { Profile } from '../profile.js';

describe("a relay that swaps bob's key", () => {
  let t: ReturnType<typeof tempDir>;
  let server: Server;
  let port: number;
  let relayCert: string | undefined;
  let profile: Profile;
  let bobKey: KeyBundle;
  const written: ClientFrame[] = [];
  const alice = generateIdentity();

  beforeEach(async () => {
    t = tempDir('swap');
    written.length = 0;
    bobKey = signBundle('bob', generateIdentity());
    ({
      server,
      port,
      fingerprint: relayCert,
    } = await scriptedRelay((frame, _socket, reply) => {
      written.push(frame);
      if (handshake(frame, reply)) return;
      if (frame.t === 'lookup')
        reply({
          t: 'bundle',
          rid: frame.rid,
          user: 'bob',
          idpk: bobKey.identityPublicKey,
          encpk: bobKey.encryptionPublicKey,
          bsig: bobKey.signature,
        });
      if (frame.t === 'send') reply({ t: 'sent', rid: frame.rid, id: frame.id });
    }));
    profile = new Profile(`${t.dir}/alice`);
    profile.saveIdentity(alice);
    profile.saveConfig({ version: 1, username: 'alice', relay: `127.0.0.1:${port}`, relayId: '01'.repeat(32) });
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    t.cleanup();
  });

  async function send(policy?: TrustNewIdentities): Promise<unknown> {
    const m = await Messenger.open(profile, { trustNewIdentities: policy });
    try {
      return await m.sendMessage('bob', 'the plan');
    } catch (e) {
      return e;
    } finally {
      m.close();
    }
  }
  const sends = () => written.filter((f) => f.t === 'send').length;

  it('on-first-use: pins, then refuses the swapped key with exit 4 naming both fingerprints, and writes no send frame', async () => {
    expect(await send()).toMatchObject({ to: 'bob' });
    expect(sends()).toBe(1);
    // A profile from before TLS (no pin in config.json) pinned the relay certificate on this first connection.
    expect(profile.loadConfig()?.relayCert).toBe(relayCert);
    const peek = await Messenger.open(profile);
    const oldFp = peek.contact('bob')?.fingerprint;
    peek.close();
    bobKey = signBundle('bob', generateIdentity()); // the relay now hands out another key
    const e = (await send()) as ChatError;
    expect(e).toBeInstanceOf(ChatError);
    expect(e.code).toBe('KEY_CHANGED');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain(`you accepted ${oldFp}`);
    expect(sends()).toBe(1);
    // The pending key is recorded; accepting it (the UI's /verify path) lets the next send through.
    const m = await Messenger.open(profile);
    try {
      expect(m.contact('bob')).toMatchObject({ trust: 'changed', fingerprint: oldFp });
      const view = await m.safetyNumber('bob');
      expect(view.forPendingKey).toBe(true);
      expect(view.formatted).toBe(
        formatSafetyNumber(safetyNumber('alice', alice.identity.publicKey, 'bob', bobKey.identityPublicKey)),
      );
      expect(() => m.trust('bob', { verify: '1'.repeat(60) })).toThrow(
        expect.objectContaining({ code: 'SAFETY_NUMBER_MISMATCH', exitCode: 4 }),
      );
      // Not a safety number at all (an empty --verify, a fingerprint pasted): a usage error, nothing changed (hunt3).
      for (const typed of ['', '12345', oldFp, `${view.digits}0`])
        expect(() => m.trust('bob', { verify: typed }), typed).toThrow(
          expect.objectContaining({ code: 'USAGE', exitCode: 2 }),
        );
      expect(m.contact('bob')?.trust).toBe('changed');
      expect(m.trust('bob', { verify: view.digits }).contact).toMatchObject({ trust: 'verified', pending: null });
    } finally {
      m.close();
    }
    expect(await send()).toMatchObject({ to: 'bob' });
    expect(sends()).toBe(2);
  });

  it('always: accepts the swapped key (unverified) and sends, emitting keyChanged', async () => {
    expect(await send('always')).toMatchObject({ to: 'bob' });
    bobKey = signBundle('bob', generateIdentity());
    const m = await Messenger.open(profile, { trustNewIdentities: 'always' });
    const changes: unknown[] = [];
    m.on('keyChanged', (c) => changes.push(c));
    try {
      await m.sendMessage('bob', 'again');
      expect(changes).toEqual([expect.objectContaining({ username: 'bob', accepted: true })]);
      expect(m.contact('bob')?.trust).toBe('unverified');
    } finally {
      m.close();
    }
    expect(sends()).toBe(2);
  });

  it('never: a first-seen key is pinned untrusted and nothing is sent until chat trust', async () => {
    const e = (await send('never')) as ChatError;
    expect(e.code).toBe('UNTRUSTED_IDENTITY');
    expect(e.exitCode).toBe(4);
    expect(sends()).toBe(0);
    const m = await Messenger.open(profile, { trustNewIdentities: 'never' });
    try {
      expect(m.contact('bob')?.trust).toBe('untrusted');
      expect(m.trust('bob')).toMatchObject({ acceptedNewKey: true, contact: { trust: 'unverified' } });
    } finally {
      m.close();
    }
    expect(await send('never')).toMatchObject({ to: 'bob' });
    expect(sends()).toBe(1);
  });

  it('trust on a contact never seen: NO_SUCH_CONTACT (exit 3); policy names are checked', async () => {
    const m = await Messenger.open(profile);
    try {
      expect(() => m.trust('carol')).toThrow(expect.objectContaining({ code: 'NO_SUCH_CONTACT', exitCode: 3 }));
    } finally {
      m.close();
    }
    expect(parseTrustNewIdentities('Never')).toBe('never');
    expect(() => parseTrustNewIdentities('sometimes')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
