/**
 * The interactive session's operations that need the keys or the relay, each on one object of named params and
 * answering JSON (no Uint8Array, no class): the local engine calls them on its own Messenger, and the daemon serves
 * the very same functions over JSON-RPC to an attached session (daemon/methods-session.ts, docs/JSONRPC.md). So
 * there is one implementation, and each calls the engine function the matching CLI command calls.
 */
import { fingerprint } from '@chat/crypto';
import { adminRequest, type AdminAnswer, type AdminOp } from '../engine/admin.js';
import { deleteMessage, editMessage, reactToMessage } from '../engine/actions/send.js';
import { setTimer } from '../engine/expire/timers.js';
import { acceptFile, declineFile } from '../engine/files/download.js';
import type { TransferOptions } from '../engine/files/upload.js';
import { sendFile } from '../engine/files/upload.js';
import { changeGroup, createGroup, joinRoom, leaveRoom, listRooms } from '../engine/groups/index.js';
import { sendToConversation } from '../engine/groups/conversation.js';
import type { FanoutResult, Messenger } from '../engine/messenger.js';
import type { FileTransfer } from '../engine/store/files.js';

type Failed = FanoutResult['failed'];

/** A file transfer as the session shows it (never its key or hash). */
export interface TransferView {
  id: string;
  peer: string;
  name: string;
  path: string | null;
}

export interface SessionOps {
  /** Who we are and the state of the receiving session, when a front end attaches. */
  sessionInfo(p: Record<string, never>): Promise<SessionInfo>;
  /** Queues a direct message (sent over the live session, or when it comes back). */
  queueMessage(p: { recipient: string; message: string; replyTo?: string }): Promise<{ id: string }>;
  /** A message to a `#name` conversation (§15). */
  sendToConversation(p: { recipient: string; message: string; replyTo?: string }): Promise<{ failed: Failed }>;
  /** Marks the conversation read, sending `read` receipts unless turned off (§4.1). */
  markRead(p: { recipient: string }): Promise<{ ids: string[] }>;
  /** Typing started (`stop` false) or stopped; `sent` false if there was no live session to carry it (§4.1). */
  sendTyping(p: { recipient: string; stop?: boolean }): Promise<{ sent: boolean }>;
  /** Who is online now (§6.1). */
  who(p: Record<string, never>): Promise<{ users: string[] }>;
  /** Looks `recipient` up over the live session and pins it under the policy (§3.4): KEY_CHANGED etc. if refused. */
  checkKey(p: { recipient: string }): Promise<{ fingerprint: string }>;
  safetyNumber(p: { recipient: string }): Promise<{ formatted: string; forPendingKey: boolean }>;
  /** Accepts a changed or untrusted key; with `verifiedSafetyNumber`, compares and marks it verified (§3.5). */
  trustKey(p: { recipient: string; verifiedSafetyNumber?: string }): Promise<TrustView>;
  /** Sends what waits in the outbox over the live session (after a key was accepted). */
  flushOutbox(p: Record<string, never>): Promise<Record<string, never>>;
  editMessage(p: { id: string; message: string }): Promise<{ failed: Failed }>;
  deleteMessage(p: { id: string; forMe?: boolean }): Promise<{ failed: Failed }>;
  react(p: { id: string; emoji: string }): Promise<{ failed: Failed }>;
  /** The disappearing-message timer of a conversation (§17.5). */
  setTimer(p: { recipient: string; seconds: number }): Promise<{ seconds: number; failed: Failed }>;
  createGroup(p: { name: string; members: string[] }): Promise<GroupView>;
  /** add / remove / leave / rename (§15). */
  updateGroup(p: {
    group: string;
    op: 'add' | 'remove' | 'leave' | 'rename';
    member?: string;
    name?: string;
  }): Promise<GroupView>;
  listRooms(p: Record<string, never>): Promise<{ rooms: string[] }>;
  joinRoom(p: { room: string }): Promise<{ members: string[] }>;
  leaveRoom(p: { room: string }): Promise<{ members: string[] }>;
  /** Offers the file at the absolute `path` to `recipient` (§16). */
  sendFile(p: { recipient: string; path: string }, onProgress?: Progress): Promise<TransferView>;
  /** Downloads offer `id` into the absolute directory `dir`. */
  acceptFile(p: { id: string; dir: string }, onProgress?: Progress): Promise<TransferView>;
  declineFile(p: { id: string; dir: string }): Promise<TransferView>;
  admin(p: { op: AdminOp; user?: string; reason?: string; after?: string }): Promise<AdminAnswer>;
}

export interface SessionInfo {
  username: string;
  fingerprint: string;
  relay: string;
  /** The receiving session's state: `connecting`, `online`, `reconnecting`, `stopped` or `failed`. */
  connection: string;
}

export interface TrustView {
  acceptedNewKey: boolean;
  fingerprint: string;
  trust: string;
  previousFingerprint: string | null;
}

