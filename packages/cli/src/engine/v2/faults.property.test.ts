/**
 * Model-based property of the v2 engine under faults (issue 13; PROTOCOL.md §24): two real profiles (real chat.db
 * files, the engine's own seal, open and commit paths, prekeys from the relay in process) exchange envelopes through a
 * network this test controls. fast-check picks the commands: a send or a reaction (an envelope with no history row)
 * either way, posting an envelope in flight to the relay (in any order), posting a copy again, dropping one, a
 * receive by either side, and a crash of either side at one of four points (inside its next transaction, before an
 * envelope leaves, after the relay has it but before its answer, after a commit but before the acknowledgement),
 * after which the side is reopened from disk.
 *
 * Invariants: no message is shown twice; no receive rejects anything; a receive that no crash interrupted shows every
 * message the relay held for it; no (ratchet key, n) pair, hence no AEAD message key, seals two different messages;
 * once the faults stop and everything left in flight is posted, every message the relay ever held is shown exactly
 * once, none that it never held is shown, and a message each way opens (the sessions heal). Seeded by CHAT_TEST_SEED (printed); runs and length follow CHAT_TEST_SCALE.
 */
import { decodeInitiation, toHex } from '@chat/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaled } from '../../../../../test/fixtures/scale.js';
import { testSeed } from '../../../../../test/fixtures/random.js';
import { engineWorld } from '../../../test/engine-fixture.js';
import { reactToMessage } from '../actions/send.js';
import { Messenger } from '../messenger.js';
import type { Connection } from '../net/connection.js';
import { isV2Envelope, unsealV2 } from './open.js';
import type { SessionContext } from './session.js';

// Every run (and every shrinking step) registers two fresh users.
const world = engineWorld('v2-faults', {
  limits: { registrationsPerIpPerHour: 1_000_000, registrationsPerIpBurst: 1_000_000 },
});
const RUNS = scaled(4, 40);
const MAX_COMMANDS = scaled(30, 80);

type Side = 'a' | 'b';
/** Where a crash strikes: see the file comment. */
type Point = 'tx' | 'send' | 'sent' | 'ack';
type Command =
  | { op: 'send'; side: Side }
  | { op: 'post'; pick: number }
  | { op: 'repost'; pick: number }
  | { op: 'drop'; pick: number }
  | { op: 'receive'; side: Side }
  | { op: 'react'; side: Side; pick: number }
  | { op: 'crash'; side: Side; at: Point };

const side = fc.constantFrom<Side>('a', 'b');
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('send' as const), side }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('post' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('receive' as const), side }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('react' as const), side, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repost' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('crash' as const),
      side,
      at: fc.constantFrom<Point>('tx', 'send', 'sent', 'ack'),
    }),
  },
);

/** What a crash throws: no code of ours catches it as its own error. */
class Crash extends Error {}

/** An envelope on the test's network. */
interface Packet {
  to: Side;
  id: string;
  env: Uint8Array;
}

/** One side: its user, its Messenger of the moment, and the fault armed for it. */
interface Party {
  user: string;
  m: Messenger;
  conn?: Connection;
  armed?: Point;
  dead: boolean;
  /** How often each message id was shown (`message` events), across restarts. */
  shown: Map<string, number>;
  /** How often each reaction envelope was applied (`action` events), across restarts. */
  applied: Map<string, number>;
  rejected: string[];
}

class Model {
  readonly parties: Record<Side, Party>;
  /** Envelopes sent and not yet posted to the relay. */
  readonly inFlight: Packet[] = [];
  /** Envelopes posted to the relay at least once. */
  readonly posted: Packet[] = [];
  /** Ids of the text messages the relay has held. */
  readonly held = new Set<string>();
  /** The text of every message queued, by id. */
  readonly texts = new Map<string, string>();
  /** Ratchet (key, n) → the ratchet message sealed under it. */
  readonly keys = new Map<string, string>();
  private count = 0;

  constructor(
    a: Party,
    b: Party,
    private readonly carrier: Connection,
  ) {
    this.parties = { a, b };
  }

  static async start(carrier: Connection): Promise<Model> {
    const { a, b } = await world.pair();
    const party = (user: string): Party => ({
      user,
      m: undefined as never,
      dead: false,
      shown: new Map(),
      applied: new Map(),
      rejected: [],
    });
    const model = new Model(party(a), party(b), carrier);
    await model.open('a');
    await model.open('b');
    return model;
  }

  peer = (s: Side): Side => (s === 'a' ? 'b' : 'a');

