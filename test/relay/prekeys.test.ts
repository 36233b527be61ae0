/**
 * The prekey frames (PROTOCOL.md §23) against the real relay in process: port 0, TLS 1.3, a real SQLite file.
 * Publish, fetch by another user, exhaustion to the last-resort key, refused batches while the relay keeps serving,
 * the one-time budget, and that a v1 client meets nothing new.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrekeyType, generateIdentity, verifyPrekey, type Identity } from '@chat/crypto';
import type { PrekeyBundleFrame } from '@chat/protocol';
import { relayInProcess, type InProcessOptions, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';
import { prekeyPut, prekeySet, signedPrekey } from '../helpers/prekeys.js';

let relay: InProcessRelay;
let tmp: ReturnType<typeof tempDir>;
const ids: Record<string, Identity> = {};
const open: RawClient[] = [];

async function start(options: InProcessOptions = {}): Promise<void> {
  relay = await relayInProcess(tmp.dir, options);
}

/** A logged-in version-2 session (`recv` unless said), its login-time `prekey_count` already read. */
async function v2(user: string, mode: 'recv' | 'send' = 'send', from?: string): Promise<RawClient> {
  const c = await RawClient.connect(relay.port, '127.0.0.1', from === undefined ? {} : { localAddress: from });
  open.push(c);
  ids[user] ??= generateIdentity();
  expect(await c.login(user, ids[user], mode, 2)).toMatchObject({ t: 'welcome' });
  expect(await c.nextOfType('prekey_count')).not.toHaveProperty('rid');
  return c;
}

async function fetchBundle(c: RawClient, user: string, rid = 7): Promise<PrekeyBundleFrame> {
  c.send({ t: 'prekey_get', rid, user });
  return (await c.next((f) => 'rid' in f && f.rid === rid)) as PrekeyBundleFrame;
}

/** Checks a fetched bundle as a v2 client must (§23.4): the name asked for and every prekey per §18.3. */
function checkBundle(b: PrekeyBundleFrame, user: string): void {
  expect(b.t).toBe('prekey_bundle');
  expect(b.user).toBe(user);
  const idpk = ids[user]!.identity.publicKey;
  const one = (type: number, keyId: number, publicKey: Uint8Array, signature: Uint8Array, allowed: number[]) =>
    verifyPrekey({ type: type as PrekeyType, keyId, publicKey, signature }, user, idpk, allowed as PrekeyType[]);
  one(1, b.spkId, b.spk, b.spkSig, [PrekeyType.x25519Signed]);
  if (b.opk) one(2, b.opkId!, b.opk, b.opkSig!, [PrekeyType.x25519OneTime]);
  one(b.pqType, b.pqId, b.pq, b.pqSig, [PrekeyType.mlkemLastResort, PrekeyType.mlkemOneTime]);
}

beforeEach(() => {
  tmp = tempDir('relay-prekeys');
});
afterEach(async () => {
  open.splice(0).forEach((c) => c.close());
  await relay?.close();
  tmp.cleanup();
});

describe('hello version 2 (§23.1)', () => {
  it('a v1 client meets nothing new: challenge v 1, no prekey_count, and the prekey frames are PROTOCOL_STATE', async () => {
    await start();
    const c = await RawClient.connect(relay.port);
    open.push(c);
    expect(await c.login('vone', generateIdentity(), 'recv')).toMatchObject({ t: 'welcome' });
    await c.nextOfType('synced');
    c.send({ t: 'ping', rid: 1 });
    await c.nextOfType('pong');
    expect(c.frames.map((f) => f.t)).toEqual([]);
    c.send({ t: 'prekey_get', rid: 2, user: 'vone' });
    expect(await c.nextOfType('err')).toMatchObject({ code: 'PROTOCOL_STATE', fatal: true });
    await c.closedPromise;
  });

  it('a v2 client gets challenge v 2 and its counts after welcome; any other version is UNSUPPORTED_VERSION', async () => {
    await start();
    const c = await RawClient.connect(relay.port);
    open.push(c);
    expect((await c.hello(2)).v).toBe(2);
    const d = await RawClient.connect(relay.port);
    open.push(d);
    d.send({ t: 'hello', v: 3, agent: 'future' });
    expect(await d.nextOfType('err')).toMatchObject({ code: 'UNSUPPORTED_VERSION', fatal: true });
    const bob = await v2('bob', 'recv');
    bob.send(prekeyPut(1, []));
    expect(await bob.nextOfType('prekey_count')).toEqual({ t: 'prekey_count', rid: 1, opk: 0, pqopk: 0 });
  });
});