export interface GroupView {
  name: string;
  failed: Failed;
}

/**
 * The JSON-RPC method of an operation: `session.<name>`, kept apart from the public methods (signal-cli's names and
 * shapes: `updateGroup`, `sendFile`, `joinRoom`, …), which a bot uses for the same purposes.
 */
export const sessionMethod = (name: string): string => `session.${name}`;

/** The names of the operations, in the order docs/JSONRPC.md lists them. */
export const SESSION_OPS = [
  'sessionInfo',
  'queueMessage',
  'sendToConversation',
  'markRead',
  'sendTyping',
  'who',
  'checkKey',
  'safetyNumber',
  'trustKey',
  'flushOutbox',
  'editMessage',
  'deleteMessage',
  'react',
  'setTimer',
  'createGroup',
  'updateGroup',
  'listRooms',
  'joinRoom',
  'leaveRoom',
  'sendFile',
  'acceptFile',
  'declineFile',
  'admin',
] as const satisfies readonly (keyof SessionOps)[];

/** Progress of a transfer this process runs (a local session shows it; the daemon does not report it). */
type Progress = NonNullable<TransferOptions['onProgress']>;

export interface OpsOptions {
  /** The receiving session's state now, for `sessionInfo`. */
  connection?: () => string;
}

const failedOf = (r: { result?: FanoutResult | undefined }): { failed: Failed } => ({ failed: r.result?.failed ?? [] });
const transfer = (t: FileTransfer): TransferView => ({ id: t.blob, peer: t.peer, name: t.name, path: t.path });

/** The operations on `m`, this process's engine. Params are checked by their caller (the daemon checks its own). */
export function localOps(m: Messenger, o: OpsOptions = {}): SessionOps {
  const progress = (onProgress: Progress | undefined) => (onProgress ? { onProgress } : {});
  return {
    sessionInfo: async () => ({
      username: m.username,
      fingerprint: fingerprint(m.identity.identity.publicKey),
      relay: `${m.address.host}:${m.address.port}`,
      connection: o.connection?.() ?? (m.recvConnection ? 'online' : 'connecting'),
    }),
    queueMessage: async (p) => ({ id: m.queueMessage(p.recipient, p.message, p.replyTo).id }),
    sendToConversation: async (p) => failedOf(await sendToConversation(m, p.recipient, p.message, p.replyTo)),
    markRead: async (p) => ({ ids: m.markRead(p.recipient) }),
    sendTyping: async (p) => ({ sent: await m.sendTyping(p.recipient, p.stop !== true) }),
    who: async () => ({ users: await m.who() }),
    checkKey: async (p) => ({ fingerprint: (await m.lookupAndPin(p.recipient, m.recvConnection)).fingerprint }),
    safetyNumber: async (p) => {
      const v = await m.safetyNumber(p.recipient);
      return { formatted: v.formatted, forPendingKey: v.forPendingKey };
    },
    trustKey: async (p) => {
      const r = m.trust(p.recipient, p.verifiedSafetyNumber === undefined ? {} : { verify: p.verifiedSafetyNumber });
      return {
        acceptedNewKey: r.acceptedNewKey,
        fingerprint: r.contact.fingerprint,
        trust: r.contact.trust,
        previousFingerprint: r.previousFingerprint ?? null,
      };
    },
    flushOutbox: async () => {
      await m.flushOutbox();
      return {};
    },
    editMessage: async (p) => failedOf(await editMessage(m, p.id, p.message)),
    deleteMessage: async (p) => failedOf(await deleteMessage(m, p.id, p.forMe === true)),
    react: async (p) => failedOf(await reactToMessage(m, p.id, p.emoji)),
    setTimer: async (p) => {
      const out = await setTimer(m, p.recipient, p.seconds);
      return { seconds: out.seconds, ...failedOf(out) };
    },
    createGroup: async (p) => {
      const out = await createGroup(m, p.name, p.members);
      return { name: out.group.record.name, failed: out.result.failed };
    },
    updateGroup: async (p) => {
      const out = await changeGroup(m, p.group, p.op, p.member ?? '', p.name);
      return { name: out.group.record.name, failed: out.result.failed };
    },
    listRooms: async () => ({ rooms: await listRooms(m) }),
    joinRoom: async (p) => ({ members: await joinRoom(m, p.room) }),
    leaveRoom: async (p) => ({ members: await leaveRoom(m, p.room) }),
    sendFile: async (p, f) => transfer(await sendFile(m, p.recipient, p.path, progress(f))),
    acceptFile: async (p, f) => transfer(await acceptFile(m, p.id, p.dir, progress(f))),
    declineFile: async (p) => transfer(await declineFile(m, p.id, p.dir)),
    admin: async (p) =>
      adminRequest(m, {
        op: p.op,
        ...(p.user ? { user: p.user } : {}),
        ...(p.reason ? { reason: p.reason } : {}),
        ...(p.after ? { after: p.after } : {}),
      }),
  };
}
