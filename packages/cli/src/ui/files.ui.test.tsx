/**
 * `/file`, `/accept`, `/decline` in the interactive session (PROTOCOL.md §16), over the real engine and the real
 * relay binary: two live ChatControllers drawn by ink-testing-library.
 */
import { localEngine } from '../session/local.js';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_PASSPHRASE, newUser } from '../../../../test/e2e/harness.js';
import { relayInProcess, tempDir, type InProcessRelay, until as pollUntil } from '../../test/helpers.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { ChatApp } from './ChatApp.js';
import { ChatController } from './controller.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
const saved = process.env.CHAT_DOWNLOADS;
beforeAll(async () => {
  t = tempDir('files-ui');
  relay = await relayInProcess(`${t.dir}/relay`);
  process.env.CHAT_DOWNLOADS = join(t.dir, 'downloads');
});
afterAll(async () => {
  if (saved === undefined) delete process.env.CHAT_DOWNLOADS;
  else process.env.CHAT_DOWNLOADS = saved;
  await relay.stop();
  t.cleanup();
});

/** Transfers take longer than messages: 20 s instead of the helper's 10 s. */
const until = (check: () => boolean, what: string, ms = 20_000): Promise<void> => pollUntil(check, what, ms);

async function session(home: string, initial: string) {
  const m = await Messenger.open(new Profile(home), { passphrase: TEST_PASSPHRASE });
  const controller = new ChatController(localEngine(m), { initial, write: () => {}, retryBaseMs: 50 });
  const ui = render(
    <ChatApp controller={controller} relay="test" color={false} onQuit={() => controller.submit('/quit')} />,
  );
  controller.start();
  const notices = () =>
    controller
      .view()
      .items.filter((i) => i.type === 'notice')
      .map((i) => ('text' in i ? i.text : ''))
      .join('\n');
  const stop = async () => {
    controller.submit('/quit');
    ui.unmount();
    await controller.stopped();
    m.close();
  };
  return { controller, notices, frame: () => ui.lastFrame() ?? '', stop };
}

it('/file offers a file to the open chat; /accept downloads it with progress; /decline refuses the next one', async () => {
  const alice = await newUser(t.dir, 'alice', relay);
  const bob = await newUser(t.dir, 'bob', relay);
  const a = await session(alice, 'bob');
  const b = await session(bob, 'alice');
  try {
    await until(() => a.frame().includes('online') && b.frame().includes('online'), 'both online');
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const src = join(t.dir, 'photo.jpg');
    writeFileSync(src, data);
    a.controller.submit(`/file ${src}`);
    await until(() => /offered photo\.jpg to bob \(id [0-9a-f]{8}\)/.test(a.notices()), 'offered');
    expect(a.notices()).toMatch(/↑ photo\.jpg █{20} 100% 3\.0\/3\.0 MiB/);
    await until(
      () => /alice offers a file: photo\.jpg \(3145733 bytes, image\/jpeg\) — \/accept [0-9a-f]{8}/.test(b.notices()),
      'offer notice',
    );
    b.controller.submit('/accept');
    await until(() => b.notices().includes('saved photo.jpg from alice'), 'saved');
    expect(b.notices()).toMatch(/↓ photo\.jpg █{20} 100%/);
    expect(readFileSync(join(t.dir, 'downloads', 'photo.jpg')).equals(data)).toBe(true);
    await until(() => a.notices().includes('bob received photo.jpg'), 'answer at the sender');

    writeFileSync(join(t.dir, 'spam.txt'), 'no');
    a.controller.submit(`/file ${join(t.dir, 'spam.txt')}`);
    await until(() => b.notices().includes('alice offers a file: spam.txt'), 'second offer');
    b.controller.submit('/decline');
    await until(() => b.notices().includes('declined spam.txt from alice'), 'declined');
    await until(() => a.notices().includes('bob declined spam.txt'), 'decline at the sender');
    expect(readdirSync(join(relay.dataDir, 'blobs'))).toEqual([]);
    b.controller.submit('/accept');
    await until(() => b.notices().includes('no open file offer from alice'), 'nothing left to accept');
  } finally {
    await a.stop();
    await b.stop();
  }
});
