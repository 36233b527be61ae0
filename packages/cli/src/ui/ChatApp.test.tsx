/**
 * The whole screen over the real engine and the real relay binary: ink-testing-library drives ChatApp with a live
 * ChatController. Users come from the e2e harness (`chat keygen` + `chat login`).
 */
import { localEngine } from '../session/local.js';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, chat, newUser } from '../../../../test/e2e/harness.js';
import { relayInProcess, tempDir, type InProcessRelay, until } from '../../test/helpers.js';
import { tcpProxy } from '../../test/proxy.js';
import { parseRelayAddress } from '../engine/address.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { ChatApp } from './ChatApp.js';
import { ChatController } from './controller.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
beforeAll(async () => {
  t = tempDir('chatapp');
  relay = await relayInProcess(`${t.dir}/relay`);
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

async function session(home: string, initial?: string, relayAddress?: string) {
  const m = await Messenger.open(new Profile(home), {
    passphrase: TEST_PASSPHRASE,
    ...(relayAddress ? { relay: parseRelayAddress(relayAddress), connectTimeoutMs: 1_000 } : {}),
  });
  const written: string[] = [];
  const controller = new ChatController(localEngine(m), { initial, write: (s) => written.push(s), retryBaseMs: 50 });
  const ui = render(
    <ChatApp controller={controller} relay="test" color={false} onQuit={() => controller.submit('/quit')} />,
  );
  controller.start();
  const frame = () => ui.lastFrame() ?? '';
  const type = async (s: string) => {
    ui.stdin.write(s);
    await new Promise((r) => setTimeout(r, 15));
  };
  const stop = async () => {
    controller.submit('/quit');
    ui.unmount();
    await controller.stopped();
    m.close();
  };
  return { m, controller, frame, type, stop, written };
}

describe('ChatApp', () => {
  it('local echo on Enter, delivery marks, emoji shortcodes, the bell for another conversation, /who', async () => {
    const alice = await newUser(t.dir, 'alice', relay);
    const bob = await newUser(t.dir, 'bob', relay);
    const carol = await newUser(t.dir, 'carol', relay);
    const a = await session(alice, 'bob');
    try {
      await until(() => a.frame().includes('online'), 'online');
      await a.type('ship it :rocket:');
      await until(() => a.frame().includes('bob> ship it 🚀'), 'emoji as you type');
      await a.type('\r');
      expect(a.frame()).toMatch(/alice: ship it 🚀 (…|✓)/);
      await until(() => /alice: ship it 🚀 ✓/.test(a.frame()), 'sent mark');
      // Bob receives it (his client sends the delivery receipt).
      const b = await Messenger.open(new Profile(bob), { passphrase: TEST_PASSPHRASE });
      const got: string[] = [];
      b.on('message', (x) => got.push(x.body));
      await b.receive();
      b.close();
      expect(got).toEqual(['ship it 🚀']);
      await until(() => /alice: ship it 🚀 ✓✓/.test(a.frame()), 'delivered mark');
      // Carol writes: not the open conversation, so a bell and an unread count.
      expect((await chat(['send', 'alice', 'psst'], { home: carol })).code).toBe(0);
      await until(() => /carol\s+1/.test(a.frame()), 'unread count for carol');
      expect(a.written.join('')).toContain('\x07');
      await a.type('/who\r');
      await until(() => a.frame().includes('online now: alice'), '/who');
      await a.type('/nonsense\r');
      await until(() => a.frame().includes('unknown command /nonsense'), 'inline error');
    } finally {
      await a.stop();
    }
  });

  it('a changed key shows the banner and blocks sending in that conversation', async () => {
    const root = join(t.dir, 'kc');
    const alice = await newUser(root, 'dora', relay);
    await newUser(root, 'erin', relay);
    expect((await chat(['send', 'erin', 'pin'], { home: alice })).code).toBe(0);
    // "bob" with another key on another relay; alice re-joins that relay deliberately.
    const second = await relayInProcess(join(root, 'second'));
    try {
      await newUser(join(root, 'new'), 'erin', second);
      expect((await chat(['login', 'dora', '--relay', second.address], { home: alice })).code).toBe(0);
      const a = await session(alice, 'erin');
      try {
        await until(() => a.frame().includes("erin's key has changed"), 'banner').catch((e) => {
          throw new Error(`${e}\n${a.frame()}`);
        });
        await a.type('the secret plan\r');
        await until(() => a.frame().includes('not sent'), 'blocked');
        expect(a.m.store.outbox.list()).toEqual([]);
        expect(a.m.history({ peer: 'erin' }).map((x) => x.body)).not.toContain('the secret plan');
        // /verify shows the safety number for the new key; /trust accepts it and lifts the block (PROTOCOL.md §3.4).
        await a.type('/verify erin\r');
        await until(() => a.frame().includes("erin's NEW key"), '/verify');
        await a.type('/trust erin\r');
        await until(
          () =>
            a.frame().includes("accepted erin's new key") && !a.frame().includes('key has changed: sending is blocked'),
          '/trust',
        ).catch((e) => {
          throw new Error(`${e}\n${a.frame()}`);
        });
        await a.type('now it can go\r');
        await until(
          () => a.m.history({ peer: 'erin' }).some((x) => x.body === 'now it can go' && x.state !== 'queued'),
          'sent after /trust',
        );
        // Not an admin of this relay: /admin is refused by the relay, inline.
        await a.type('/admin users\r');
        await until(() => a.frame().includes('FORBIDDEN'), '/admin refused');
      } finally {
        await a.stop();
      }
    } finally {
      await second.stop();
    }
  });

  it('shows reconnecting… while the relay is unreachable; what was typed meanwhile goes out on reconnect', async () => {
    const root = join(t.dir, 'rc');
    const alice = await newUser(root, 'fred', relay);
    await newUser(root, 'gina', relay);
    const proxy = await tcpProxy(relay.port);
    try {
      const a = await session(alice, 'gina', proxy.address);
      try {
        await until(() => / online /.test(a.frame()), 'online');
        proxy.cut();
        await until(() => a.frame().includes('reconnecting…'), 'reconnecting');
        await a.type('written offline\r');
        await until(() => / fred: written offline …/.test(a.frame()), 'queued mark');
        proxy.restore();
        await until(() => / fred: written offline ✓/.test(a.frame()), 'sent after reconnect');
        await until(() => / online /.test(a.frame()), 'online again');
      } finally {
        await a.stop();
      }
    } finally {
      await proxy.close();
    }
  });
});
