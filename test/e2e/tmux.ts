/**
 * A real terminal for end-to-end tests: the built `chat` running inside tmux on a private socket, driven with
 * `send-keys` / `paste-buffer` and read with `capture-pane`, polled until a pattern shows (never fixed sleeps).
 *
 * The polls go through one tmux client in control mode (`tmux -C`, a command per line on its stdin, each answer
 * between `%begin` and `%end`), not a `tmux capture-pane` process per look: a TUI file used to start a few hundred
 * tmux processes, one every 50 ms of waiting, each a fork of the test worker.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CHAT_BIN, TEST_PASSPHRASE } from './harness.js';

export class Tmux {
  private readonly socket = `chat-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private started = false;
  private control: Control | undefined;

  /** tmux must be installed (.ci/run installs it); a clear failure otherwise. */
  static check(): void {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'pipe' });
    } catch {
      throw new Error('tmux is not installed: apt-get install -y tmux (the CI script does this)');
    }
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /**
   * Starts `chat args…` with CHAT_HOME=home in a new window `name` of the given size. The keys' passphrase comes from
   * CHAT_PASSPHRASE (harness.ts) unless `askPassphrase`, in which case chat asks for it at its hidden prompt. With
   * `pipe`, chat's stdin is a pipe carrying that text (`printf … | chat …`) while the pane stays its terminal.
   */
  start(
    name: string,
    home: string,
    args: string[],
    {
      columns = 80,
      rows = 24,
      env = {} as Record<string, string>,
      askPassphrase = false,
      pipe = undefined as string | undefined,
    } = {},
  ): void {
    const vars = {
      CHAT_HOME: home,
      HOME: home,
      TZ: 'UTC',
      TERM: 'xterm-256color',
      PATH: process.env.PATH ?? '',
      ...(askPassphrase ? {} : { CHAT_PASSPHRASE: TEST_PASSPHRASE }),
      ...env,
    };
    // The tmux server inherits this process's environment; CI and CONTINUOUS_INTEGRATION (set on CI machines, and
    // they change how Ink draws) are cleared so a window gets the same environment everywhere unless `env` sets them.
    const command = [
      'env',
      '-u',
      'CI',
      '-u',
      'CONTINUOUS_INTEGRATION',
      ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
      process.execPath,
      CHAT_BIN,
      ...args,
    ]
      .map((w) => `'${w.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const piped = pipe === undefined ? command : `printf '%s' '${pipe.replace(/'/g, `'\\''`)}' | ${command}`;
    // `; sleep` keeps the pane (and its last screen) after chat exits, so a failure can still be read.
    const shell = `${piped}; echo "[chat exited $?]"; sleep 600`;
    // One detached session per window, each with its own size (tmux 3.3 crashes on new-window with window-size
    // manual, so sizes are not shared through one session).
    this.tmux('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), shell);
    this.started = true;
  }

  /** The screen of window `name` now, one line per row (a tmux process of its own: for a single look). */
  capture(name: string): string {
    return this.tmux('capture-pane', '-p', '-t', `${name}:`);
  }

  /** The screen as `capture` gives it, asked through the control client (no process per look). */
  screen(name: string): Promise<string> {
    this.control ??= new Control(this.socket);
    return this.control.command(`capture-pane -p -t '${name}:'`);
  }

  /** Polls the screen until `re` matches; returns the screen. */
  waitFor(name: string, re: RegExp, ms = 15_000): Promise<string> {
    return this.poll(name, (s) => re.test(s), `${re}`, ms);
  }

  /** Polls the screen until `re` no longer matches (a line has gone); returns the screen. */
  waitForAbsent(name: string, re: RegExp, ms = 60_000): Promise<string> {
    return this.poll(name, (s) => !re.test(s), `no ${re}`, ms);
  }

  /** Polls the screen until it differs from `before` (a key took effect); returns the screen. */
  waitForChange(name: string, before: string, ms = 60_000): Promise<string> {
    return this.poll(name, (s) => s !== before, 'a change', ms);
  }

  private async poll(name: string, done: (screen: string) => boolean, what: string, ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const screen = await this.screen(name);
      if (done(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in window ${name}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Types text literally (no key names). */
  type(name: string, text: string): void {
    this.tmux('send-keys', '-t', `${name}:`, '-l', text);
  }

  /** Sends key names: Enter, Tab, PageUp, C-c, … */
  keys(name: string, ...keys: string[]): void {
    this.tmux('send-keys', '-t', `${name}:`, ...keys);
  }

  /** Pastes `text` as the terminal would: bracketed when the application asked for it (-p). */
  paste(name: string, text: string): void {
    execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'load-buffer', '-b', 'e2e', '-'], { input: text });
    this.tmux('paste-buffer', '-p', '-d', '-b', 'e2e', '-t', `${name}:`);
  }

  resize(name: string, columns: number, rows: number): void {
    this.tmux('resize-window', '-t', `${name}:`, '-x', String(columns), '-y', String(rows));
  }

  kill(): void {
    this.control?.close();
    this.control = undefined;
    if (!this.started) return;
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

/**
 * A tmux client in control mode on the server's socket, attached to a small session of its own (so that it never
 * resizes a window under test). Commands are answered in the order they were written; only answers to our own
 * commands (flags 1 on `%begin`) are taken, notifications between blocks are skipped.
 */
export class Control {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: { resolve: (out: string) => void; reject: (e: Error) => void }[] = [];
  private buffered = '';
  private block: { id: string; mine: boolean; lines: string[] } | undefined;
  private failure: Error | undefined;

  /** A control client on the tmux server at `-L socket`, started with `config` (-f) if it is not running yet. */
  constructor(socket: string, config = '/dev/null') {
    const args = ['-L', socket, '-f', config, '-C', 'new-session', '-s', 'e2e-control', '-x', '20', '-y', '2'];
    this.proc = spawn('tmux', [...args, 'cat'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => this.read(d));
    let stderr = '';
    this.proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    this.proc.on('error', (e) => this.fail(e));
    this.proc.on('close', (code) => this.fail(new Error(`tmux control client exited ${code}: ${stderr}`)));
  }

  command(line: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.proc.stdin.write(`${line}\n`);
    });
  }

  close(): void {
    this.failure ??= new Error('tmux control client closed');
    this.proc.stdin.end();
    this.proc.kill();
  }

  private read(data: string): void {
    this.buffered += data;
    let nl = this.buffered.indexOf('\n');
    while (nl >= 0) {
      this.line(this.buffered.slice(0, nl));
      this.buffered = this.buffered.slice(nl + 1);
      nl = this.buffered.indexOf('\n');
    }
  }

  /** `%begin TIME NUMBER FLAGS`, the output, then `%end` (or `%error`) with the same time and number. */
  private line(line: string): void {
    const b = this.block;
    if (b === undefined) {
      const m = /^%begin (\d+ \d+) (\d+)$/.exec(line);
      if (m) this.block = { id: m[1]!, mine: m[2] === '1', lines: [] };
      return;
    }
    const end = /^%(end|error) (\d+ \d+) \d+$/.exec(line);
    if (!end || end[2] !== b.id) {
      b.lines.push(line);
      return;
    }
    this.block = undefined;
    if (!b.mine) return;
    const waiter = this.pending.shift();
    const out = b.lines.map((l) => `${l}\n`).join('');
    if (end[1] === 'end') waiter?.resolve(out);
    else waiter?.reject(new Error(`tmux: ${out.trim()}`));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.pending.splice(0)) w.reject(this.failure);
  }
}
