import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, newUser } from '../../../../test/e2e/harness.js';
import { relayInProcess, tempDir, type InProcessRelay, until } from '../../test/helpers.js';
import { MessageKind, encodeGroupRecord, fromHex, randomMessageId, sealEnvelope } from '@chat/crypto';
import { changeGroup, createGroup } from '../engine/groups/groups.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { uiSession } from '../../test/ui-session.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
beforeAll(async () => {
  t = tempDir('groups-ui');
  relay = await relayInProcess(`${t.dir}/relay`);
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

const session = (home: string) => uiSession(home);

describe('groups and rooms in the interactive session', () => {
  it('/group create opens #name; messages both ways; unread count; /join general', async () => {
    const alice = await newUser(t.dir, 'alice', relay);
    const bob = await newUser(t.dir, 'bob', relay);
    const a = await session(alice);
    const b = await session(bob);
    try {
      b.controller.submit('/msg alice hi'); // alice is bob's contact: her group is not an invitation to consent to (§15.7)
      a.controller.submit('/group create team bob');
      await until(() => a.controller.current === '#team', 'alice in #team');
      await until(() => b.frame().includes('#team'), 'bob sees #team in his list');
      expect(b.frame()).toMatch(/#team.*1/); // the creation event is unread for bob
      a.controller.submit('hello team');
      await until(() => b.m.store.groups.list()[0] !== undefined && b.frame().includes('#team'), 'bob has the group');
      b.controller.submit('/open #team');
      await until(() => b.frame().includes('alice: hello team'), 'bob sees the message');
      expect(b.frame()).toContain('alice created #team with alice, bob');
      b.controller.submit('hi alice');
      await until(() => a.frame().includes('bob: hi alice'), 'alice sees the reply');

      a.controller.submit('/group bogus');
      await until(() => a.frame().includes('usage: /group create'), 'usage');
      b.controller.submit('/group add team carol');
      await until(() => b.frame().includes('not an admin'), 'bob is refused locally');

      a.controller.submit('/join general');
      await until(() => a.controller.current === '#general', 'alice in #general');
      b.controller.submit('/join #general');
      await until(() => b.controller.current === '#general', 'bob in #general');
      b.controller.submit('anyone here?');
      await until(() => a.frame().includes('bob: anyone here?'), 'alice sees the room message');
      a.controller.submit('/rooms');
      await until(() => a.frame().includes('#general (joined)'), '/rooms');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("a stranger's group is a notice with /group accept|decline; accepted, it opens; declined, it is gone", async () => {
    const carol = await newUser(t.dir, 'carol', relay);
    const dave = await newUser(t.dir, 'dave', relay);
    const c = await session(carol);
    const d = await session(dave);
    try {
      c.controller.submit('/group create general dave');
      await until(() => d.frame().includes('carol invited you to #general'), 'dave sees the invitation');
      const gid = d.m.store.groups.list()[0]!.gid.slice(0, 8);
      expect(d.frame()).toContain(`/group accept ${gid}`);
      expect(d.controller.view().conversations.map((x) => x.peer)).not.toContain('#general');
      d.controller.submit('/groups');
      await until(() => d.frame().includes('(invited by carol)'), '/groups marks it');
      d.controller.submit(`/group accept ${gid}`);
      await until(() => d.controller.current === '#general', 'accepted: opened');
      expect(d.frame()).toContain('carol created #general with carol, dave');
      c.controller.submit('/group create spam dave');
      await until(() => d.m.store.groups.list().some((g) => g.record.name === 'spam'), 'second invitation');
      d.controller.submit('/group decline spam');
      await until(() => d.frame().includes('declined #spam'), 'declined');
      expect(d.m.store.groups.list().map((g) => g.record.name)).toEqual(['general']);
    } finally {
      await c.stop();
      await d.stop();
    }
  });

  it('a competing invitation is a notice with /group accept <id> <inviter>; /groups lists it; accepting takes it', async () => {
    const [carol, mallory] = [await newUser(t.dir, 'carol2', relay), await newUser(t.dir, 'mallory2', relay)];
    const erinHome = await newUser(t.dir, 'erin', relay);
    const open = (home: string) => Messenger.open(new Profile(home), { passphrase: TEST_PASSPHRASE });
    const cm = await open(carol!);
    const mm = await open(mallory!);
    const e = await session(erinHome);
    try {
      await createGroup(cm, 'club', ['mallory2']);
      await mm.receive(); // mallory, a member, learns the id
      const gid = mm.store.groups.list()[0]!.gid;
      const id8 = gid.slice(0, 8);
      // mallory's own version of the group, naming herself admin, sent to erin as a hostile client would.
      const members = ['carol2', 'erin', 'mallory2'].map((user) => ({ user, admin: user === 'mallory2' }));
      const fork = encodeGroupRecord({
        gid: fromHex(gid),
        version: 9,
        op: 'add',
        subject: 'erin',
        name: 'club',
        members,
      });
      await mm.withConnectionFor(async (conn) => {
        const to = await mm.lookupAndPin('erin', conn);
        const id = randomMessageId();
        const fields = { kind: MessageKind.groupState, from: 'mallory2', to: 'erin', id, ts: Date.now(), body: fork };
        await conn.send('erin', id, sealEnvelope(fields, mm.identity.identity.secretKey, to.encryptionPublicKey));
      });
      await until(() => e.frame().includes('mallory2 invited you to #club'), 'erin sees the first invitation');
      await changeGroup(cm, 'club', 'add', 'erin');
      await until(() => e.m.store.groups.invitations(gid).length === 1, 'erin keeps the competing one');
      // The notice, unwrapped from the pane's rows, names the inviter to give /group accept.
      const pane = () =>
        e
          .frame()
          .split('\n')
          .map((l) => (l.split('│').pop() ?? '').trim())
          .join(' ');
      await until(() => pane().includes(`/group accept ${id8} carol2`), 'erin sees the competing one');
      expect(pane()).toContain('carol2 also invited you to #club');
      expect(pane()).toContain('its id does not show that mallory2 created it');
      e.controller.submit('/groups');
      await until(() => e.frame().includes('(also invited by carol2)'), '/groups lists it');
      e.controller.submit(`/group accept ${id8} carol2`);
      await until(() => e.controller.current === '#club', 'accepted: opened');
      expect(e.m.store.groups.get(gid)).toMatchObject({ member: true, record: { version: 2 } });
      expect(e.m.store.groups.get(gid)?.invitedBy).toBeUndefined();
    } finally {
      await e.stop();
      cm.close();
      mm.close();
    }
  });
});
