/**
 * A pinned relay that answers in plaintext (issue 14, finding 12; PROTOCOL.md §5.1): the TLS failure must not
 * suggest `--insecure` (an impostor on the address would be served a downgrade), and `chat login --insecure` must
 * not silently replace the pinned certificate with plaintext: that takes a separate flag, `--drop-tls-pin`.
 *
 * The profile is pinned by a real login to a TLS relay; its address is then pointed at a plaintext relay, which is
 * what the client meets when whoever answers at a pinned address stops speaking TLS. The relays run in this process
 * (the client's handling is under test, not the relay binary's).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat } from './harness.js';
import { relayInProcess as startRelay, type InProcessRelay as Relay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { preparedKeys } from '../fixtures/profiles.js';

describe('a pinned relay answering in plaintext', () => {
  let t: ReturnType<typeof tempDir>;
  let tls: Relay;
  let plain: Relay;

  beforeAll(async () => {
    t = tempDir('pin-downgrade');
    tls = await startRelay(`${t.dir}/tls`);
    plain = await startRelay(`${t.dir}/plain`, { insecure: true });
  });
  afterAll(async () => {
    await tls.stop();
    await plain.stop();
    t.cleanup();
  });

  it('no --insecure hint, and login --insecure needs --drop-tls-pin to replace the pin', async () => {
    const home = join(t.dir, 'bob');
    preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
    expect((await chat(['login', 'bob', '--relay', tls.address], { home })).code).toBe(0);
    const configPath = join(home, 'config.json');
    const pinned = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    expect(pinned.relayCert).toBe(tls.fingerprint);
    writeFileSync(configPath, JSON.stringify({ ...pinned, relay: plain.hostPort }));

    const send = await chat(['send', 'bob', 'hi'], { home });
    expect(send.code).toBe(6);
    expect(send.stderr).toMatch(/^chat: error: .*TLS/m);
    expect(send.stderr).not.toContain('--insecure');
    expect(send.stderr).toMatch(/^chat: hint: .*pinned/m);

    const login = await chat(['login', 'bob', '--insecure'], { home });
    expect(login.code).toBe(2);
    expect(login.stderr).toMatch(/^chat: error: .*pinned TLS certificate/m);
    expect(login.stderr).toMatch(/^chat: hint: .*--drop-tls-pin/m);
    expect((JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>).relayCert).toBe(tls.fingerprint);

    const dropped = await chat(['login', 'bob', '--insecure', '--drop-tls-pin'], { home });
    expect(dropped.code).toBe(0);
    expect(dropped.stderr).toMatch(/^chat: warning: .*dropped the pinned TLS certificate/m);
    const after = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    expect(after).toMatchObject({ relay: plain.hostPort, insecure: true });
    expect(after.relayCert).toBeUndefined();
  });

  // Review 2026-12-06 finding 7: the guard compared the address as typed, so LOCALHOST:port (or any other address)
  // replaced the pin held for localhost:port without --drop-tls-pin.
  it('login --insecure needs --drop-tls-pin whenever the profile holds a pin, however the address is spelled', async () => {
    const home = join(t.dir, 'dave');
    preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
    expect((await chat(['login', 'dave', '--relay', tls.address], { home })).code).toBe(0);
    const configPath = join(home, 'config.json');
    const pinned = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    const port = plain.hostPort.split(':').pop();
    writeFileSync(configPath, JSON.stringify({ ...pinned, relay: `localhost:${port}` }));
    for (const relay of [`LOCALHOST:${port}`, `localhost:${port}`, plain.hostPort]) {
      const r = await chat(['login', 'dave', '--relay', relay, '--insecure'], { home });
      expect(r.code, relay).toBe(2);
      expect(r.stderr).toMatch(/^chat: error: .*pinned TLS certificate/m);
      expect(r.stderr).toMatch(/^chat: hint: .*--drop-tls-pin/m);
    }
    expect((JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>).relayCert).toBe(tls.fingerprint);
    const dropped = await chat(['login', 'dave', '--relay', `LOCALHOST:${port}`, '--insecure', '--drop-tls-pin'], {
      home,
    });
    expect(dropped.code).toBe(0);
    expect(dropped.stderr).toMatch(/^chat: warning: .*dropped the pinned TLS certificate for localhost:/m);
    const after = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    expect(after).toMatchObject({ relay: `localhost:${port}`, insecure: true });
    expect(after.relayCert).toBeUndefined();
  });

  it('--drop-tls-pin is only for that: without --insecure it is a usage error', async () => {
    const home = join(t.dir, 'carol');
    preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
    const r = await chat(['login', 'carol', '--relay', tls.address, '--drop-tls-pin'], { home });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chat: error: .*--drop-tls-pin/m);
  });

  // Review 2 of 2026-12-06, finding 2: the same over TLS. A pin taken at localhost:P was checked only for that
  // spelling, so `--relay 127.0.0.1:P` (or any other bare address) accepted whatever certificate answered and pinned
  // it silently. Now a bare host:port must present the pin the profile holds; only a chat:// address replaces it.
  it('a bare host:port must present the pinned certificate, however the pinned relay was spelled', async () => {
    const other = await startRelay(`${t.dir}/other`);
    try {
      const home = join(t.dir, 'erin');
      const configPath = join(home, 'config.json');
      const port = tls.hostPort.split(':').pop();
      preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
      expect((await chat(['login', 'erin', '--relay', `localhost:${port}`], { home })).code).toBe(0);
      // Another spelling of the same relay presents the pinned certificate: fine.
      const again = await chat(['login', 'erin', '--relay', `127.0.0.1:${port}`], { home });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(readFileSync(configPath, 'utf8'))).toMatchObject({ relayCert: tls.fingerprint });
      // Another certificate behind a bare address (what a TLS-terminating impostor looks like): refused, nothing kept.
      const r = await chat(['login', 'erin', '--relay', other.hostPort], { home });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/^chat: error: .*does not match the pinned one.*\(RELAY_CERT_MISMATCH\)/m);
      expect(r.stderr).toContain(`chat: hint: `);
      expect(r.stderr).toContain(`chat login <name> --relay chat://${other.fingerprint}@${other.hostPort}`);
      expect(JSON.parse(readFileSync(configPath, 'utf8'))).toMatchObject({
        relay: `127.0.0.1:${port}`,
        relayCert: tls.fingerprint,
      });
      // The chat:// address names the new certificate: that is the deliberate way to move.
      const moved = await chat(['login', 'erin', '--relay', other.address], { home });
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.stderr).toMatch(/^chat: warning: .*accepted a new TLS certificate/m);
      expect(JSON.parse(readFileSync(configPath, 'utf8'))).toMatchObject({ relayCert: other.fingerprint });
    } finally {
      await other.stop();
    }
  });
});
