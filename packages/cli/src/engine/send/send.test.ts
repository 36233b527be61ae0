/**
 * The send pipeline against the real relay in process (issue 12): an outbox entry is sealed once and a retry resends
 * exactly those bytes; rows queued under schema v5 (no envelope) are migrated and sent; typing follows the same
 * trust rule as a message; group sends, group changes and room messages wait in the outbox like a 1:1 message.
 */
import { MessageKind, SENDER_KEY_KIND, fingerprint, generateIdentity } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { profileDb, until } from '../../../test/helpers.js';
import { parseRelayAddress } from '../address.js';
import { ChatError } from '../errors.js';
import { editMessage, reactToMessage } from '../actions/send.js';
import { changeGroup, createGroup, sendGroupText } from '../groups/groups.js';
import { joinRoom, sendRoomText } from '../groups/rooms.js';
import { runLive } from '../live.js';
import type { ConnectionStatus, Messenger, OpenOptions } from '../messenger.js';
import type { Connection } from '../net/connection.js';
import { Profile } from '../profile.js';

/** Undoes schemas v9 to v11, so that a database can be put back to an older version and migrated again. */
const UNDO_V9_TO_V11 = `DROP TABLE nicknames; DROP TABLE timers; DROP TRIGGER messages_expire; DROP TRIGGER group_messages_expire;
  DROP TRIGGER files_expire; DROP INDEX messages_expiring; DROP INDEX group_messages_expiring; DROP INDEX files_expiring;
  ALTER TABLE messages DROP COLUMN expires_at; ALTER TABLE group_messages DROP COLUMN expires_at;
  ALTER TABLE files DROP COLUMN expires_at; DROP TABLE group_invitations; DROP INDEX group_messages_by_ref; DROP TABLE message_versions; DROP TABLE reactions; DROP TABLE blocked;
  ALTER TABLE messages DROP COLUMN reply_to; ALTER TABLE messages DROP COLUMN edit_seq; ALTER TABLE messages DROP COLUMN deleted;
  ALTER TABLE group_messages DROP COLUMN ref; ALTER TABLE group_messages DROP COLUMN reply_to;
  ALTER TABLE group_messages DROP COLUMN edit_seq; ALTER TABLE group_messages DROP COLUMN deleted;`;

const world = engineWorld('send');
const { pair } = world;
const messenger = (home: string, options: OpenOptions = {}): Promise<Messenger> => world.open(home, options);

/** Opens `home` again (the relay reachable now), sends its outbox on a connection of its own and checks it emptied. */
async function flushedOnReconnect(home: string): Promise<void> {
  const again = await messenger(home);
  const conn = await again.connect('send');
  world.cleanup(() => conn.close());
  await again.flushOutbox(conn);
  expect(again.store.outbox.list()).toEqual([]);
}

/** Records every envelope `conn` sends; with `drop`, the first send closes the connection instead (CONNECTION_LOST). */
function capture(conn: Connection, sent: Uint8Array[], drop = false): void {
  const send = conn.send.bind(conn);
  conn.send = async (to, id, env, options) => {
    sent.push(Uint8Array.from(env));
    if (!drop) return send(to, id, env, options);
    await conn.close();
    throw new ChatError('CONNECTION_LOST', 'dropped by the test');
  };
}

/** Starts `m`'s live session (stopped at the end of the test); resolves once it is online. */
function live(m: Messenger): Promise<void> {
  const controller = new AbortController();
  const online = new Promise<void>((resolve) =>
    m.on('connection', (s: ConnectionStatus) => s.state === 'online' && resolve()),
  );
  const done = runLive(m, { signal: controller.signal, baseDelayMs: 50, maxDelayMs: 200 });
  world.cleanup(async () => {
    controller.abort();
    await done.catch(() => {});
  });
  return online;
}

async function bodiesReceived(home: string): Promise<string[]> {
  const bob = await messenger(home);
  const got: string[] = [];
  bob.on('message', (msg) => got.push(msg.body));
  await bob.receive();
  return got;
}

