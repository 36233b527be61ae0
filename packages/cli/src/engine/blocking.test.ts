/**
 * Blocking (PROTOCOL.md §17.4) against the real relay in process, and a reply's quote kept inside its own
 * conversation (§17.1): the regression tests for the client findings of the 2026-12-06 adversarial review.
 */
import { writeFileSync } from 'node:fs';
import { MessageKind, encodeMessageAction, fromHex } from '@chat/crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineWorld } from '../../test/engine-fixture.js';
import { sealAs } from '../../test/seal-as.js';
import { deleteMessage, editMessage, reactToMessage } from './actions/send.js';
import { history, quotedTarget } from './actions/history.js';
import { ChatError } from './errors.js';
import { sendFile } from './files/upload.js';
import { OutboxSender } from './send/outbox-sender.js';
import { changeGroup, createGroup, sendGroupText } from './groups/groups.js';
import type { Messenger, OpenOptions } from './messenger.js';
import { searchLines } from '../ui/messages-ui.js';

const world = engineWorld('blocking');
afterEach(() => {
  vi.restoreAllMocks();
});
const { users, as } = world;

/** One `receive` as `user`: every event it emitted and its summary. */
async function recvAll(user: string, o: OpenOptions = {}) {
  return as(
    user,
    async (m) => {
      const ev: { type: string; x: unknown }[] = [];
      for (const e of ['message', 'groupMessage', 'held', 'rejected', 'action', 'file'] as const)
        m.on(e, (x: unknown) => ev.push({ type: e, x }));
      const summary = await m.receive();
      return { ev, summary };
    },
    o,
  );
}

/** Blocks `whom` as `user`: whether it changed anything, and our texts to them it holds. */
const block = (user: string, whom: string) =>
  as(user, async (m) => ({ changed: m.store.blocked.block(whom, Date.now()), held: m.store.blocked.queuedFor(whom) }));
/** The code `f` fails with (a sync throw too: edit and react check before they return a promise), or 'sent'. */
const codeOf = (f: () => Promise<unknown>) =>
  Promise.resolve()
    .then(f)
    .then(
      () => 'sent',
      (e: unknown) => (e instanceof ChatError ? e.code : String(e)),
    );

/** Seals `body` as `kind` from `m` to `to` and sends it: what a hostile client may send. */
function forge(m: Messenger, kind: number, body: Uint8Array, to: string): Promise<void> {
  return m.withConnectionFor(async (conn) => {
    const { id, env } = await sealAs(m, conn, to, { kind, body });
    await conn.send(to, id, env);
  });
}

