import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, sign, verifyBundle } from '@chat/crypto';
import { authMessage, type ErrFrame, type WelcomeFrame } from '@chat/protocol';
import type { RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

let relay: RunningRelay;
const tmp = tempDir('relay-auth');
beforeAll(async () => {
  relay = await relayInProcess(tmp.dir);
});
afterAll(async () => {
  await relay.close();
  tmp.cleanup();
});

const expectFatal = async (c: RawClient, reply: unknown, code: string) => {
  expect(reply).toMatchObject({ t: 'err', code, fatal: true });
  await c.closedPromise;
};

describe('authentication (PROTOCOL.md §8)', () => {
  it('registers on first login and logs in again with the same keys', async () => {
    const id = generateIdentity();
    const a = await RawClient.connect(relay.port);
    expect(await a.login('alice', id)).toEqual({ t: 'welcome', user: 'alice', mode: 'send', registered: true });
    a.close();
    const b = await RawClient.connect(relay.port);
    expect((await b.login('alice', id)) as WelcomeFrame).toMatchObject({ t: 'welcome', registered: false });
    b.close();
  });

  it('refuses a login for an existing username with a different key', async () => {
    const a = await RawClient.connect(relay.port);
    await a.login('mallory-target', generateIdentity());
    a.close();
    const b = await RawClient.connect(relay.port);
    await expectFatal(b, await b.login('mallory-target', generateIdentity()), 'KEY_MISMATCH');
  });

  it('refuses usernames outside the charset with BAD_USERNAME', async () => {
    for (const name of ['UPPER', '9lives', 'bad name', 'dot.name', 'ümlaut']) {
      const c = await RawClient.connect(relay.port);
      await expectFatal(c, await c.login(name), 'BAD_USERNAME');
    }
  });

  it('refuses a user field outside str(3..32) as a malformed frame (BAD_FRAME)', async () => {
    for (const name of ['Al', 'a'.repeat(33)]) {
      const c = await RawClient.connect(relay.port);
      await expectFatal(c, await c.loginUnchecked(name), 'BAD_FRAME');
    }
  });

  it('refuses a signature made for another connection (a replayed login)', async () => {
    const id = generateIdentity();
    const first = await RawClient.connect(relay.port);
    const ch1 = await first.hello();
    const captured = first.authFrame(ch1, 'replayed', id, 'send');
    first.close();
    const second = await RawClient.connect(relay.port);
    await second.hello();
    second.send(captured);
    await expectFatal(second, await second.next(), 'AUTH_FAILED');
  });

  it('refuses a signature bound to another relay id or mode', async () => {
    const id = generateIdentity();
    const c = await RawClient.connect(relay.port);
    const ch = await c.hello();
    const frame = c.authFrame(ch, 'othermode', id, 'send');
    const wrongRelay = new Uint8Array(32).fill(7);
    c.send({
      ...frame,
      sig: sign(authMessage(wrongRelay, ch.nonce, 'othermode', 'send'), id.identity.secretKey),
    } as never);
    await expectFatal(c, await c.next(), 'AUTH_FAILED');
    const d = await RawClient.connect(relay.port);
    const ch2 = await d.hello();
    const f2 = d.authFrame(ch2, 'othermode', id, 'send');
    d.send({ ...f2, mode: 'recv' } as never); // signed for send, claims recv
    await expectFatal(d, await d.next(), 'AUTH_FAILED');
  });

  it('refuses a bundle whose signature or keys do not verify', async () => {
    const id = generateIdentity();
    const c = await RawClient.connect(relay.port);
    const ch = await c.hello();
    const frame = c.authFrame(ch, 'badbundle', id, 'send') as { bsig: Uint8Array };
    const bsig = Uint8Array.from(frame.bsig);
    bsig[0] = bsig[0]! ^ 1;
    c.send({ ...frame, bsig } as never);
    await expectFatal(c, await c.next(), 'AUTH_FAILED');
    const d = await RawClient.connect(relay.port);
    const ch2 = await d.hello();
    const f2 = d.authFrame(ch2, 'lowordkey', id, 'send');
    d.send({ ...f2, encpk: new Uint8Array(32) } as never); // all-zero X25519 key
    await expectFatal(d, await d.next(), 'AUTH_FAILED');
  });

  it('verifies the bundle of a registered user again unless it is byte for byte the stored one', async () => {
    const id = generateIdentity();
    const first = await RawClient.connect(relay.port);
    expect(await first.login('returning', id, 'send')).toMatchObject({ t: 'welcome', registered: true });
    first.close();
    // Same keys, the bundle signature flipped: the relay must not take it for the stored (verified) bundle.
    const c = await RawClient.connect(relay.port);
    const frame = c.authFrame(await c.hello(), 'returning', id, 'send') as { bsig: Uint8Array };
    const bsig = Uint8Array.from(frame.bsig);
    bsig[63] = bsig[63]! ^ 0x10;
    c.send({ ...frame, bsig } as never);
    await expectFatal(c, await c.next(), 'AUTH_FAILED');
    // The stored bundle itself logs in, and is not registered anew.
    const again = await RawClient.connect(relay.port);
    expect(await again.login('returning', id, 'send')).toMatchObject({ t: 'welcome', registered: false });
    again.close();
  });

  it('allows one receiving session per user, with send sessions beside it', async () => {
    const id = generateIdentity();
    const recv1 = await RawClient.connect(relay.port);
    expect(await recv1.login('single', id, 'recv')).toMatchObject({ t: 'welcome', mode: 'recv' });
    await recv1.nextOfType('synced');
    const recv2 = await RawClient.connect(relay.port);
    const refused = (await recv2.login('single', id, 'recv')) as ErrFrame;
    await expectFatal(recv2, refused, 'ALREADY_RECEIVING');
    expect(refused.msg).toMatch(/already receiving/);
    const sender = await RawClient.connect(relay.port);
    expect(await sender.login('single', id, 'send')).toMatchObject({ t: 'welcome', mode: 'send' });
    recv1.close();
    await recv1.closedPromise;
    // once the first receiver is gone, a new one is welcome
    let ok = false;
    for (let i = 0; i < 1_000 && !ok; i++) {
      // bounded by count, not by a clock
      const recv3 = await RawClient.connect(relay.port);
      const reply = await recv3.login('single', id, 'recv');
      ok = reply.t === 'welcome';
      recv3.close();
      if (!ok) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ok).toBe(true);
    sender.close();
  });

  it('answers lookups with a bundle that verifies, and UNKNOWN_USER otherwise', async () => {
    const id = generateIdentity();
    const c = await RawClient.connect(relay.port);
    await c.login('lookedup', id);
    c.send({ t: 'lookup', rid: 7, user: 'lookedup' });
    const b = await c.nextOfType('bundle');
    expect(b.rid).toBe(7);
    expect(() =>
      verifyBundle({ username: b.user, identityPublicKey: b.idpk, encryptionPublicKey: b.encpk, signature: b.bsig }),
    ).not.toThrow();
    expect(Buffer.from(b.idpk).equals(Buffer.from(id.identity.publicKey))).toBe(true);
    c.send({ t: 'lookup', rid: 8, user: 'nobody-here' });
    expect(await c.nextOfType('err')).toMatchObject({ rid: 8, code: 'UNKNOWN_USER', fatal: false });
    c.send({ t: 'ping', rid: 9 });
    expect(await c.nextOfType('pong')).toEqual({ t: 'pong', rid: 9 });
    c.close();
  });
});

describe('connection states (PROTOCOL.md §7)', () => {
  it('refuses frames out of state', async () => {
    const a = await RawClient.connect(relay.port);
    a.send({ t: 'lookup', rid: 1, user: 'alice' });
    await expectFatal(a, await a.next(), 'PROTOCOL_STATE');
    const b = await RawClient.connect(relay.port);
    await b.hello();
    b.send({ t: 'hello', v: 1, agent: 'again' });
    await expectFatal(b, await b.next(), 'PROTOCOL_STATE');
    const c = await RawClient.connect(relay.port);
    await c.login('acker', generateIdentity(), 'send');
    c.send({ t: 'ack', ids: [new Uint8Array(16)] });
    await expectFatal(c, await c.next(), 'PROTOCOL_STATE');
  });

  it('refuses another protocol version', async () => {
    const c = await RawClient.connect(relay.port);
    c.send({ t: 'hello', v: 3, agent: 'future' });
    await expectFatal(c, await c.next(), 'UNSUPPORTED_VERSION');
  });

  it('closes a connection that does not authenticate in time', async () => {
    const t = tempDir('relay-timeout');
    const quick = await relayInProcess(t.dir, { handshakeTimeoutMs: 200 });
    const c = await RawClient.connect(quick.port);
    await c.hello();
    await expectFatal(c, await c.next(() => true, 3_000), 'HANDSHAKE_TIMEOUT');
    await quick.close();
    t.cleanup();
  });
});
