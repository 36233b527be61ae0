/** Binds the line editor and the session's key bindings to Ink's input events. */
import { useInput } from 'ink';
import { useRef, useState } from 'react';
import { complete } from './commands.js';
import { editLine, initialLine, splitKeys, type KeyInfo, type LineState } from './lineEditor.js';

export interface InputHandlers {
  onSubmit(line: string): void;
  onChange(value: string): void;
  /** PgUp / PgDn, Shift+Up / Shift+Down (a row), Home / End. */
  onScroll(kind: 'pageUp' | 'pageDown' | 'lineUp' | 'lineDown' | 'home' | 'end'): void;
  onCycle(step: 1 | -1): void;
  onQuit(): void;
  users(): string[];
  /** Up on an empty line (not browsing history): the line that edits our last message, if there is one. */
  editLast?(): string | undefined;
}

export function useInputLine(h: InputHandlers, isActive = true): LineState {
  const [state, setState] = useState<LineState>(initialLine);
  // Key events can arrive faster than React re-renders: keep the latest state in a ref.
  const ref = useRef(state);
  const handle = (
    input: string,
    key: KeyInfo & { pageUp?: boolean; pageDown?: boolean; home?: boolean; end?: boolean; shift?: boolean },
  ): void => {
    if (key.ctrl && input === 'c') return h.onQuit();
    if (!ref.current.pasting) {
      if (key.pageUp) return h.onScroll('pageUp');
      if (key.pageDown) return h.onScroll('pageDown');
      if (key.home) return h.onScroll('home');
      if (key.end) return h.onScroll('end');
      if (key.shift && key.upArrow) return h.onScroll('lineUp');
      if (key.shift && key.downArrow) return h.onScroll('lineDown');
      if (key.ctrl && input === 'n') return h.onCycle(1);
      if (key.ctrl && input === 'p') return h.onCycle(-1);
    }
    const before = ref.current;
    if (key.upArrow && before.value === '' && before.index === before.history.length && !before.pasting) {
      // Up again (the line unchanged) browses the history as before: editLine keeps this line as the draft.
      const line = h.editLast?.();
      if (line !== undefined) {
        ref.current = { ...before, value: line, candidates: [] };
        setState(ref.current);
        return;
      }
    }
    let [next, effect] = editLine(before, input, key);
    if (effect && 'complete' in effect) {
      const c = complete(next.value, h.users());
      next = { ...next, value: c.line, candidates: c.candidates.length > 1 ? c.candidates : [] };
    }
    ref.current = next;
    setState(next);
    if (effect && 'submit' in effect) h.onSubmit(effect.submit);
    if (next.value !== before.value) h.onChange(next.value);
  };
  useInput(
    (input, key) => {
      const parts = ref.current.pasting || key.ctrl ? [{ input }] : splitKeys(input);
      if (parts.length === 1) return handle(input, key);
      for (const { input: i, ...k } of parts) handle(i, k);
    },
    { isActive },
  );
  return state;
}
