/**
 * Long content in the interactive session (issue 15, "Nothing is cut off"): the built `chat` in a real terminal (tmux)
 * against a relay in the test process. A 200-line paste and a 5,000-character message are read to their last line by
 * paging; a wrapped message cut off at the top of the pane shows only its own rows, in order, none drawn over another;
 * at 40 columns, CJK and ZWJ emoji never hide the text after them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { Tmux } from './tmux.js';

describe('long content in a terminal (tmux)', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  let alice: string;
  let bob: string;
  const tmux = new Tmux();

  beforeAll(async () => {
    Tmux.check();
    t = tempDir('tui-long');
    relay = await relayInProcess(`${t.dir}/relay`);
    alice = await newUser(t.dir, 'alice', relay);
    bob = await newUser(t.dir, 'bob', relay);
  });
  afterAll(async () => {
    tmux.kill();
    await relay.stop();
    t.cleanup();
  });

  /** Sends `key` and waits until the screen is no longer `before`'s (the key took effect). */
  async function press(name: string, key: string): Promise<string> {
    const before = await tmux.screen(name);
    tmux.keys(name, key);
    return tmux.waitForChange(name, before);
  }

  /** Every token `re` finds on the screens from Home down to the end, paging with PgDn. */
  async function readWhole(name: string, re: RegExp, first: RegExp): Promise<Set<string>> {
    tmux.keys(name, 'Home');
    let screen = await tmux.waitFor(name, first);
    const seen = new Set<string>();
    for (;;) {
      for (const m of screen.matchAll(re)) seen.add(m[0]);
      if (!/↓ \d+\+? more lines/.test(screen)) return seen;
      screen = await press(name, 'PageDown');
    }
  }

  /** The message pane's rows of a screen: right of the conversation list's border, between header and input. */
  const paneRows = (screen: string): string[] =>
    screen
      .split('\n')
      .map((l) => (l.includes('│') ? l.slice(l.indexOf('│') + 1) : l).trimEnd())
      .filter((l) => /^ +L\d{3}$|L\d{3}/.test(l));

  it('a 200-line paste grows the input to a third of the screen, is sent whole and read to its last line', async () => {
    tmux.start('alice', alice, ['open', 'bob'], { columns: 80, rows: 24 });
    tmux.start('bob', bob, ['open', 'alice'], { columns: 80, rows: 24 });
    await tmux.waitFor('alice', /^ online .*alice@/m);
    await tmux.waitFor('bob', /^ online .*bob@/m);

    const lines = Array.from({ length: 200 }, (_, i) => `L${String(i + 1).padStart(3, '0')}`);
    tmux.paste('alice', lines.join('\n'));
    // The input area: its last rows, the prompt (the recipient) kept above them with how many rows are hidden.
    const input = await tmux.waitFor('alice', /bob> ↑ \d+ more rows above\n\s+L19\d/);
    const area = input.split('\n').filter((l) => /^\s+L\d{3}$/.test(l));
    expect(area.length).toBeGreaterThan(2);
    expect(area.length).toBeLessThanOrEqual(Math.floor(23 / 3));
    expect(input).toMatch(/^\s+L200$/m);
    tmux.keys('alice', 'Enter');

    // Both sides follow the newest row: the last line shows, then every line on the way down from Home.
    await tmux.waitFor('bob', /^.*│ +L200 \[[0-9a-f]{8}\]$/m);
    await tmux.waitFor('alice', /L200 ✓✓ read/);
    const seen = await readWhole('bob', /L\d{3}/g, /alice: L001/);
    expect([...seen].sort()).toEqual(lines);

    // A row at a time: Shift+Down from the top moves the message's first row out of the pane, and only it.
    tmux.keys('bob', 'Home');
    await tmux.waitFor('bob', /alice: L001/);
    const down = await press('bob', 'S-Down');
    expect(down).not.toMatch(/L001/);
    expect(paneRows(down)[0]).toMatch(/^ +L002$/);
  });

  it('a wrapped message cut off at the top shows only its own rows, in order, none drawn over another', async () => {
    // Two short messages after the long one: at the end, the 200-line message is cut off at the top of the pane.
    for (const text of ['first after', 'second after']) {
      const r = await chat(['send', 'bob', text], { home: alice });
      expect(r.code).toBe(0);
    }
    tmux.keys('bob', 'End');
    const screen = await tmux.waitFor('bob', /alice: second after/);
    const rows = paneRows(screen);
    expect(rows.length).toBeGreaterThan(5);
    // Consecutive line numbers ending at L200, each row exactly one indented line of the message.
    for (const r of rows) expect(r).toMatch(/^ +L\d{3}( \[[0-9a-f]{8}\])?$/);
    const numbers = rows.map((r) => Number(/L(\d{3})/.exec(r)?.[1]));
    expect(numbers).toEqual(numbers.map((_, i) => 200 - numbers.length + 1 + i));
    expect(screen).toMatch(/L200 \[[0-9a-f]{8}\]\n.*alice: first after/);
  });

  it('a 5,000-character message is read to its last word', async () => {
    const words = Array.from({ length: 834 }, (_, i) => `w${String(i + 1).padStart(4, '0')}`);
    const text = words.join(' ');
    expect(text.length).toBeGreaterThanOrEqual(5_000);
    const r = await chat(['send', 'bob', text], { home: alice });
    expect(r.code).toBe(0);
    await tmux.waitFor('bob', /w0834(?: |\n[ │]*)\[[0-9a-f]{8}\]/);
    // Home shows the oldest message first (the paste); page down from there through this one.
    const seen = await readWhole('bob', /w\d{4}/g, /alice: L001/);
    expect([...seen].sort()).toEqual(words);
  });

  it('at 40 columns, CJK and ZWJ emoji never hide the text after them, in the pane or the input', async () => {
    // bob leaves his 80-column session and opens one 40 columns wide.
    tmux.keys('bob', 'C-c');
    await tmux.waitFor('bob', /\[chat exited 0\]/);
    tmux.start('narrow', bob, ['open', 'alice'], { columns: 40, rows: 20 });
    await tmux.waitFor('narrow', /^ online/m);
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    const body = `${family} family ${'中文字符'.repeat(6)} mid-END ${family}${family} e\u0301 tail-END`;
    const r = await chat(['send', 'bob', body], { home: alice });
    expect(r.code).toBe(0);
    const screen = await tmux.waitFor('narrow', /tail-END \[[0-9a-f]{8}\]/);
    expect(screen).toContain('mid-END');
    expect(screen).toContain(`${family} family`);
    tmux.type('narrow', `${family}中文 typed-END`);
    await tmux.waitFor('narrow', new RegExp(`alice> ${family}中文 typed-END`));
  });
});
