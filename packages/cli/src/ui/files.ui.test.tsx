import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newUser } from '../../../../test/e2e/harness.js';
import { relayInProcess, tempDir, type InProcessRelay, until as pollUntil } from '../../test/helpers.js';
import { uiSession } from '../../test/ui-session.js';

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
  const s = await uiSession(home, initial, { online: false });
  const notices = () =>
    s.controller
      .view()
      .items.filter((i) => i.type === 'notice')
      .map((i) => ('text' in i ? i.text : ''))
      .join('\n');
  return { ...s, notices };
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
