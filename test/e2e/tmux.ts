/**
 * A real terminal for end-to-end tests: the built `chat` running inside tmux on a private socket, driven with
 * `send-keys` / `paste-buffer` and read with `capture-pane`, polled until a pattern shows (never fixed sleeps).
 */
import { execFileSync } from 'node:child_process';
import { CHAT_BIN, TEST_PASSPHRASE } from './harness.js';

export class Tmux {
  private readonly socket = `chat-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private started = false;

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

  capture(name: string): string {
    return this.tmux('capture-pane', '-p', '-t', `${name}:`);
  }

  /** Polls the screen until `re` matches; returns the screen. */
  async waitFor(name: string, re: RegExp, ms = 15_000): Promise<string> {
    const deadline = Date.now() + ms;
    let screen = '';
    for (;;) {
      screen = this.capture(name);
      if (re.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in window ${name}; screen:\n${screen}`);
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
    if (!this.started) return;
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