describe('blocking (§17.4)', () => {
  it('invitations from a blocked user are acknowledged and dropped: no notice, no group, nothing left', async () => {
    const [alice, mallory] = await users('alice', 'mallory');
    await block(alice!, mallory!);
    for (let i = 0; i < 2; i++) await as(mallory!, (m) => createGroup(m, `spam${i}`, [alice!]));
    const { ev, summary } = await recvAll(alice!);
    expect(ev).toEqual([]);
    expect(summary).toMatchObject({ received: 0, held: 0, rejected: 0 });
    expect(await as(alice!, async (m) => m.store.groups.list())).toEqual([]);
    expect((await recvAll(alice!)).summary).toMatchObject({ received: 0, duplicates: 0 }); // acknowledged: gone
  });

  it('a blocked former contact cannot pull us into a group, and its puppet cannot talk to us there', async () => {
    const [alice, mallory, sock] = await users('alice', 'mallory', 'sock');
    await as(alice!, (m) => m.sendMessage(mallory!, 'hi (before the block)'));
    await as(sock!, (m) => m.sendMessage(mallory!, 'puppet'));
    await block(alice!, mallory!);
    expect(await as(alice!, async (m) => m.store.groups.isContact(mallory!))).toBe(false);
    const { group } = await as(mallory!, (m) => createGroup(m, 'lure', [alice!, sock!]));
    await recvAll(sock!);
    await as(sock!, (m) => sendGroupText(m, `group:${group.gid}`, 'via a puppet'));
    const { ev } = await recvAll(alice!);
    expect(await as(alice!, async (m) => m.store.groups.get(group.gid))).toBeUndefined();
    expect(ev.filter((e) => e.type !== 'rejected')).toEqual([]); // the puppet's text: GROUP_NOT_MEMBER at most
  });

  it('a change to a group we accepted is still applied from a blocked member (no fork)', async () => {
    const [alice, mallory, carol] = await users('alice', 'mallory', 'carol');
    await as(alice!, (m) => m.sendMessage(mallory!, 'hi'));
    const { group } = await as(mallory!, (m) => createGroup(m, 'team', [alice!]));
    await recvAll(alice!);
    expect(await as(alice!, async (m) => m.store.groups.get(group.gid))).toMatchObject({ member: true });
    await block(alice!, mallory!);
    await as(mallory!, (m) => changeGroup(m, `group:${group.gid}`, 'add', carol!));
    await recvAll(alice!);
    const g = await as(alice!, async (m) => m.store.groups.get(group.gid));
    expect(g?.record.members.map((x) => x.user)).toContain(carol);
  });

  // Moved from test/e2e/everyday.test.ts (the CLI's block / unblock / contacts output stays there).
  it('a message from a blocked user is dropped: not stored, no receipt back, not back after unblocking', async () => {
    const [alice, mallory] = await users('alice', 'mallory');
    await as(mallory!, (m) => m.sendMessage(alice!, 'before'));
    await recvAll(alice!);
    await block(alice!, mallory!);
    const sent = await as(mallory!, (m) => m.sendMessage(alice!, 'while blocked'));
    const during = await recvAll(alice!);
    expect(during.ev).toEqual([]);
    expect(await as(alice!, async (m) => m.store.history.byId(sent.id))).toBeUndefined();
    // No delivered receipt went back: mallory's message stays "sent".
    await recvAll(mallory!);
    const row = await as(mallory!, async (m) => m.store.history.page(alice!, false, 10).find((r) => r.id === sent.id));
    expect(row?.state).toBe('sent');
    await as(alice!, async (m) => void m.store.blocked.unblock(mallory!));
    await as(mallory!, (m) => m.sendMessage(alice!, 'after'));
    const after = await recvAll(alice!);
    expect(after.ev.map((e) => `${e.type} ${(e.x as { body?: string }).body}`)).toEqual(['message after']);
    expect((await recvAll(alice!)).summary).toMatchObject({ received: 0, held: 0 }); // nothing left on the relay
  });

  it('what was queued for a user before the block is held while they are blocked, and goes after the unblock', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await as(bob!, (m) => m.sendMessage(alice!, 'hello'));
    await recvAll(alice!); // alice has a session with bob: her queued texts would go out at her next connection
    // Queued with no connection open (as an offline session or a failed daemon send leaves them).
    const queued = await as(alice!, async (m) => [
      m.queueMessage(bob!, 'queued 1').id,
      m.queueMessage(carol!, 'to carol').id,
      m.queueMessage(bob!, 'queued 2').id,
    ]);
    expect(await block(alice!, bob!)).toEqual({ changed: true, held: [queued[0], queued[2]] });
    expect(await block(alice!, bob!)).toEqual({ changed: false, held: [queued[0], queued[2]] });
    const states = () =>
      as(alice!, async (m) => {
        const rows = m.store.messages.list();
        return queued.map((id) => rows.find((r) => r.id === id)?.state);
      });
    await recvAll(alice!); // connects: the outbox is sent, but for bob's entries
    expect(await states()).toEqual(['queued', 'sent', 'queued']);
    expect(await as(alice!, async (m) => m.store.outbox.list().map((e) => e.id))).toEqual([queued[0], queued[2]]);
    expect((await recvAll(bob!)).ev).toEqual([]);
    expect((await recvAll(carol!)).ev.map((e) => (e.x as { body?: string }).body)).toEqual(['to carol']);

    // A send already under way when the block lands: bob is blocked while his key is being looked up, after the
    // pass's own check. The last check, right before the envelope goes, holds it: through sendEntry, through a pass
    // of the outbox, and through sendMessage, which keeps its message queued (held) instead of withdrawing it.
    const underWay = await as(alice!, async (m) => {
      m.store.blocked.unblock(bob!);
      const lookup = m.lookupAndPin.bind(m);
      vi.spyOn(m, 'lookupAndPin').mockImplementation(async (user, conn) => {
        const contact = await lookup(user, conn);
        if (user === bob) m.store.blocked.block(bob!, Date.now());
        return contact;
      });
      const again = () => m.store.blocked.unblock(bob!);
      const entry = m.store.outbox.get(queued[0]!)!;
      const viaEntry = await codeOf(() =>
        m.withConnectionFor((conn) => new OutboxSender(m, () => {}).sendEntry(conn, entry)),
      );
      again();
      const viaPass = await codeOf(() => m.withConnectionFor((conn) => m.flushOutbox(conn)));
      again();
      const viaSend = await codeOf(() => m.sendMessage(bob!, 'queued 3'));
      const rows = m.store.messages.list();
      return {
        viaEntry,
        viaPass,
        viaSend,
        third: rows.find((r) => r.body === 'queued 3'),
        blocked: m.store.blocked.has(bob!),
      };
    });
    expect(underWay).toMatchObject({ viaEntry: 'BLOCKED', viaPass: 'sent', viaSend: 'BLOCKED', blocked: true });
    expect(underWay.third?.state).toBe('queued');
    queued.push(underWay.third!.id);
    expect(await states()).toEqual(['queued', 'sent', 'queued', 'queued']);
    expect((await recvAll(bob!)).ev).toEqual([]);

    await as(alice!, async (m) => void m.store.blocked.unblock(bob!));
    await recvAll(alice!);
    expect(await states()).toEqual(['sent', 'delivered', 'sent', 'sent']); // carol's receipt came in meanwhile
    expect((await recvAll(bob!)).ev.map((e) => (e.x as { body?: string }).body)).toEqual([
      'queued 1',
      'queued 2',
      'queued 3',
    ]);
  });

  it('under --trust-new-identities never a blocked sender is dropped, not held', async () => {
    const [alice, mallory] = await users('alice', 'mallory');
    const never: OpenOptions = { trustNewIdentities: 'never' };
    await block(alice!, mallory!);
    await as(mallory!, (m) => m.sendMessage(alice!, 'spam'));
    const first = await recvAll(alice!, never);
    expect(first.ev).toEqual([]);
    expect(first.summary).toMatchObject({ received: 0, held: 0 });
    expect((await recvAll(alice!, never)).summary).toMatchObject({ held: 0, duplicates: 0 }); // not left on the relay
  });

  it('a reaction, an edit, a delete and a file to a blocked user are refused (BLOCKED), nothing goes out', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const theirs = await as(bob!, (m) => m.sendMessage(alice!, 'hello'));
    const mine = await as(alice!, (m) => m.sendMessage(bob!, 'mine'));
    await recvAll(alice!);
    await recvAll(bob!);
    await block(alice!, bob!);
    const file = `${world.dir()}/f.txt`;
    writeFileSync(file, 'for a blocked user');
    const codes = await as(alice!, async (m) => [
      await codeOf(() => m.sendMessage(bob!, 'x')),
      await codeOf(() => reactToMessage(m, theirs.id, '👍')),
      await codeOf(() => editMessage(m, mine.id, 'edited')),
      await codeOf(() => deleteMessage(m, mine.id)),
      await codeOf(() => sendFile(m, bob!, file)),
    ]);
    expect(codes).toEqual(['BLOCKED', 'BLOCKED', 'BLOCKED', 'BLOCKED', 'BLOCKED']);
    // Refused before anything was applied locally either.
    expect(await as(alice!, async (m) => m.store.history.byId(mine.id))).toMatchObject({
      body: 'mine',
      deleted: false,
    });
    expect((await recvAll(bob!)).ev).toEqual([]);
    // A delete from our own history alone sends nothing: still allowed.
    expect(await codeOf(() => as(alice!, (m) => deleteMessage(m, mine.id, true)))).toBe('sent');
  });
});

