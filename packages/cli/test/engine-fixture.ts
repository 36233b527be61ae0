/**
 * The engine tests' one way to a world: a real relay in process (TLS on port 0, SQLite in a temp dir) for the test
 * file, users with prepared profiles (no child process, no scrypt), and Messengers that are closed for you. Each
 * call of `users` or `pair` gives fresh names (`alice3`, `bob3`), so tests never share a mailbox.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { preparedProfile } from '../../../test/fixtures/profiles.js';
import { relayInProcess, type InProcessOptions, type InProcessRelay } from '../../../test/fixtures/relay.js';
import { tempDir, type TempDir } from '../../../test/fixtures/temp.js';
import { Messenger, type OpenOptions } from '../src/engine/messenger.js';
import { Profile } from '../src/engine/profile.js';

export interface EngineWorld {
  /** The relay of this file (valid inside tests and hooks). */
  relay(): InProcessRelay;
  /** The temp directory of this file. */
  dir(): string;
  /** Fresh users named `<base><n>`, logged in on the relay; returns their names. */
  users(...bases: string[]): Promise<string[]>;
  /** A fresh user `<base><n>` logged in with `hello` 1 (no prekeys); open it with `{ v1Only: true }` to stay v1. */
  v1User(base: string): Promise<string>;
  /** A fresh `alice<n>` and `bob<n>` with their profile directories. */
  pair(): Promise<{ a: string; b: string; aHome: string; bHome: string }>;
  /** The profile directory of a user made by `users` or `pair`. */
  home(user: string): string;
  /** The profile of a user made by `users` or `pair`. */
  profile(user: string): Profile;
  /** Opens a Messenger on a user's profile (or a profile directory), closed after the test. */
  open(user: string, o?: OpenOptions): Promise<Messenger>;
  /** Runs `f` with a Messenger of `user` that is closed when `f` settles. */
  as<T>(user: string, f: (m: Messenger) => Promise<T>, o?: OpenOptions): Promise<T>;
  /** Runs `f` after the current test (cleanups run in reverse order). */
  cleanup(f: () => Promise<void> | void): void;
}

/**
 * Registers the file's hooks and returns its world. Dozens of users connect from one address within seconds, so the
 * per-address connection rate (§11) is raised unless `options.limits` says otherwise.
 */
export function engineWorld(prefix: string, options: InProcessOptions = {}): EngineWorld {
  let t: TempDir | undefined;
  let relay: InProcessRelay | undefined;
  let n = 0;
  const homes = new Map<string, string>();
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    t = tempDir(prefix);
    relay = await relayInProcess(join(t.dir, 'relay'), {
      ...options,
      limits: { connectionsPerIpPerSecond: 10_000, connectionsPerIpBurst: 10_000, ...options.limits },
    });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await relay?.stop();
    t?.cleanup();
  });

  const must = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('engineWorld: used outside a test');
    return x;
  };
  const homeOf = (user: string): string => homes.get(user) ?? user;
  const prepare = async (name: string, o: { v1Only?: boolean } = {}): Promise<void> => {
    const home = join(must(t).dir, name);
    await preparedProfile(home, name, must(relay), o);
    homes.set(name, home);
  };
  const world: EngineWorld = {
    relay: () => must(relay),
    dir: () => must(t).dir,
    async users(...bases) {
      n++;
      const names = bases.map((b) => `${b}${n}`);
      for (const name of names) await prepare(name);
      return names;
    },
    async v1User(base) {
      const name = `${base}${++n}`;
      await prepare(name, { v1Only: true });
      return name;
    },
    async pair() {
      const [a, b] = (await world.users('alice', 'bob')) as [string, string];
      return { a, b, aHome: homeOf(a), bHome: homeOf(b) };
    },
    home: homeOf,
    profile: (user) => new Profile(homeOf(user)),
    async open(user, o = {}) {
      const m = await Messenger.open(world.profile(user), { connectTimeoutMs: 2_000, ...o });
      cleanups.push(() => m.close());
      return m;
    },
    async as(user, f, o = {}) {
      const m = await Messenger.open(world.profile(user), o);
      try {
        return await f(m);
      } finally {
        m.close();
      }
    },
    cleanup: (f) => void cleanups.push(f),
  };
  return world;
}
