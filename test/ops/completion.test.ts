/**
 * `chat completion bash|zsh|fish`. The bash script runs in a real bash: sourced, then its completion function called
 * with COMP_WORDS / COMP_CWORD as bash would set them at a TAB. The fish script runs in a real fish (.ci/run installs
 * it), which completes a command line on request (`complete -C`). zsh completes only inside its line editor, so the
 * zsh script runs in a real zsh (also installed by .ci/run) with zsh's completion helpers (_describe, compdef) replaced
 * by stubs that print what they are given.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_JS, type Ran, runBin } from './run-bin.js';

// The scripts call `chat` from PATH, as an installed one would be.
let binDir: string;
beforeAll(() => {
  binDir = mkdtempSync(join(tmpdir(), 'chat-completion-'));
  writeFileSync(
    join(binDir, 'chat'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CHAT_JS)} "$@"\n`,
  );
  chmodSync(join(binDir, 'chat'), 0o755);
});
afterAll(() => rmSync(binDir, { recursive: true, force: true }));

const path = (): string => `${binDir}:${process.env.PATH ?? ''}`;

/**
 * `chat completion <shell>`, run once per shell and file: the script is the same output every time, and each run is
 * a Node start-up. The completions themselves still run `chat` (from PATH) at every TAB.
 */
const scripts = new Map<string, Promise<Ran>>();
const script = (shell: string): Promise<Ran> => {
  let r = scripts.get(shell);
  if (!r) scripts.set(shell, (r = runBin(CHAT_JS, ['completion', shell])));
  return r;
};

/** What bash offers for the words of `line` (the last one being completed). */
async function bashComplete(line: string[]): Promise<string[]> {
  const file = join(binDir, 'chat.bash');
  writeFileSync(file, (await script('bash')).stdout);
  const words = line.map((w) => `'${w}'`).join(' ');
  const r = await runBin(
    'bash',
    [
      '-c',
      `source ${file}; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _chat_completions; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    {
      PATH: path(),
    },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('chat completion bash, in bash', () => {
  it('chat sen<TAB> offers send and send-file', async () => {
    expect((await bashComplete(['chat', 'sen'])).sort()).toEqual(['send', 'send-file']);
  });

  it("chat <TAB> offers every command and not yargs' $0", async () => {
    const offered = await bashComplete(['chat', '']);
    for (const c of ['send', 'recv', 'keygen', 'login', 'whoami', 'contacts', 'completion'])
      expect(offered).toContain(c);
    expect(offered).not.toContain('$0');
  });

  it('chat recv --<TAB> offers its options', async () => {
    const offered = await bashComplete(['chat', 'recv', '--']);
    expect(offered).toEqual(expect.arrayContaining(['--follow', '--json', '--help']));
  });

  it('chat completion <TAB> offers the shells', async () => {
    expect(await bashComplete(['chat', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'fish', 'zsh']));
  });
});

describe('chat completion fish, in fish', () => {
  it('chat sen<TAB> offers send and send-file, with their descriptions', async () => {
    const file = join(binDir, 'chat.fish');
    writeFileSync(file, (await script('fish')).stdout);
    const r = await runBin('fish', ['--no-config', '-c', `source ${file}; complete -C'chat sen'`], { PATH: path() });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'send\tsend a message; exits 0 once the relay has stored it',
      'send-file\tsend a file, end-to-end encrypted; the recipient accepts or declines it',
    ]);
  });
});

describe('chat completion zsh, in zsh', () => {
  it('chat sen<TAB> hands _describe every command with its description, and not $0', async () => {
    const file = join(binDir, '_chat');
    writeFileSync(file, (await script('zsh')).stdout);
    const stubs = 'compdef() { :; }; _describe() { print -l -- "${(@P)2}"; }; _default() { print DEFAULT; }';
    const r = await runBin('zsh', ['-fc', `${stubs}; source ${file}; words=(chat sen); CURRENT=2; _chat_completions`], {
      PATH: path(),
    });
    expect(r.stderr).toBe('');
    const offered = r.stdout.split('\n').filter(Boolean);
    expect(offered).toContain('send:send a message; exits 0 once the relay has stored it');
    expect(offered).toContain('send-file:send a file, end-to-end encrypted; the recipient accepts or declines it');
    expect(offered.some((l) => l.startsWith('$0'))).toBe(false);
  });
});

describe('chat completion zsh and fish', () => {
  it('the zsh script is a #compdef function that asks yargs as zsh', async () => {
    const r = await script('zsh');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#compdef chat\n/);
    expect(r.stdout).toContain('SHELL=zsh chat --get-yargs-completions');
    expect(r.stdout).toContain("_describe 'values' reply");
  });

  it('the fish script registers a completion function that asks yargs as fish', async () => {
    const r = await script('fish');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SHELL=fish chat --get-yargs-completions');
    expect(r.stdout).toContain("complete -c chat -f -a '(__chat_completions)'");
  });

  it.each([
    ['zsh', 'send:send a message'],
    ['fish', 'send\tsend a message'],
  ])('yargs answers %s with descriptions', async (shell, line) => {
    const r = await runBin(CHAT_JS, ['--get-yargs-completions', 'chat', 's'], { SHELL: shell });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').some((l) => l.startsWith(line))).toBe(true);
  });

  it('an unknown shell is a usage error', async () => {
    const r = await runBin(CHAT_JS, ['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('chat: error:');
  });
});
