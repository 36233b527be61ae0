import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId } from '@chat/crypto';
import { encodeFrame } from '@chat/protocol';
import { pack } from 'msgpackr';
import type { RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

let relay: RunningRelay;
const tmp = tempDir('relay-robust');
let bystander: RawClient;

beforeAll(async () => {
  relay = await relayInProcess(tmp.dir);
  bystander = await RawClient.connect(relay.port);
  await bystander.login('bystander', generateIdentity(), 'recv');
  await bystander.nextOfType('synced');
});
afterAll(async () => {
  bystander.close();
  await relay.close();
  tmp.cleanup();
});

/** The well-behaved client connected all along is still served. */
async function bystanderServed(rid: number) {
  bystander.send({ t: 'ping', rid });
  expect(await bystander.nextOfType('pong')).toEqual({ t: 'pong', rid });
}

function prefixed(body: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Each hostile input and the code it must be answered with (a length of 0 is FRAME_TOO_LARGE, §5.2). */
const hostile: [string, () => Buffer, 'BAD_FRAME' | 'FRAME_TOO_LARGE'][] = [
  ['a length prefix of 2 GiB', () => Buffer.from([0x7f, 0xff, 0xff, 0xff]), 'FRAME_TOO_LARGE'],
  ['a length prefix of 0', () => Buffer.from([0, 0, 0, 0]), 'FRAME_TOO_LARGE'],
  ['a length prefix one over the maximum', () => Buffer.from([0x00, 0x02, 0x00, 0x01]), 'FRAME_TOO_LARGE'],
  ['bytes that are not msgpack', () => prefixed(Buffer.from([0xc1, 0xc1, 0xc1])), 'BAD_FRAME'],
  ['a msgpack array instead of a map', () => prefixed(pack([1, 2, 3])), 'BAD_FRAME'],
  ['an unknown frame type', () => prefixed(pack({ t: 'launch', rid: 1 })), 'BAD_FRAME'],
  ['a hello with an extra field', () => prefixed(pack({ t: 'hello', v: 1, agent: 'x', extra: true })), 'BAD_FRAME'],
  ['a hello with a string version', () => prefixed(pack({ t: 'hello', v: '1', agent: 'x' })), 'BAD_FRAME'],
  [
    'a __proto__ key',
    () => prefixed(Buffer.from('83a174a568656c6c6fa17601a95f5f70726f746f5f5f81a16101', 'hex')),
    'BAD_FRAME',
  ],
  [
    'deeply nested arrays',
    () => prefixed(Buffer.concat([Buffer.alloc(60_000, 0x91), Buffer.from([0xc0])])),
    'BAD_FRAME',
  ],
];

describe('malformed and oversized input (PROTOCOL.md §5, §10)', () => {
  hostile.forEach(([name, bytes, code], i) => {
    it(`answers ${name} with ${code} and closes, serving others`, async () => {
      const c = await RawClient.connect(relay.port);
      c.writeRaw(bytes());
      const err = await c.nextOfType('err');
      expect(err.code).toBe(code);
      expect(err.fatal).toBe(true);
      await c.closedPromise;
      await bystanderServed(100 + i);
    });
  });

  it('answers an oversized prefix before the body arrives', async () => {
    const c = await RawClient.connect(relay.port);
    c.writeRaw(Buffer.from([0x00, 0x10, 0x00, 0x00])); // 1 MiB announced, nothing sent
    expect(await c.nextOfType('err', 2_000)).toMatchObject({ code: 'FRAME_TOO_LARGE', fatal: true });
    await c.closedPromise;
  });

  it('accepts a frame split into one-byte writes', async () => {
    const c = await RawClient.connect(relay.port);
    const bytes = encodeFrame({ t: 'hello', v: 1, agent: 'slow' });
    for (const b of bytes) {
      c.writeRaw(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await c.nextOfType('challenge')).toMatchObject({ v: 1 });
    c.close();
  });

  it('accepts frames coalesced into one write', async () => {
    const c = await RawClient.connect(relay.port);
    const challenge = await c.hello();
    const id = generateIdentity();
    const auth = encodeFrame(c.authFrame(challenge, 'coalesced', id, 'send'));
    const pings = [1, 2, 3].map((rid) => encodeFrame({ t: 'ping', rid }));
    c.writeRaw(Buffer.concat([auth, ...pings]));
    await c.nextOfType('welcome');
    for (const rid of [1, 2, 3]) expect(await c.nextOfType('pong')).toEqual({ t: 'pong', rid });
    c.close();
  });

  it('refuses an envelope below the minimum size as a bad frame', async () => {
    const c = await RawClient.connect(relay.port);
    await c.login('tinyenv', generateIdentity());
    c.writeRaw(prefixed(pack({ t: 'send', rid: 1, to: 'bystander', id: randomMessageId(), env: Buffer.alloc(10) })));
    expect(await c.nextOfType('err')).toMatchObject({ code: 'BAD_FRAME', fatal: true });
    await bystanderServed(200);
  });

  it('survives a flood of random garbage connections', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(relay.port)));
    clients.forEach((c, i) =>
      c.writeRaw(Buffer.from(Array.from({ length: 64 + i }, (_, j) => (i * 31 + j * 17) & 0xff))),
    );
    await Promise.all(clients.map((c) => Promise.race([c.closedPromise, new Promise((r) => setTimeout(r, 3000))])));
    await bystanderServed(300);
    clients.forEach((c) => c.close());
  });
});