  /** Opens `s`'s Messenger from disk with the fault hooks in place. */
  async open(s: Side): Promise<void> {
    const p = this.parties[s];
    const m = await Messenger.open(world.profile(p.user), { connectTimeoutMs: 2_000 });
    p.m = m;
    p.dead = false;
    p.conn = undefined;
    const fire = (at: Point): boolean => {
      if (p.armed !== at) return false;
      p.armed = undefined;
      p.dead = true;
      return true;
    };
    // A crash inside a transaction: the process dies before COMMIT, so SQLite rolls it back.
    const store = m.store;
    const transaction = store.transaction.bind(store);
    store.transaction = <T>(f: () => T): T => {
      if (p.dead) throw new Crash('dead');
      return transaction(() => {
        const r = f();
        if (fire('tx')) throw new Crash('in a transaction');
        return r;
      });
    };
    const connect = m.connect.bind(m);
    m.connect = async (mode) => {
      const conn = await connect(mode);
      this.hook(s, conn, fire);
      return conn;
    };
    m.on('message', (msg) => void p.shown.set(msg.id, (p.shown.get(msg.id) ?? 0) + 1));
    // §17.3: a reaction whose message never arrived, or not yet (dropped, or overtaken by it), is refused by the
    // action's own rules once it has decrypted: not a fault of the ratchet. Any other refusal is.
    m.on('rejected', (r) => void (r.code === 'TARGET_UNKNOWN' || p.rejected.push(`${r.code}: ${r.detail}`)));
    m.on('action', (e) => void p.applied.set(e.id, (p.applied.get(e.id) ?? 0) + 1));
  }

  /** Every envelope `s` sends goes to the test's network instead of the relay; acks pass unless a crash takes them. */
  private hook(s: Side, conn: Connection, fire: (at: Point) => boolean): void {
    const p = this.parties[s];
    conn.send = async (to, id, env) => {
      if (p.dead || fire('send')) throw new Crash('before the envelope left');
      expect(to).toBe(this.parties[this.peer(s)].user);
      this.observe({ to: this.peer(s), id: toHex(id), env: Uint8Array.from(env) });
      if (fire('sent')) throw new Crash('before the relay answered');
    };
    const ack = conn.ack.bind(conn);
    conn.ack = (ids) => {
      if (p.dead || fire('ack')) return;
      ack(ids);
    };
  }

  /** Puts `packet` in flight, checking that its ratchet message key never sealed another message. */
  private observe(packet: Packet): void {
    expect(isV2Envelope(packet.env), 'every envelope is v2').toBe(true);
    const to = this.parties[packet.to].m;
    const inner = unsealV2(to as unknown as SessionContext, packet.env);
    const message = inner.initiation ? decodeInitiation(inner.payload).rest : inner.payload;
    // The header (§20.3): ratchet key (32), pn (4), n (4). A message key is determined by the chain and n.
    const key = `${toHex(message.subarray(0, 32))}:${toHex(message.subarray(36, 40))}`;
    const sealed = toHex(message);
    const before = this.keys.get(key);
    expect(before === undefined || before === sealed, `message key ${key} sealed two messages`).toBe(true);
    this.keys.set(key, sealed);
    this.inFlight.push(packet);
  }

  async send(s: Side): Promise<void> {
    const p = this.parties[s];
    const text = `${s}${this.count++}`;
    try {
      const stored = p.m.queueMessage(this.parties[this.peer(s)].user, text);
      this.texts.set(stored.id, text);
      p.conn ??= await p.m.connect('send');
      await p.m.flushOutbox(p.conn);
    } catch (err) {
      if (!p.dead) throw err;
    }
  }

  /** A reaction (§17.2) by `s` to a message of their conversation: an envelope that leaves no history row. */
  async react(s: Side, pick: number, emoji = ['👍', '🎉', ''][pick % 3]!): Promise<void> {
    const p = this.parties[s];
    const history = p.m.history({ peer: this.parties[this.peer(s)].user });
    if (history.length === 0) return;
    try {
      await reactToMessage(p.m, history[pick % history.length]!.id, emoji);
    } catch (err) {
      if (!p.dead) throw err;
    }
  }

  async post(packet: Packet): Promise<void> {
    await this.carrier.send(this.parties[packet.to].user, Buffer.from(packet.id, 'hex'), packet.env);
    this.posted.push(packet);
    if (this.texts.has(packet.id)) this.held.add(packet.id);
  }

  /**
   * `s` receives its mailbox. A receive that no crash interrupted shows every message the relay held for `s` when it
   * began: a v2 message opens on its own (each carries the initiation until answered), whatever came before it.
   */
  async receive(s: Side): Promise<void> {
    const p = this.parties[s];
    const waiting = this.posted.filter((q) => q.to === s && this.texts.has(q.id)).map((q) => q.id);
    try {
      await p.m.receive();
    } catch (err) {
      if (!p.dead) throw err;
    }
    if (p.dead) return;
    for (const id of waiting) expect(p.shown.get(id), `${s} was given ${this.texts.get(id)}`).toBe(1);
  }

  /** Reopens every side that crashed, from what its files hold. */
  async restart(): Promise<void> {
    for (const s of ['a', 'b'] as const) {
      const p = this.parties[s];
      if (!p.dead) continue;
      await p.conn?.close();
      p.m.close();
      await this.open(s);
    }
  }

