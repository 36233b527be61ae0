/**
 * The input line as a pure state machine: typing, bracketed paste (a pasted block, newlines included, is one
 * message), history (Up/Down), Tab completion. `useInputLine` feeds it Ink's key events.
 */
export interface LineState {
  value: string;
  history: string[];
  /** Position while browsing history; history.length when editing a new line. */
  index: number;
  /** What was being typed before browsing history. */
  draft: string;
  /** Inside ESC[200~ … ESC[201~. */
  pasting: boolean;
  candidates: string[];
}

export const initialLine = (history: string[] = []): LineState => ({
  value: '',
  history,
  index: history.length,
  draft: '',
  pasting: false,
  candidates: [],
});

export interface KeyInfo {
  return?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  escape?: boolean;
}

export type LineEffect = { submit: string } | { complete: true } | undefined;

const PASTE_START = '[200~';
const PASTE_END = '[201~';
const HISTORY_MAX = 500;

// Controls other than newline never enter the line (a stray escape sequence must not be sent as text).
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f]/g;

const clean = (s: string): string => s.replace(/\r\n?/g, '\n').replace(CONTROLS, '');

/** Applies one key event; returns the new state and what the caller must do (send a line, run completion). */
export function editLine(s: LineState, input: string, key: KeyInfo): [LineState, LineEffect] {
  if (input === PASTE_START || input.startsWith(PASTE_START)) {
    const rest = input.slice(PASTE_START.length);
    return [{ ...s, pasting: true, value: s.value + clean(rest.replace(`\u001b${PASTE_END}`, '')) }, undefined];
  }
  if (s.pasting) {
    if (input === PASTE_END || input.endsWith(PASTE_END)) {
      const before = input.slice(0, input.length - PASTE_END.length);
      return [{ ...s, pasting: false, value: s.value + clean(before) }, undefined];
    }
    if (key.return) return [{ ...s, value: `${s.value}\n` }, undefined];
    return [{ ...s, value: s.value + clean(input) }, undefined];
  }
  if (key.return) {
    if (s.value.trim() === '') return [{ ...s, value: '' }, undefined];
    const history = [...s.history.filter((h) => h !== s.value), s.value].slice(-HISTORY_MAX);
    return [{ ...s, value: '', history, index: history.length, draft: '', candidates: [] }, { submit: s.value }];
  }
  if (key.upArrow) {
    if (s.index === 0 || s.history.length === 0) return [s, undefined];
    const draft = s.index === s.history.length ? s.value : s.draft;
    return [{ ...s, index: s.index - 1, value: s.history[s.index - 1] ?? '', draft }, undefined];
  }
  if (key.downArrow) {
    if (s.index >= s.history.length) return [s, undefined];
    const index = s.index + 1;
    return [{ ...s, index, value: index === s.history.length ? s.draft : (s.history[index] ?? '') }, undefined];
  }
  if (key.tab) return [s, { complete: true }];
  if (key.backspace || key.delete)
    return [{ ...s, value: Array.from(s.value).slice(0, -1).join(''), candidates: [] }, undefined];
  if (key.ctrl && input === 'u') return [{ ...s, value: '', candidates: [] }, undefined];
  if (key.ctrl && input === 'w') return [{ ...s, value: s.value.replace(/\S*\s*$/, ''), candidates: [] }, undefined];
  if (key.ctrl || key.escape) return [s, undefined];
  // Fast typing (or tmux send-keys) can deliver "text⏎" as one chunk: the trailing CR is Enter.
  if (input.length > 1 && input.endsWith('\r')) {
    const [typed] = editLine(s, input.slice(0, -1), {});
    return editLine(typed, '', { return: true });
  }
  // Without bracketed paste a pasted block arrives as one chunk with line breaks in it: still one message.
  const text = clean(input);
  if (text === '') return [s, undefined];
  return [{ ...s, value: s.value + text, candidates: [] }, undefined];
}

export interface SplitKey extends KeyInfo {
  input: string;
}

const CONTROL_KEYS: Record<string, KeyInfo & { name?: string }> = {
  '\t': { tab: true },
  '\r': { return: true },
  '\n': { return: true },
  '\x7f': { backspace: true },
  '\b': { backspace: true },
};

/**
 * Ink hands over a chunk of typed text as one event, control characters included (`/op\t`, `\x15/help\r` from a fast
 * typist or tmux). Splits such a chunk into one event per control key and runs of text between them. A chunk whose
 * only controls are line breaks inside the text is left whole: that is a paste from a terminal without bracketed
 * paste, and it stays one message.
 */
export function splitKeys(input: string): SplitKey[] {
  // eslint-disable-next-line no-control-regex
  if (input.length <= 1 || !/[\u0000-\u001f\u007f]/.test(input)) return [{ input }];
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/.test(input)) return [{ input }];
  const out: SplitKey[] = [];
  let text = '';
  for (const ch of input) {
    const code = ch.charCodeAt(0);
    if (code >= 0x20 && code !== 0x7f) {
      text += ch;
      continue;
    }
    if (text) out.push({ input: text });
    text = '';
    const known = CONTROL_KEYS[ch];
    if (known) out.push({ input: '', ...known });
    else if (code >= 1 && code <= 26) out.push({ input: String.fromCharCode(code + 96), ctrl: true });
  }
  if (text) out.push({ input: text });
  return out;
}
