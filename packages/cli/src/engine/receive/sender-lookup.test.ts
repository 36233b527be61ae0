/**
 * PROTOCOL.md §4 step 6 when the lookup of an unknown sender fails, against a relay that lies or refuses (a scripted
 * TLS peer, test/helpers.ts): `UNKNOWN_USER` rejects and acknowledges; a bundle that fails §3.2 (another user's) is
 * held and left on the relay; any other failure ends the session with nothing after it acknowledged or rejected.
 */
import type { Server } from 'node:net';
import {
  MessageKind,
  generateIdentity,
  randomMessageId,
  sealEnvelope,
  signBundle,
  toHex,
  utf8,
  type Identity,
} from '@chat/crypto';
import type { BundleFrame, MsgFrame, RelayFrame } from '@chat/protocol';
import { openProfileDb } from '../../../../../test/helpers/profile-db.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handshake, scriptedRelay, tempDir, type TempDir } from '../../../test/helpers.js';
import { login } from '../account.js';
import { parseRelayAddress } from '../address.js';
import { ChatError } from '../errors.js';
import type { HeldMessage, ReceiveSummary, RejectedMessage } from '../events.js';
import { Messenger } from '../messenger.js';
import { Profile } from '../profile.js';

const users = new Map<string, Identity>(['bob', 'carol', 'dave', 'erin'].map((u) => [u, generateIdentity()]));
const alice = generateIdentity();

function bundleOf(name: string, rid: number): BundleFrame {
  const b = signBundle(name, users.get(name)!);
  return { t: 'bundle', rid, user: name, idpk: b.identityPublicKey, encpk: b.encryptionPublicKey, bsig: b.signature };
}

/** A text envelope from `from` to alice, signed by `signer` (by default `from`'s own key, a made-up one for mallory). */
function textFrom(from: string, body: string, signer = users.get(from) ?? generateIdentity()): MsgFrame {
  const id = randomMessageId();
  const key = signer.identity.secretKey;
  const env = sealEnvelope(
    { kind: MessageKind.text, from, to: 'alice', id, ts: Date.now(), body: utf8(body) },
    key,
    alice.encryption.publicKey,
  );
  return { t: 'msg', id, env, ts: Date.now() };
}