describe('publish and fetch (§23.3, §23.4)', () => {
  it('another user fetches a bundle it can check; one-time keys run out into the last-resort key', async () => {
    await start();
    const bob = await v2('bob', 'recv');
    const keys = prekeySet(ids.bob!, 'bob', 2, 1);
    bob.send(prekeyPut(1, keys));
    expect(await bob.nextOfType('prekey_count')).toEqual({
      t: 'prekey_count',
      rid: 1,
      opk: 2,
      pqopk: 1,
      spkId: 1,
      pqspkId: 1,
    });
    const alice = await v2('alice');

    const first = await fetchBundle(alice, 'bob', 1);
    checkBundle(first, 'bob');
    expect(first).toMatchObject({ opkId: 100, pqType: 4, pqId: 100 });
    expect(Buffer.from(first.idpk).equals(Buffer.from(ids.bob!.identity.publicKey))).toBe(true);
    expect(Buffer.from(first.opk!).equals(Buffer.from(keys[2]!.publicKey))).toBe(true);
    // The fetch left bob below the low-water marks: his session hears it, unasked.
    expect(await bob.nextOfType('prekey_count')).toEqual({ t: 'prekey_count', opk: 1, pqopk: 0, spkId: 1, pqspkId: 1 });

    const second = await fetchBundle(alice, 'bob', 2);
    checkBundle(second, 'bob');
    expect(second).toMatchObject({ opkId: 101, pqType: 3, pqId: 1 });
    const third = await fetchBundle(alice, 'bob', 3);
    checkBundle(third, 'bob');
    expect(third).not.toHaveProperty('opk');
    expect(third).toMatchObject({ pqType: 3, pqId: 1 });
    expect(Buffer.from(third.pq).equals(Buffer.from(keys[1]!.publicKey))).toBe(true);
  });

  it('answers UNKNOWN_USER for no such user and NO_PREKEYS for a user who published none', async () => {
    await start();
    await v2('bob');
    const alice = await v2('alice');
    alice.send({ t: 'prekey_get', rid: 1, user: 'nobody' });
    expect(await alice.nextOfType('err')).toMatchObject({ rid: 1, code: 'UNKNOWN_USER', fatal: false });
    alice.send({ t: 'prekey_get', rid: 2, user: 'bob' });
    expect(await alice.nextOfType('err')).toMatchObject({ rid: 2, code: 'NO_PREKEYS', fatal: false });
  });

  it('a republished signed prekey replaces the old one', async () => {
    await start();
    const bob = await v2('bob');
    bob.send(prekeyPut(1, prekeySet(ids.bob!, 'bob', 0, 0)));
    await bob.nextOfType('prekey_count');
    const spk = signedPrekey(ids.bob!, 'bob', PrekeyType.x25519Signed, 2);
    bob.send(prekeyPut(2, [spk]));
    expect(await bob.nextOfType('prekey_count')).toMatchObject({ rid: 2, spkId: 2, pqspkId: 1 });
    const b = await fetchBundle(await v2('alice'), 'bob');
    expect(b.spkId).toBe(2);
    expect(Buffer.from(b.spk).equals(Buffer.from(spk.publicKey))).toBe(true);
  });
});