describe('an outbox entry is sealed once', () => {
  for (const pinned of [true, false]) {
    it(`a retry after a dropped connection resends the identical envelope (${pinned ? 'pinned peer' : 'first contact'}: sealed at the first attempt)`, async () => {
      const { b, aHome, bHome } = await pair();
      const alice = await messenger(aHome);
      if (pinned) await alice.lookupAndPin(b);
      const queued = alice.queueMessage(b, 'sealed once');
      // Sealed at the first attempt, not at enqueue: v2 may need the peer's prekey bundle first (PROTOCOL.md §24.2).
      expect(alice.store.outbox.get(queued.id)!.env).toBeUndefined();

      const sent: Uint8Array[] = [];
      const first = await alice.connect('send');
      capture(first, sent, true);
      await expect(alice.flushOutbox(first)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
      const stored = alice.store.outbox.get(queued.id)!;
      expect(stored.env).toEqual(sent[0]); // stored before it was sent

      const second = await alice.connect('send');
      world.cleanup(() => second.close());
      capture(second, sent);
      await alice.flushOutbox(second);
      expect(sent).toHaveLength(2);
      expect(Buffer.from(sent[1]!).equals(Buffer.from(sent[0]!))).toBe(true);
      expect(alice.store.outbox.list()).toEqual([]);
      expect(await bodiesReceived(bHome)).toEqual(['sealed once']);
    });
  }

  it('rows queued under schema v5 (no envelope) are migrated to v6 and sent', async () => {
    const { b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    alice.close();
    // The database as schema v5 left it, with a text message queued in the v5 row shape.
    const db = await profileDb(new Profile(aHome));
    db.exec(
      `ALTER TABLE outbox DROP COLUMN group_msg; ALTER TABLE outbox DROP COLUMN env; ALTER TABLE outbox DROP COLUMN sealed_to; ALTER TABLE outbox DROP COLUMN fanout; ALTER TABLE groups DROP COLUMN invited_by; ${UNDO_V9_TO_V11} PRAGMA user_version = 5;`,
    );
    db.prepare('INSERT INTO outbox (id, peer, kind, body, ts) VALUES (?, ?, 1, ?, ?)').run(
      'ab'.repeat(16),
      b,
      Buffer.from('queued by v5'),
      Date.now(),
    );
    db.prepare(
      "INSERT INTO messages (id, peer, direction, body, ts, relay_ts, received_at, state) VALUES (?, ?, 'out', 'queued by v5', ?, NULL, ?, 'queued')",
    ).run('ab'.repeat(16), b, Date.now(), Date.now());
    db.close();

    const again = await messenger(aHome);
    expect(again.store.outbox.list()).toMatchObject([{ id: 'ab'.repeat(16), peer: b }]);
    expect(again.store.outbox.list()[0]!.env).toBeUndefined();
    await again.receive(); // any connection sends the outbox
    expect(again.store.outbox.list()).toEqual([]);
    expect(again.history({ peer: b }).at(-1)).toMatchObject({ id: 'ab'.repeat(16), state: 'sent' });
    expect(await bodiesReceived(bHome)).toEqual(['queued by v5']);
  });
});

describe('a group send is as durable as a 1:1 message', () => {
  it('queued with its history row when the connection fails, and sent in one `fanout` frame on the next', async () => {
    const { a, b, aHome, bHome } = await pair();
    const [carol] = (await world.users('carol')) as [string];
    const carolHome = world.home(carol);
    const alice = await messenger(aHome);
    const { group } = await createGroup(alice, 'durable', [b, carol]);
    alice.close();

    const offline = await messenger(aHome, { relay: parseRelayAddress('127.0.0.1:1') });
    await expect(sendGroupText(offline, 'durable', 'survives')).rejects.toMatchObject({ exitCode: 5 });
    // Each member (a v2 session since the group's creation) is first given alice's sender key (§25.6), 1:1.
    expect(offline.store.outbox.list().map((e) => [e.peer, e.kind, e.fanout !== undefined, !!e.groupMsg])).toEqual([
      [b, SENDER_KEY_KIND, false, false],
      [carol, SENDER_KEY_KIND, false, false],
      [b, MessageKind.groupText, true, true],
      [carol, MessageKind.groupText, true, true],
    ]);
    expect(offline.store.groups.messages(`#${group.gid}`).map((x) => x.body)).toContain('survives');
    offline.close();

    const again = await messenger(aHome);
    const conn = await again.connect('send');
    world.cleanup(() => conn.close());
    let frames = 0;
    const fanout = conn.fanout.bind(conn);
    conn.fanout = (...args) => {
      frames++;
      return fanout(...args);
    };
    await again.flushOutbox(conn);
    expect(frames).toBe(1);
    expect(again.store.outbox.list()).toEqual([]);
    for (const home of [bHome, carolHome]) {
      const member = await messenger(home);
      member.queueMessage(a, 'hi'); // alice becomes a contact, so her invitation is not held for consent (§15.7)
      const got: string[] = [];
      member.on('groupMessage', (x) => x.kind === 'group' && got.push(`${x.from}: ${x.body}`));
      await member.receive();
      expect(got).toEqual([`${a}: survives`]);
    }
  });
});

describe('an edit or reaction the relay did not take is queued, and its error says so (hunt1)', () => {
  it('exit 5 ends with "it is queued", tells not to run the command again, and it goes out on the next connection', async () => {
    const { b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    const sent = await alice.sendMessage(b, 'first words');
    alice.close();

    const offline = await messenger(aHome, { relay: parseRelayAddress('127.0.0.1:1') });
    for (const act of [
      () => editMessage(offline, sent.id, 'better words'),
      () => reactToMessage(offline, sent.id, '🎉'),
    ]) {
      const err = (await act().catch((e: unknown) => e)) as ChatError;
      expect(err).toBeInstanceOf(ChatError);
      expect(err.exitCode).toBe(5);
      expect(err.message).toMatch(/; it is queued$/);
      expect(err.hint).toContain('do not run the command again');
    }
    expect(offline.store.outbox.list().map((e) => e.kind)).toEqual([MessageKind.edit, MessageKind.reaction]);
    offline.close();

    await flushedOnReconnect(aHome);
    const bob = await messenger(bHome);
    const actions: string[] = [];
    bob.on('action', (x) => actions.push(`${x.type}:${x.body ?? x.emoji ?? ''}`));
    await bob.receive();
    expect(actions).toEqual(['edit:better words', 'reaction:🎉']);
  });
});

describe('a queued message that expires is never sent (PROTOCOL.md §17.5)', () => {
  it('the relay unreachable until after the timer ran out: nothing reaches bob, nothing stays', async () => {
    const { b, aHome, bHome } = await pair();
    const offline = await messenger(aHome, { relay: parseRelayAddress('127.0.0.1:1') });
    // A 1-second timer with bob, as `chat expire` leaves it (set locally: the setting itself is not under test).
    offline.store.timers.set({ conv: b, seconds: 1, setBy: 'x', setTs: 1, setAt: 1 });
    offline.queueMessage(b, 'too late');
    offline.store.timers.set({ conv: b, seconds: 0, setBy: 'x', setTs: 2, setAt: 2 });
    offline.queueMessage(b, 'still current');
    const due = offline.store.timers.nextExpiry()!;
    offline.close();
    await until(() => Date.now() > due, 'the timer ran out');

    // The next start sweeps (Store.open) before anything is sent; then the outbox goes out.
    const online = await messenger(aHome);
    expect(online.store.outbox.list().map((e) => e.peer)).toEqual([b]);
    expect(online.history({ peer: b }).map((x) => x.body)).toEqual(['still current']);
    const conn = await online.connect('send');
    world.cleanup(() => conn.close());
    await online.flushOutbox(conn);
    expect(online.store.outbox.list()).toEqual([]);
    expect(await bodiesReceived(bHome)).toEqual(['still current']);
  });
});

describe('a room message and a group change are as durable as a 1:1 message', () => {
  it('queued while the relay is unreachable, they go out on the next connection (a room to its members then)', async () => {
    const { a, b, aHome, bHome } = await pair();
    const [carol] = (await world.users('carol')) as [string];
    const carolHome = world.home(carol);
    // bob and carol have written to alice, so her invitations need no consent (§15.7).
    for (const home of [bHome, carolHome]) {
      const m = await messenger(home);
      await m.sendMessage(a, 'hi');
      m.close();
    }
    const alice = await messenger(aHome);
    const { group } = await createGroup(alice, 'later', [b]);
    await alice.lookupAndPin(carol);
    await joinRoom(alice, 'general');
    alice.close();
    const bob = await messenger(bHome);
    await joinRoom(bob, 'general');
    bob.close();

    const offline = await messenger(aHome, { relay: parseRelayAddress('127.0.0.1:1') });
    await expect(changeGroup(offline, 'later', 'add', carol)).rejects.toMatchObject({ exitCode: 5 });
    await expect(sendRoomText(offline, 'general', 'while away')).rejects.toMatchObject({ exitCode: 5 });
    // The change stands locally; the record waits for bob and carol, the room message for whoever is in the room then.
    expect(offline.store.groups.get(group.gid)?.record.version).toBe(2);
    expect(offline.store.outbox.list().map((e) => e.peer)).toEqual([b, carol, 'room:general']);
    expect(offline.store.groups.messages('room:general').map((x) => x.body)).toEqual(['while away']);
    offline.close();

    await flushedOnReconnect(aHome);
    const bobAgain = await messenger(bHome);
    const got: string[] = [];
    bobAgain.on('groupMessage', (x) => got.push(`${x.conv} ${x.from}: ${x.body}`));
    await bobAgain.receive();
    expect(got.slice(1)).toEqual([`#later ${a}: ${a} added ${carol}`, `#general ${a}: while away`]); // after the create
    const carolM = await messenger(carolHome);
    await carolM.receive();
    expect(carolM.store.groups.get(group.gid)).toMatchObject({ member: true, record: { version: 2 } });
  });
});

describe('typing follows the trust rule of messages (contacts/contacts.ts)', () => {
  it('is not sealed to a contact whose key is `changed`', async () => {
    const { b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    const real = await alice.lookupAndPin(b);
    await Promise.all([live(await messenger(bHome)), live(alice)]);
    expect(await alice.sendTyping(b, true)).toBe(true); // the accepted key: sent

    // Alice's store says bob's accepted key is another one and the relay's (real) key is pending: `changed`.
    const other = generateIdentity();
    alice.store.contacts.import({
      ...real,
      identityPublicKey: other.identity.publicKey,
      encryptionPublicKey: other.encryption.publicKey,
      fingerprint: fingerprint(other.identity.publicKey),
      trust: 'changed',
      pending: {
        identityPublicKey: real.identityPublicKey,
        encryptionPublicKey: real.encryptionPublicKey,
        fingerprint: real.fingerprint,
        seenAt: Date.now(),
      },
    });
    const sent: Uint8Array[] = [];
    capture(alice.recvConnection!, sent);
    expect(await alice.sendTyping(b, true)).toBe(false);
    expect(sent).toEqual([]);
    expect(alice.contact(b)?.trust).toBe('changed');
  });
});
