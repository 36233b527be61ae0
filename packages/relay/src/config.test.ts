import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/fixtures/temp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, envNameOf, resolveConfig } from './config.js';
import { DEFAULT_LIMITS } from './limits.js';

const tmp = tempDir('relay-config');
const dir = tmp.dir;
afterAll(() => tmp.cleanup());

const none = new Map<string, string>();

describe('relay configuration (defaults < file < environment < flags)', () => {
  it('has documented defaults', () => {
    const { config, sources, file } = resolveConfig({ env: { HOME: '/home/x' }, flags: none });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 7717,
      admins: [],
      registration: 'open',
      metrics: { port: -1 },
    });
    expect(config.dataDir).toBe('/home/x/.local/share/chat-relay');
    expect(config.limits).toEqual(DEFAULT_LIMITS);
    expect(sources.size).toBe(0);
    expect(file).toBeUndefined();
  });

  it('layers file, environment and flags key by key', () => {
    const file = join(dir, 'layers.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 1000,
        admins: ['alice:3F2A 91BC 0D4E 7A11 C0DE 5EED 9B3A 44F0'],
        limits: { maxConnections: 10, messagesPerSecond: 5 },
      }),
    );
    const { config, sources } = resolveConfig({
      env: { CHAT_RELAY_MAX_CONNECTIONS: '20', CHAT_RELAY_PORT: '2000' },
      configFile: file,
      flags: new Map([['port', '3000']]),
    });
    expect(config.port).toBe(3000);
    expect(config.limits.maxConnections).toBe(20);
    expect(config.limits.messagesPerSecond).toBe(5);
    expect(config.admins).toEqual(['alice:3F2A 91BC 0D4E 7A11 C0DE 5EED 9B3A 44F0']);
    expect(sources.get('port')).toBe('flag');
    expect(sources.get('limits.maxConnections')).toBe('environment CHAT_RELAY_MAX_CONNECTIONS');
    expect(sources.get('limits.messagesPerSecond')).toBe(`file ${file}`);
    expect(describeConfig({ config, sources, file })).toContain('limits.messagesPerSecond = 5  (file ');
  });

  it('reads relay.json from the data directory, which cannot move the data directory itself', () => {
    const data = join(dir, 'data');
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'relay.json'), JSON.stringify({ registration: 'invite' }));
    expect(resolveConfig({ env: {}, flags: new Map([['dataDir', data]]) }).config.registration).toBe('invite');
    writeFileSync(join(data, 'relay.json'), JSON.stringify({ dataDir: '/elsewhere' }));
    expect(() => resolveConfig({ env: {}, flags: new Map([['dataDir', data]]) })).toThrow(/dataDir cannot be set/);
  });

  it.each([
    [{ prot: 1 }, /unknown setting "prot"/],
    [{ limits: { maxConections: 1 } }, /unknown setting "limits.maxConections"/],
    [{ port: 70000 }, /port must be an integer from 0 to 65535/],
    [{ admins: ['Not Valid:3F2A91BC0D4E7A11C0DE5EED9B3A44F0'] }, /admins: expected "name:fingerprint"/],
    [{ admins: ['alice'] }, /admins: expected "name:fingerprint"/], // a bare name could be registered by anyone first
    [{ registration: 'closed' }, /registration must be one of open, invite/],
    [{ limits: { maxConnections: 0 } }, /limits.maxConnections must be an integer/],
    [{ limits: { keepaliveMs: 5000, idleTimeoutMs: 5000 } }, /idleTimeoutMs must be greater/],
  ])('refuses %j', (content, message) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(content));
    expect(() => resolveConfig({ env: {}, configFile: file, flags: none })).toThrow(message);
  });

  it('refuses a bad environment value and a file that is not JSON', () => {
    expect(() => resolveConfig({ env: { CHAT_RELAY_PORT: 'eighty' }, flags: none })).toThrow(ConfigError);
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "port": ');
    expect(() => resolveConfig({ env: {}, configFile: file, flags: none })).toThrow(/not valid JSON/);
    expect(() => resolveConfig({ env: {}, configFile: join(dir, 'missing.json'), flags: none })).toThrow(/cannot read/);
  });

  it('names an environment variable for every setting', () => {
    expect(envNameOf('limits.connectionsPerIpPerSecond')).toBe('CHAT_RELAY_CONNECTIONS_PER_IP_PER_SECOND');
    expect(envNameOf('metrics.port')).toBe('CHAT_RELAY_METRICS_PORT');
  });
});

describe('the store setting (issue 17)', () => {
  it('is SQLite in the data directory unless a postgres:// URL is given (CHAT_RELAY_STORE, --store, config key)', () => {
    expect(resolveConfig({ env: { HOME: '/home/x' }, flags: none }).config.store).toBeNull();
    expect(envNameOf('store')).toBe('CHAT_RELAY_STORE');
    const url = 'postgres://relay@db.internal:5432/chat';
    expect(resolveConfig({ env: { HOME: '/home/x', CHAT_RELAY_STORE: url }, flags: none }).config.store).toBe(url);
    const flags = new Map([['store', 'postgresql://relay@other/chat']]);
    expect(resolveConfig({ env: { HOME: '/home/x', CHAT_RELAY_STORE: url }, flags }).config.store).toBe(
      'postgresql://relay@other/chat',
    );
  });

  it('refuses anything but a postgres:// URL', () => {
    for (const bad of ['sqlite:///tmp/x.db', '/var/lib/relay.db', 'mysql://a@b/c']) {
      expect(() => resolveConfig({ env: { HOME: '/home/x', CHAT_RELAY_STORE: bad }, flags: none })).toThrow(
        ConfigError,
      );
    }
  });

  it('never prints the password of the database URL', () => {
    const resolved = resolveConfig({
      env: { HOME: '/home/x', CHAT_RELAY_STORE: 'postgres://relay:hunter2@db:5432/chat' },
      flags: none,
    });
    const text = describeConfig(resolved);
    expect(text).toContain('store = "postgres://relay:***@db:5432/chat"');
    expect(text).not.toContain('hunter2');
  });
});
