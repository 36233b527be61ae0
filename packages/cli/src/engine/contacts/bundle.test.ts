/** §3.2 / §3.4 checks on what a (hostile) relay answers to `lookup`. */
import type { Server } from 'node:net';
import { generateIdentity, signBundle } from '@chat/crypto';
import type { BundleFrame } from '@chat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { openProfileDb } from '../../../../../test/helpers/profile-db.js';
import { handshake, memIo, scriptedRelay, tempDir } from '../../../test/helpers.js';
import { runCommand } from '../../commands/io.js';
import { send } from '../../commands/send.js';
import { login } from '../account.js';
import { parseRelayAddress } from '../address.js';
import { Profile } from '../profile.js';
import { Connection } from '../net/connection.js';
import { ChatError } from '../errors.js';
import { fetchBundle } from './bundle.js';

const bob = signBundle('bob', generateIdentity());
const carol = signBundle('carol', generateIdentity());

describe('fetchBundle', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function lookupAnswered(answer: (rid: number) => BundleFrame): Promise<unknown> {
    const { server, port } = await scriptedRelay((frame, _socket, reply) => {
      if (!handshake(frame, reply) && frame.t === 'lookup') reply(answer(frame.rid));
    });
    servers.push(server);
    const conn = await Connection.open({
      address: { host: '127.0.0.1', port },
      username: 'alice',
      identity: generateIdentity(),
      mode: 'send',
    });
    try {
      return await fetchBundle(conn, 'bob');
    } catch (e) {
      return e;
    } finally {
      await conn.close();
    }
  }

  const frame = (rid: number, b: typeof bob, over: Partial<BundleFrame> = {}): BundleFrame => ({
    t: 'bundle',
    rid,
    user: b.username,
    idpk: b.identityPublicKey,
    encpk: b.encryptionPublicKey,
    bsig: b.signature,
    ...over,
  });

  it('accepts a valid bundle for the name asked', async () => {
    const got = (await lookupAnswered((rid) => frame(rid, bob))) as BundleFrame;
    expect(new Uint8Array(got.idpk)).toEqual(bob.identityPublicKey);
  });

  it("refuses another user's valid bundle (exit 4)", async () => {
    const e = await lookupAnswered((rid) => frame(rid, carol));
    expect(e).toBeInstanceOf(ChatError);
    expect((e as ChatError).code).toBe('BUNDLE_INVALID');
    expect((e as ChatError).exitCode).toBe(4);
  });

  it("refuses carol's keys relabelled as bob (the username is signed)", async () => {
    const e = await lookupAnswered((rid) => frame(rid, carol, { user: 'bob' }));
    expect((e as ChatError).code).toBe('BUNDLE_INVALID');
  });

  it('refuses a bundle whose encryption key was swapped', async () => {
    const e = await lookupAnswered((rid) => frame(rid, bob, { encpk: carol.encryptionPublicKey }));
    expect((e as ChatError).code).toBe('BUNDLE_INVALID');
    expect((e as ChatError).exitCode).toBe(4);
  });
});

describe('chat send through a relay that answers with the wrong bundle (§3.2)', () => {
  it("carol's valid bundle for bob: exit 4 with BUNDLE_INVALID, nothing pinned, nothing queued or sent", async () => {
    const t = tempDir('lying-relay');
    const sent: string[] = [];
    const { server, port, fingerprint } = await scriptedRelay((frame, _socket, reply) => {
      if (handshake(frame, reply)) return;
      if (frame.t === 'lookup') reply(bundleFrame(frame.rid, frame.user === 'bob' ? carol : bob));
      if (frame.t === 'send') sent.push(frame.to);
    });
    try {
      const home = `${t.dir}/alice`;
      const profile = new Profile(home);
      profile.saveIdentity(generateIdentity());
      await login(profile, 'alice', parseRelayAddress(`chat://${fingerprint}@127.0.0.1:${port}`), 'test');
      const io = memIo({ CHAT_HOME: home, CHAT_NO_DAEMON: '1' });
      expect(await runCommand(io, () => send({ username: 'bob', message: ['for bob only'] }, io))).toBe(4);
      expect(io.err()).toMatch(
        /^chat: error: the relay answered a lookup for bob with a key bundle for carol \(BUNDLE_INVALID\)\nchat: hint: /,
      );
      expect(sent).toEqual([]);
      const db = openProfileDb(home, { readonly: true });
      expect(db.prepare('SELECT count(*) AS n FROM contacts').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
      db.close();
    } finally {
      server.close();
      t.cleanup();
    }
  });
});

function bundleFrame(rid: number, b: typeof bob): BundleFrame {
  return {
    t: 'bundle',
    rid,
    user: b.username,
    idpk: b.identityPublicKey,
    encpk: b.encryptionPublicKey,
    bsig: b.signature,
  };
}