describe('§4 step 6: the lookup of an unknown sender fails', () => {
  let t: TempDir;
  let server: Server | undefined;
  beforeEach(() => {
    t = tempDir('sender-lookup');
  });
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
    t.cleanup();
  });

  /**
   * alice, logged in on a scripted relay that delivers `mailbox` to her `recv` session and answers each `lookup` with
   * `answer`; returns what one `receive` did and the ids she acknowledged.
   */
  async function receiveFrom(mailbox: MsgFrame[], answer: (user: string, rid: number) => RelayFrame) {
    const acked: string[] = [];
    const relay = await scriptedRelay((frame, _socket, reply) => {
      if (frame.t === 'auth' && frame.mode === 'recv') {
        handshake(frame, reply);
        for (const m of mailbox) reply(m);
        reply({ t: 'synced' });
      } else if (handshake(frame, reply)) return;
      else if (frame.t === 'lookup') reply(answer(frame.user, frame.rid));
      else if (frame.t === 'ack') acked.push(...frame.ids.map((id) => toHex(id)));
      else if (frame.t === 'ping') reply({ t: 'pong', rid: frame.rid });
      else if (frame.t === 'send') reply({ t: 'sent', rid: frame.rid, id: frame.id });
    });
    server = relay.server;
    const profile = new Profile(`${t.dir}/alice`);
    profile.saveIdentity(alice);
    await login(profile, 'alice', parseRelayAddress(`chat://${relay.fingerprint}@127.0.0.1:${relay.port}`), 'test');
    const m = await Messenger.open(profile);
    const held: HeldMessage[] = [];
    const rejected: RejectedMessage[] = [];
    const shown: string[] = [];
    m.on('held', (h) => held.push(h));
    m.on('rejected', (r) => rejected.push(r));
    m.on('message', (x) => shown.push(x.body));
    try {
      const outcome: { summary?: ReceiveSummary; error?: unknown } = await m.receive().then(
        (summary) => ({ summary }),
        (error: unknown) => ({ error }),
      );
      return { ...outcome, held, rejected, shown, acked, contacts: m.contacts().map((c) => c.username), profile };
    } finally {
      m.close();
    }
  }

  it('UNKNOWN_USER: rejected as ENVELOPE_BAD_SIGNATURE, recorded and acknowledged', async () => {
    const forged = textFrom('mallory', 'from nobody');
    const r = await receiveFrom([forged], (user, rid) =>
      user === 'mallory'
        ? { t: 'err', rid, code: 'UNKNOWN_USER', msg: 'no such user', fatal: false }
        : bundleOf(user, rid),
    );
    expect(r.summary).toEqual({ received: 0, duplicates: 0, held: 0, rejected: 1 });
    expect(r.rejected).toEqual([{ id: toHex(forged.id), code: 'ENVELOPE_BAD_SIGNATURE', detail: expect.any(String) }]);
    expect(r.acked).toEqual([toHex(forged.id)]);
    expect(r.shown).toEqual([]);
    const db = openProfileDb(r.profile.home, { readonly: true });
    expect(db.prepare('SELECT id, reason FROM rejected').all()).toEqual([
      { id: toHex(forged.id), reason: 'ENVELOPE_BAD_SIGNATURE' },
    ]);
    db.close();
  });

  it("a relay that answers carol's valid bundle for bob: held, not acknowledged, nothing pinned (§3.2)", async () => {
    const fromBob = textFrom('bob', 'really bob');
    const r = await receiveFrom([fromBob], (user, rid) => bundleOf(user === 'bob' ? 'carol' : user, rid));
    expect(r.summary).toEqual({ received: 0, duplicates: 0, held: 1, rejected: 0 });
    expect(r.held).toEqual([{ id: toHex(fromBob.id), from: 'bob', reason: 'BUNDLE_INVALID' }]);
    expect(r.acked).toEqual([]);
    expect(r.shown).toEqual([]);
    expect(r.contacts).toEqual([]);
  });

  it('RATE_LIMITED on the lookup: what came before is committed and acknowledged; that envelope and the rest stay', async () => {
    const first = textFrom('dave', 'before');
    const limited = textFrom('erin', 'limited');
    const after = textFrom('bob', 'after');
    const r = await receiveFrom([first, limited, after], (user, rid) =>
      user === 'erin'
        ? { t: 'err', rid, code: 'RATE_LIMITED', msg: 'retry in 500 ms', fatal: false }
        : bundleOf(user, rid),
    );
    expect(r.error).toBeInstanceOf(ChatError);
    expect((r.error as ChatError).code).toBe('RATE_LIMITED');
    expect(r.shown).toEqual(['before']);
    expect(r.acked).toEqual([toHex(first.id)]);
    expect(r.rejected).toEqual([]);
    expect(r.held).toEqual([]);
    expect(r.contacts).toEqual(['dave']);
  });

  it("a pinned sender whose signature fails: another user's bundle on the second lookup rejects; RATE_LIMITED leaves it", async () => {
    const good = textFrom('bob', 'really bob');
    // Envelopes that claim to be from bob, signed by someone else's key.
    const lied = textFrom('bob', 'not bob', generateIdentity());
    const limited = textFrom('bob', 'not bob either', generateIdentity());
    let bobLookups = 0;
    const r = await receiveFrom([good, lied, limited], (user, rid) => {
      if (user !== 'bob') return bundleOf(user, rid);
      bobLookups++;
      if (bobLookups === 1) return bundleOf('bob', rid);
      if (bobLookups === 2) return bundleOf('carol', rid);
      return { t: 'err', rid, code: 'RATE_LIMITED', msg: 'retry in 500 ms', fatal: false };
    });
    expect((r.error as ChatError).code).toBe('RATE_LIMITED');
    expect(r.shown).toEqual(['really bob']);
    expect(r.rejected).toEqual([{ id: toHex(lied.id), code: 'ENVELOPE_BAD_SIGNATURE', detail: expect.any(String) }]);
    expect(r.acked).toEqual([toHex(good.id), toHex(lied.id)]);
    expect(r.held).toEqual([]);
  });
});
