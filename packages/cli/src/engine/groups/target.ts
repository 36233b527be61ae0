/** A group or room target (`#name`, `group:<id>`, `room:<name>`, PROTOCOL.md §15.7) rather than a username. */
export const CONVERSATION_TARGET = /^(#|group:|room:)/;
