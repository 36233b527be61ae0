/**
 * `chat completion bash|zsh|fish`: a script for the shell's start-up files. At each TAB the script asks
 * `chat --get-yargs-completions <words>`, which yargs answers from the same command definitions (bin/cli.ts) that
 * `--help` prints, so completion cannot drift from the commands. The scripts follow yargs' own templates (yargs,
 * lib/completion-templates.ts, MIT), with two changes: they tell yargs which shell asks (it reads $SHELL, which in a
 * zsh started from bash still says bash), so zsh and fish get descriptions; and they drop `$0`, yargs' name for the
 * default command.
 *
 * Contact names are not completed: that would open the SQLite store (and load its native addon) at every TAB.
 * Positions that take a username or a path fall back to the shell's file completion.
 */
import type { Io } from './io.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `# bash completion for chat. Install: chat completion bash > ~/.local/share/bash-completion/completions/chat
# (or add  eval "$(chat completion bash)"  to ~/.bashrc).
_chat_completions()
{
    local cur_word type_list
    cur_word="\${COMP_WORDS[COMP_CWORD]}"
    mapfile -t type_list < <(SHELL=bash chat --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null | grep -v '^\\$0$')
    mapfile -t COMPREPLY < <(compgen -W "$(printf '%q ' "\${type_list[@]}")" -- "\${cur_word}")
    return 0
}
complete -o bashdefault -o default -F _chat_completions chat
`;

const ZSH = `#compdef chat
# zsh completion for chat. Install: chat completion zsh > "\${fpath[1]}/_chat" (then restart zsh),
# or add  source <(chat completion zsh)  to ~/.zshrc after compinit.
_chat_completions()
{
  local reply
  local si=$IFS
  IFS=$'\\n' reply=($(SHELL=zsh chat --get-yargs-completions "\${(@)words[1,CURRENT]}" 2>/dev/null | grep -v '^\\$0:'))
  IFS=$si
  if [[ \${#reply} -gt 0 ]]; then
    _describe 'values' reply
  else
    _default
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _chat_completions "$@"
else
  compdef _chat_completions chat
fi
`;

const FISH = `# fish completion for chat. Install: chat completion fish > ~/.config/fish/completions/chat.fish
function __chat_completions
    set -l words (commandline -opc) (commandline -ct)
    SHELL=fish chat --get-yargs-completions $words 2>/dev/null | string match -v -r '^\\$0(\\t|$)'
end
complete -c chat -f -a '(__chat_completions)'
`;

const SCRIPTS: Record<Shell, string> = { bash: BASH, zsh: ZSH, fish: FISH };

/** The completion script for `shell`. */
export function completionScript(shell: Shell): string {
  return SCRIPTS[shell];
}

export function completion(args: { shell: Shell }, io: Io): Promise<number> {
  io.stdout.write(completionScript(args.shell));
  return Promise.resolve(0);
}
