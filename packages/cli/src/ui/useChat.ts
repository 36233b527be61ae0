/** Subscribes a component to the session controller: re-renders on every `change`. */
import { useSyncExternalStore } from 'react';
import type { ChatController, ChatView } from './controller.js';

export function useChat(c: ChatController): ChatView {
  return useSyncExternalStore(
    (onChange) => {
      c.on('change', onChange);
      return () => {
        c.off('change', onChange);
      };
    },
    () => c.view(),
  );
}
