/**
 * Admins are bound to a key, not only to a name (PROTOCOL.md §14.1, SECURITY.md "Administration"): before the real
 * admin's first login, anyone could otherwise register the configured name with their own key, skip the invite and
 * hold invite/kick/ban/shutdown.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint, generateIdentity, type Identity } from '@chat/crypto';
import type { RelayFrame } from '@chat/protocol';
import { startRelay, type RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess as relayOn } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayWith(options: Parameters<typeof relayOn>[1]): Promise<RunningRelay> {
  const tmp = tempDir('admin-binding');
  const relay = await relayOn(tmp.dir, options);
  cleanups.push(
    () => tmp.cleanup(),
    () => relay.close(),
  );
  return relay;
}

async function loginAs(
  relay: RunningRelay,
  user: string,
  identity: Identity,
): Promise<{ c: RawClient; reply: RelayFrame }> {
  const c = await RawClient.connect(relay.port);
  cleanups.push(() => c.close());
  return { c, reply: await c.login(user, identity) };
}

async function adminStats(c: RawClient): Promise<RelayFrame> {
  c.send({ t: 'admin', rid: 7, op: 'stats' });
  return c.next((f) => f.t === 'admin_stats' || f.t === 'err');
}

const root = generateIdentity();
const entry = `root:${fingerprint(root.identity.publicKey)}`;

describe('admin binding (issue 14, finding 2)', () => {
  it('refuses a configured admin name without a key fingerprint at start', async () => {
    const tmp = tempDir('admin-bare');
    cleanups.push(() => tmp.cleanup());
    const start = startRelay({
      host: '127.0.0.1',
      port: 0,
      dataDir: tmp.dir,
      admins: ['root'],
      registration: 'invite',
    });
    // The old relay started, and the first stranger to log in as `root` became its admin without an invite.
    await start.then(
      (r) => r.close(),
      () => {},
    );
    await expect(start).rejects.toThrow(/name:fingerprint.*"root"/);
  });

  it('invite-only: a stranger cannot register the admin name, even with an invite; the real admin can', async () => {
    const relay = await relayWith({ admins: [entry], registration: 'invite' });
    const thief = await loginAs(relay, 'root', generateIdentity());
    expect(thief.reply).toMatchObject({ t: 'err', code: 'KEY_MISMATCH', fatal: true });
    const real = await loginAs(relay, 'root', root);
    expect(real.reply).toMatchObject({ t: 'welcome', registered: true });
    expect(await adminStats(real.c)).toMatchObject({ t: 'admin_stats' });
  });

  // Review 2026-12-06 finding 9: the open relay registered the squatter, who then got the admin's messages, and the
  // real admin got KEY_MISMATCH.
  it('open registration: a stranger cannot register the admin name; the real admin still can', async () => {
    const relay = await relayWith({ admins: [entry] });
    const thief = await loginAs(relay, 'root', generateIdentity());
    expect(thief.reply).toMatchObject({ t: 'err', code: 'KEY_MISMATCH', fatal: true });
    const real = await loginAs(relay, 'root', root);
    expect(real.reply).toMatchObject({ t: 'welcome', registered: true });
    expect(await adminStats(real.c)).toMatchObject({ t: 'admin_stats' });
  });

  it('a name registered before it was configured as an admin cannot log in with its old key', async () => {
    const tmp = tempDir('admin-later');
    cleanups.push(() => tmp.cleanup());
    const before = await relayOn(tmp.dir);
    const squatter = generateIdentity();
    const early = await RawClient.connect(before.port);
    expect(await early.login('root', squatter)).toMatchObject({ t: 'welcome', registered: true });
    early.close();
    await before.close();
    const after = await relayOn(tmp.dir, { admins: [entry] });
    cleanups.push(() => after.close());
    const again = await RawClient.connect(after.port);
    cleanups.push(() => again.close());
    expect(await again.login('root', squatter)).toMatchObject({ t: 'err', code: 'KEY_MISMATCH', fatal: true });
  });
});
