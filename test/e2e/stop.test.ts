/**
 * One-shot commands stopped from outside, through the built `chat` (hunt3): `chat send` interrupted (SIGINT) or
 * terminated (SIGTERM) before the relay confirmed its message withdraws it, so no later command sends it behind the
 * user's back, and exits 130 / 143; `chat recv --follow` whose reader left (`| head -1`) stops instead of receiving
 * and acknowledging on for nobody.
 */
import { once } from 'node:events';
import { type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile } from '@chat/cli';
import { Store } from '../../packages/cli/src/engine/store/store.js';
import { aliceAndBob, chat, startChat } from './harness.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';
import { until } from '../fixtures/wait.js';

let t: TempDir;
let relay: TestRelay;
let alice: string;
let bob: string;
/** A relay address whose TCP accepts and then says nothing: a send waits there for its TLS handshake. */
let silent: Server;
let silentAddress: string;

beforeAll(async () => {
  ({ t, relay, alice, bob } = await aliceAndBob('stop'));
  silent = createServer(() => {});
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const port = (silent.address() as { port: number }).port;
  silentAddress = relay.address.replace(/:\d+$/, `:${port}`);
});
afterAll(async () => {
  silent.close();
  await relay.stop();
  t.cleanup();
});

describe('chat send stopped before the relay confirmed the message', () => {
  it.each([
    ['SIGINT', 130, 'interrupted'],
    ['SIGTERM', 143, 'terminated'],
  ] as const)('%s: exit %i, the message withdrawn; the next send goes alone', async (signal, code, word) => {
    const keys = await new Profile(alice).unlockKeys(undefined);
    const store = Store.open(join(alice, 'chat.db'), keys.storageKey);
    try {
      const sending = startChat(['send', 'bob', `stopped by ${signal}`], {
        home: alice,
        env: { CHAT_RELAY: silentAddress },
      });
      // Queued (the outbox row and the history row), waiting for the relay's handshake: now stop it.
      await until(() => store.outbox.list().length > 0, 'the message queued');
      sending.proc.kill(signal);
      const r = await sending.exit;
      expect(r.code).toBe(code);
      expect(r.stderr).toBe(
        `chat: error: ${word} before the relay confirmed the message: it was withdrawn, nothing is left queued (${word === 'interrupted' ? 'INTERRUPTED' : 'TERMINATED'})\n` +
          'chat: hint: the relay may or may not have stored it; running chat send again sends it as a new message (new id)\n',
      );
      expect(store.outbox.list()).toEqual([]);
      expect(store.messages.list({ peer: 'bob' }).map((m) => m.body)).not.toContain(`stopped by ${signal}`);
    } finally {
      store.close();
    }
    // The next command on the profile sends its own message and nothing else.
    expect((await chat(['send', 'bob', `after ${signal}`], { home: alice })).code).toBe(0);
    const got = await chat(['recv'], { home: bob });
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^\\[[^\\]]+\\] alice: after ${signal}\\n$`));
  });
});

describe('chat recv --follow whose reader left', () => {
  it('stops at the first line it cannot write (exit 0); what came after stays on the relay for the next recv', async () => {
    const following = startChat(['recv', '--follow', '--json'], { home: bob });
    try {
      expect((await chat(['send', 'bob', 'first'], { home: alice })).code).toBe(0);
      await following.waitFor(/"body":"first"/);
      following.proc.stdout?.destroy(); // as `head -1` exits after its line
      expect((await chat(['send', 'bob', 'second'], { home: alice })).code).toBe(0);
      const r = await following.exit; // it writes `second`, meets EPIPE, stops: no timer, it ends by itself
      expect(r.code).toBe(0);
    } finally {
      following.proc.kill('SIGKILL');
    }
    expect((await chat(['send', 'bob', 'third'], { home: alice })).code).toBe(0);
    const next = await chat(['recv'], { home: bob });
    expect(next.stdout).toMatch(/^\[[^\]]+\] alice: third\n$/);
    // `second` was committed before its line failed: it is in the history, not lost.
    const history = await chat(['history', 'alice'], { home: bob });
    expect(history.stdout).toContain('alice: second');
  });
});