describe('refused batches (§23.3): typed codes, nothing stored, the relay keeps serving', () => {
  it('a bad signature, a key signed for another name, bad keys and the caps', async () => {
    await start();
    const bob = await v2('bob');
    const good = prekeySet(ids.bob!, 'bob', 1, 0);
    const tampered = { ...good[2]!, signature: Uint8Array.from(good[2]!.signature, (b, i) => (i === 0 ? b ^ 1 : b)) };
    // Signed with bob's own identity key, but for the name "mallory": the name is part of what is signed (§18.2).
    const forMallory = signedPrekey(ids.bob!, 'mallory', PrekeyType.x25519OneTime, 7);
    const smallOrder = { ...good[2]!, publicKey: new Uint8Array(32) };
    const overModulus = { ...good[1]!, publicKey: new Uint8Array(1184).fill(0xff) };
    const cases: [string, ReturnType<typeof prekeyPut>][] = [
      ['PREKEY_BAD_SIGNATURE', prekeyPut(1, [good[0]!, tampered])],
      ['PREKEY_BAD_SIGNATURE', prekeyPut(2, [forMallory])],
      ['PREKEY_INVALID', prekeyPut(3, [smallOrder])],
      ['PREKEY_INVALID', prekeyPut(4, [overModulus])],
      ['PREKEY_INVALID', prekeyPut(5, [good[0]!, good[0]!])],
    ];
    for (const [code, frame] of cases) {
      bob.send(frame);
      expect(await bob.nextOfType('err')).toMatchObject({ rid: frame.rid, code, fatal: false });
    }
    bob.send(prekeyPut(6, []));
    expect(await bob.nextOfType('prekey_count')).toEqual({ t: 'prekey_count', rid: 6, opk: 0, pqopk: 0 });

    // The caps: 200 one-time X25519 keys fit, one more does not, and the refused batch stores nothing.
    const many = Array.from({ length: 200 }, (_, i) => signedPrekey(ids.bob!, 'bob', PrekeyType.x25519OneTime, i));
    bob.send(prekeyPut(7, many));
    expect(await bob.nextOfType('prekey_count')).toMatchObject({ rid: 7, opk: 200 });
    bob.send(prekeyPut(8, [signedPrekey(ids.bob!, 'bob', PrekeyType.x25519OneTime, 500), good[0]!]));
    expect(await bob.nextOfType('err')).toMatchObject({ rid: 8, code: 'PREKEY_LIMIT', fatal: false });
    bob.send(prekeyPut(9, [good[0]!, good[1]!], true));
    expect(await bob.nextOfType('prekey_count')).toEqual({
      t: 'prekey_count',
      rid: 9,
      opk: 0,
      pqopk: 0,
      spkId: 1,
      pqspkId: 1,
    });
    bob.send({ t: 'ping', rid: 10 });
    expect(await bob.nextOfType('pong')).toEqual({ t: 'pong', rid: 10 });
  });
});

describe('the one-time budget (§23.6)', () => {
  it('past the account or address burst, bundles come from the signed keys and consume nothing', async () => {
    await start({ limits: { prekeyTakesBurst: 2, prekeyTakesPerIpBurst: 3 } });
    const bob = await v2('bob');
    bob.send(prekeyPut(1, prekeySet(ids.bob!, 'bob', 10, 0)));
    await bob.nextOfType('prekey_count');
    const mallory = await v2('mallory');
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await fetchBundle(mallory, 'bob', 10 + i));
    expect(got.map((b) => b.opkId)).toEqual([100, 101, undefined, undefined]);
    for (const b of got) checkBundle(b, 'bob');
    // Another account from the same address: the address has one take left, then none.
    const eve = await v2('eve');
    expect((await fetchBundle(eve, 'bob', 20)).opkId).toBe(102);
    expect((await fetchBundle(eve, 'bob', 21)).opkId).toBeUndefined();
    // From another address, a fresh account is served one-time keys again.
    const carol = await v2('carol', 'send', '127.0.0.2');
    expect((await fetchBundle(carol, 'bob', 30)).opkId).toBe(103);
    bob.send(prekeyPut(2, []));
    expect(await bob.next((f) => f.t === 'prekey_count' && f.rid === 2)).toMatchObject({ opk: 6 });
    // Bob heard of each take that left him low (four of them), and of nothing else.
    expect(bob.frames.map((f) => (f.t === 'prekey_count' ? f.opk : f.t))).toEqual([9, 8, 7, 6]);
  });
});