describe('a reply quotes only a message of its own conversation (§17.1)', () => {
  it('a group reply naming the id of a private 1:1 message does not quote it', async () => {
    const [alice, bob, mallory] = await users('alice', 'bob', 'mallory');
    await as(alice!, (m) => m.sendMessage(mallory!, 'hi'));
    const secret = await as(bob!, (m) => m.sendMessage(alice!, 'PRIVATE: the door code is 4711'));
    await recvAll(alice!);
    const { group } = await as(mallory!, (m) => createGroup(m, 'g', [alice!]));
    await recvAll(alice!);
    await as(mallory!, (m) =>
      forge(
        m,
        MessageKind.groupReply,
        encodeMessageAction(MessageKind.groupReply, {
          op: 'reply',
          gid: fromHex(group.gid),
          target: fromHex(secret.id),
          text: 'see quote',
        }),
        alice!,
      ),
    );
    const { ev } = await recvAll(alice!);
    const reply = ev.find((e) => e.type === 'groupMessage')?.x as { replyTo?: string };
    expect(reply.replyTo).toBe(secret.id); // kept as the reference it named: not held
    await as(alice!, async (m) => {
      expect(quotedTarget(m.store.history, secret.id, `#${group.gid}`)).toBeUndefined();
      expect(quotedTarget(m.store.history, secret.id, bob!)).toMatchObject({ body: secret.body });
      const entry = history(m, `group:${group.gid}`).entries.find((e) => e.body === 'see quote');
      expect(entry?.replyTo).toBe(secret.id);
      expect(entry?.quote).toBeUndefined();
    });
  });

  it('a 1:1 reply naming a message of another conversation does not quote it', async () => {
    const [alice, bob, mallory] = await users('alice', 'bob', 'mallory');
    const secret = await as(bob!, (m) => m.sendMessage(alice!, 'PRIVATE'));
    const hi = await as(mallory!, (m) => m.sendMessage(alice!, 'hi'));
    await recvAll(alice!);
    await as(mallory!, (m) => m.sendMessage(alice!, 'about bob', secret.id));
    await as(mallory!, (m) => m.sendMessage(alice!, 'about mine', hi.id));
    await recvAll(alice!);
    await as(alice!, async (m) => {
      const entries = history(m, mallory!).entries;
      expect(entries.find((e) => e.body === 'about bob')?.quote).toBeUndefined();
      expect(entries.find((e) => e.body === 'about mine')?.quote).toMatchObject({ from: mallory, body: 'hi' });
      // The session's /search shows the same quotes (its lines are chat search's).
      expect(searchLines(m, 'about bob').join('\n')).not.toContain('PRIVATE');
      expect(searchLines(m, 'about mine').join('\n')).toContain(`> ${mallory}: hi`);
    });
  });
});