  async run(c: Command): Promise<void> {
    if (c.op === 'send') await this.send(c.side);
    else if (c.op === 'receive') await this.receive(c.side);
    else if (c.op === 'crash') this.parties[c.side].armed = c.at;
    else if (c.op === 'react') await this.react(c.side, c.pick);
    else if (c.op === 'post' && this.inFlight.length > 0)
      await this.post(this.inFlight.splice(c.pick % this.inFlight.length, 1)[0]!);
    else if (c.op === 'drop' && this.inFlight.length > 0) this.inFlight.splice(c.pick % this.inFlight.length, 1);
    else if (c.op === 'repost' && this.posted.length > 0) await this.post(this.posted[c.pick % this.posted.length]!);
    await this.restart();
    this.check();
  }

  /** Nothing shown twice, nothing rejected. */
  check(): void {
    for (const s of ['a', 'b'] as const) {
      const p = this.parties[s];
      expect(p.rejected, `${s} rejected envelopes`).toEqual([]);
      for (const [id, n] of p.shown) expect(n, `${s} showed ${this.texts.get(id)} ${n} times`).toBe(1);
      for (const [id, n] of p.applied) expect(n, `${s} applied reaction ${id} ${n} times`).toBe(1);
    }
  }

  /** The faults stop: everything in flight is posted and received until nothing moves, then a message each way. */
  async heal(): Promise<void> {
    for (const p of Object.values(this.parties)) p.armed = undefined;
    for (let round = 0; round < 10 && (round === 0 || this.inFlight.length > 0); round++) {
      for (const packet of this.inFlight.splice(0)) await this.post(packet);
      await this.receive('a');
      await this.receive('b');
    }
    expect(this.inFlight).toEqual([]);
    for (const s of ['a', 'b'] as const) {
      const before = this.count;
      await this.send(s);
      const id = [...this.texts].find(([, t]) => t === `${s}${before}`)![0];
      for (const packet of this.inFlight.splice(0)) await this.post(packet);
      await this.receive(this.peer(s));
      expect(this.parties[this.peer(s)].shown.get(id), `the session ${s}→${this.peer(s)} heals`).toBe(1);
    }
    // A reaction each way opens too (to the newest message, which both hold now).
    for (const s of ['a', 'b'] as const) {
      const peer = this.parties[this.peer(s)];
      const before = peer.applied.size;
      await this.react(s, this.parties[s].m.history({ peer: peer.user }).length - 1, '✅');
      for (const packet of this.inFlight.splice(0)) await this.post(packet);
      await this.receive(this.peer(s));
      expect(peer.applied.size, `${s}'s reaction reaches ${this.peer(s)}`).toBe(before + 1);
    }
    this.check();
    // Every message the relay held is shown exactly once by its recipient; none it never held is shown.
    for (const [id, text] of this.texts) {
      const to = text.startsWith('a') ? 'b' : 'a';
      const n = this.parties[to].shown.get(id) ?? 0;
      expect(n, `${text} shown ${n} times`).toBe(this.held.has(id) ? 1 : 0);
    }
  }

  async close(): Promise<void> {
    for (const p of Object.values(this.parties)) {
      await p.conn?.close();
      p.m?.close();
    }
  }
}

describe('the v2 engine under random faults (fast-check)', () => {
  it('every delivered message opens exactly once, no message key seals twice, sessions heal', async () => {
    const seed = testSeed();
    const [post] = (await world.users('carrier')) as [string];
    const carrierM = await world.open(post);
    const carrier = await carrierM.connect('send');
    world.cleanup(() => carrier.close());
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: MAX_COMMANDS, size: 'max' }), async (commands) => {
        const model = await Model.start(carrier);
        try {
          for (const c of commands) await model.run(c);
          await model.heal();
        } finally {
          await model.close();
        }
      }),
      { seed, numRuns: RUNS },
    );
  });
  it('a receipt delivered again after many ratchet steps is dropped as a duplicate, not rejected', async () => {
    const [post] = (await world.users('carrier')) as [string];
    const carrier = await (await world.open(post)).connect('send');
    world.cleanup(() => carrier.close());
    const model = await Model.start(carrier);
    try {
      const exchange = async (from: Side): Promise<void> => {
        await model.send(from);
        for (const packet of model.inFlight.splice(0)) await model.post(packet);
        await model.receive(model.peer(from));
        for (const packet of model.inFlight.splice(0)) await model.post(packet); // the delivery receipt
        await model.receive(from);
      };
      await exchange('a');
      const receipt = model.posted.find((q) => q.to === 'a' && !model.texts.has(q.id))!;
      expect(receipt).toBeDefined();
      // Every answered message is a new ratchet step on both sides: far more than the chains a side remembers.
      for (let i = 0; i < 20; i++) {
        await exchange('b');
        await exchange('a');
      }
      await model.post(receipt);
      await model.receive('a');
      model.check();
    } finally {
      await model.close();
    }
  });
});
