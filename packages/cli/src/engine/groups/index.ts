/** Groups and public rooms (PROTOCOL.md §15). */
export { createGroup, changeGroup, sendGroupText, findGroup, groupConv } from './groups.js';
export { acceptGroup, declineGroup } from './invitations.js';
export { listRooms, joinRoom, leaveRoom, roomMembers, sendRoomText, roomName } from './rooms.js';
export type { GroupMessage } from '../events.js';
export type { FanoutResult } from '../events.js';
export type { StoredGroup } from '../store/groups.js';
export { sendToConversation, resolveConversation, type Conversation } from './conversation.js';
