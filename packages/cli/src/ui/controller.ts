/**
 * The interactive session's state, between the engine and the React tree: which conversation is open, what the pane
 * shows, who is typing or online, the connection state, and what each slash command does. It subscribes to the
 * engine's events and emits `change`; `useChat` turns that into renders. No React here, so it is tested directly.
 */
import { answerCommand, attachFileNotices, fileCommand } from './files.js';
import { EventEmitter } from 'node:events';
import { fromHex, groupIdBoundTo } from '@chat/crypto';
import { ChatError } from '../engine/errors.js';
import type { ConnectionStatus } from '../engine/events.js';
import type { SessionEngine } from '../session/engine.js';
import { helpLines, parseLine, type Action } from './commands.js';
import { notificationBytes } from './notify.js';
import { adminCommand, trustCommand, verifyCommand } from './trust-admin.js';
import { expandShortcodes } from './text.js';
import { groupCommand, groupRows } from './groups-ui.js';
import { ConversationListState, listCommand } from './conversations-ui.js';
import type { HistoryRow } from '../engine/store/history.js';
import type { ConversationSummary } from '../engine/store/outbox.js';
import type { Pager } from './pager.js';
import { historyPager, paneItems } from './paging.js';
import { decorateView, editLastLine, messageCommand } from './messages-ui.js';
import { buildView, type ChatView, type Notice, type PaneItem } from './view.js';
import { inertLine } from '../terminal-text.js';
import { recoveryNotice } from '../commands/recovery-notice.js';

export type { ChatView, ConversationRow, Notice, PaneItem } from './view.js';

/** How long "x is typing…" stays without a new signal (PROTOCOL.md §4.1). */
export const TYPING_TTL_MS = 6_000;
/** At most one "typing" signal per this interval while composing (§4.1). */
export const TYPING_RESEND_MS = 3_000;
const PRESENCE_POLL_MS = 15_000;

export interface ControllerOptions {
  initial?: string | undefined;
  /** Raw bytes for the terminal (bell, OSC notifications). */
  write: (bytes: string) => void;
  retryBaseMs?: number;
}

export class ChatController extends EventEmitter<{ change: []; exit: [] }> {
  current: string | undefined;
  connection: ConnectionStatus = { state: 'connecting', attempt: 1 };
  private readonly notices = new Map<string, Notice[]>();
  private readonly clearedAt = new Map<string, number>();
  private readonly typing = new Map<string, number>();
  private readonly blocked = new Map<string, string>();
  private online = new Set<string>();
  private live: AbortController | undefined;
  private expirer: ReturnType<SessionEngine['expirer']> | undefined;
  private running: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private lastTypingSent = 0;
  private typingTo: string | undefined;
  private seq = 0;
  private cached: ChatView | undefined;
  /** The open conversation's held window of history, for `pagerFor` (conversation and /clear time). */
  private pager: Pager<HistoryRow> | undefined;
  private pagerFor = '';
  /** The history may have changed since the pager last read it. */
  private stale = false;
  /** The conversation list's rows from the store, read again after every change but a page. */
  private summaries: ConversationSummary[] | undefined;
  /** Unread group and room messages per `#name` conversation, counted in this session. */
  private readonly groupUnread = new Map<string, number>();
  /** Closed conversations, the one before the current, the open group's key (conversations-ui.ts). */
  private readonly list: ConversationListState;

  /** The engine: this process's own Messenger (session/local.ts) or the daemon's (session/remote.ts). */
  constructor(
    readonly m: SessionEngine,
    private readonly opts: ControllerOptions,
  ) {
    super();
    this.list = new ConversationListState(m);
    this.current = opts.initial ?? m.store.outbox.conversations()[0]?.peer;
    m.on('message', (msg) => {
      this.typing.delete(msg.from);
      this.acceptedElsewhere(msg.from);
      if (msg.from === this.current) this.markRead(msg.from);
      else if (!this.m.store.outbox.isMuted(msg.from)) this.opts.write(notificationBytes(msg.from, this.m.settings));
      this.changed();
    });
    m.on('groupMessage', (g) => {
      // §15.7: an invitation from a non-contact is a notice with the commands, not a conversation.
      if (g.kind === 'invite') {
        // A competing invitation (§15.4 step 4) is answered naming its inviter; its body says what it is.
        const id = g.gid?.slice(0, 8) ?? '';
        if (g.competing)
          return this.notice(
            `${inertLine(g.body)}: /group accept ${id} ${g.from} or /group decline ${id} ${g.from}`,
            'info',
          );
        const bound = g.gid !== undefined && groupIdBoundTo(fromHex(g.gid), g.from);
        const note = bound ? '' : ` (its id does not show that ${g.from} created it)`;
        return this.notice(
          `${g.from} invited you to ${inertLine(g.conv)} (${id})${note}: /group accept ${id} or /group decline ${id}`,
          'info',
        );
      }
      if (g.conv !== this.current) {
        this.groupUnread.set(g.conv, (this.groupUnread.get(g.conv) ?? 0) + 1);
        if (g.kind !== 'event') this.opts.write(notificationBytes(g.conv, this.m.settings));
      }
      this.changed();
    });
    m.on('queued', () => this.changed());
    m.on('delivery', () => this.changed());
    // An edit, delete or reaction (§17) changed the history the pane is drawn from.
    m.on('action', () => this.changed());
    // Disappearing messages (§17.5): the other side set the timer; the sweep removed what ran out.
    // The setting is a line of the conversation's history, 1:1 and group alike (expire/timers.ts).
    m.on('expire', () => this.changed());
    m.on('expired', () => this.changed());
    m.on('typing', ({ from, active }) => {
      // Typing comes only from a live session, so the sender is online now.
      if (active) this.online.add(from);
      if (active) this.typing.set(from, Date.now() + TYPING_TTL_MS);
      else this.typing.delete(from);
      this.redraw();
    });
    m.on('blocked', ({ peer }) => this.block(peer));
    m.on('held', ({ from, reason }) => {
      // Not when the key was accepted meanwhile: a message whose check crossed /trust is checked again (receiver.ts).
      if (reason === 'KEY_CHANGED' && m.store.contacts.get(from)?.trust === 'changed') this.block(from);
    });
    // A lookup saw a changed key (§3.4): the contact store says so; the list marks it now.
    m.on('keyChanged', () => this.changed());
    m.on('connection', (s) => {
      this.connection = s;
      if (s.state === 'online') {
        void this.refreshPresence();
        if (this.current) this.checkKey(this.current);
      }
      if (s.state === 'failed') this.notice(`${s.error.message}${s.error.hint ? ` (${s.error.hint})` : ''}`, 'error');
      this.redraw();
    });
    m.on('warning', (w) => this.notice(w, 'error'));
    // §24.7: a lost v2 session recovered, one line in that peer's conversation on either side.
    m.on('recovery', (e) => this.notice(recoveryNotice(e), 'info', e.peer));
    attachFileNotices(this);
  }

  /** Connects (with reconnects) and starts the timers. */
  start(): void {
    this.expirer = this.m.expirer();
    this.connect();
    this.timers.push(setInterval(() => this.expireTyping(), 1_000));
    this.timers.push(setInterval(() => void this.refreshPresence(), PRESENCE_POLL_MS));
    if (this.current) this.open(this.current);
    else this.notice('no conversation open: /open <user> starts one; /help lists the commands', 'info');
  }

  stop(): void {
    this.expirer?.stop();
    this.live?.abort();
    this.live = undefined;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Resolves once the live session has closed (after `stop` or `/quit`). */
  stopped(): Promise<void> {
    return this.running;
  }

  /** What to render; recomputed after each change. */
  view(): ChatView {
    this.cached ??= decorateView(
      this.m,
      this.withGroups(
        buildView(this.m, {
          current: this.current,
          connection: this.connection,
          notices: this.notices,
          clearedAt: this.clearedAt,
          typing: this.typing,
          blocked: this.blocked,
          online: this.online,
          held: this.held(),
          // Scrolling (page) changes only the held window: the list's rows (a count over the history) stay.
          summaries: (this.summaries ??= this.m.store.outbox.conversations()),
        }),
      ),
    );
    return this.cached;
  }

  /** `#name` conversations (groups and joined rooms, §15) beside the direct ones. */
  private withGroups(v: ChatView): ChatView {
    const rows = groupRows(this.m, this.current, this.groupUnread);
    const conversations = [...v.conversations.filter((c) => !c.peer.startsWith('#')), ...rows];
    if (this.current?.startsWith('#') && !conversations.some((c) => c.peer === this.current)) {
      conversations.push({ peer: this.current, unread: 0, online: false, lastSeen: null, muted: false, typing: false });
    }
    const listed = { ...v, conversations: this.list.rows(conversations, this.blocked) };
    if (!this.current?.startsWith('#')) return listed;
    return { ...listed, users: [...v.users, ...rows.map((r) => r.peer)] };
  }

  /**
   * The open conversation's window of history (paging.ts): a new pager, at the newest page, for another conversation
   * or after /clear; the same window read again after the history changed.
   */
  private held(): { items: PaneItem[]; atOldest: boolean; atNewest: boolean } {
    const cur = this.current;
    if (cur === undefined) return { items: [], atOldest: true, atNewest: true };
    const since = this.clearedAt.get(cur) ?? 0;
    const key = `${cur}\0${since}`;
    if (!this.pager || this.pagerFor !== key) {
      this.pager = historyPager(this.m, cur, since);
      this.pagerFor = key;
      this.pager.tail();
    } else if (this.stale) this.pager.reload();
    this.stale = false;
    const p = this.pager;
    return { items: paneItems(this.m, p.rows), atOldest: p.atOldest, atNewest: p.atNewest };
  }

  /**
   * Scrolling past the held window (layout.ts): a page older or newer, or the oldest or newest page. True if the
   * window changed (then a `change` follows).
   */
  page(to: 'older' | 'newer' | 'oldest' | 'newest'): boolean {
    this.view();
    const p = this.pager;
    if (!p) return false;
    let moved = true;
    if (to === 'older') moved = p.older() > 0;
    else if (to === 'newer') moved = p.newer() > 0;
    else if (to === 'oldest') p.head();
    else p.tail();
    if (moved) {
      this.cached = undefined;
      this.emit('change');
    }
    return moved;
  }

  /** An Enter in the input line. */
  submit(line: string): void {
    if (line.trim() === '') return;
    this.act(parseLine(line));
  }

  /** Up on an empty input line: `/edit <id> <text>` of our last message in the open conversation, if any. */
  editLast(): string | undefined {
    return editLastLine(this.m, this.current);
  }

  /** The input line changed: a throttled typing signal to the open conversation (§4.1). */
  composing(text: string): void {
    const to = this.current;
    if (!to || this.blocked.has(to) || to.startsWith('#')) return;
    const now = Date.now();
    if (text === '' || text.startsWith('/')) {
      if (this.typingTo) this.typingSignal(this.typingTo, false);
      this.typingTo = undefined;
      this.lastTypingSent = 0;
      return;
    }
    if (this.typingTo === to && now - this.lastTypingSent < TYPING_RESEND_MS) return;
    this.typingTo = to;
    this.lastTypingSent = now;
    this.m.ops.sendTyping({ recipient: to }).then(
      ({ sent }) => {
        if (!sent && this.lastTypingSent === now) this.lastTypingSent = 0; // not delivered: try again on the next key
      },
      () => {},
    );
  }

  /** Ctrl-N / Ctrl-P. */
  cycle(step: 1 | -1): void {
    const peers = this.view().conversations.map((c) => c.peer);
    if (peers.length === 0) return;
    const i = this.current ? peers.indexOf(this.current) : -1;
    this.open(peers[(i + step + peers.length) % peers.length] ?? peers[0] ?? '');
  }

  open(peer: string): void {
    this.list.opened(peer, this.current);
    this.current = peer;
    if (peer.startsWith('#')) {
      this.groupUnread.delete(peer);
      return this.changed();
    }
    this.markRead(peer);
    this.changed();
    this.checkKey(peer);
  }

  /** Looks the peer up now, so a changed key shows its banner before anything is typed (§3.4). */
  private checkKey(peer: string): void {
    if (peer !== this.m.username && this.m.online()) {
      this.m.ops.checkKey({ recipient: peer }).then(
        () => this.changed(),
        (err: unknown) => {
          if (
            err instanceof ChatError &&
            (err.code === 'KEY_CHANGED' || err.code === 'UNTRUSTED_IDENTITY' || err.code === 'BUNDLE_INVALID')
          )
            this.block(peer);
          else if (err instanceof ChatError && err.code === 'UNKNOWN_USER') this.unknown(peer);
        },
      );
    }
  }

  /** `/open` of a user the relay does not know: nothing of it stays; back to the conversation open before. */
  private unknown(peer: string): void {
    this.notices.delete(peer);
    this.list.close(peer);
    if (this.current === peer) {
      const back = this.list.back(peer);
      if (back === undefined) this.current = undefined;
      else this.open(back);
    }
    this.notice(`there is no user ${peer} on this relay: nothing was opened`, 'error');
  }

  /** The open conversation was closed (/close): the newest other one opens, or none. */
  leave(): void {
    const closed = this.current;
    this.current = undefined;
    this.cached = undefined;
    const next = this.view().conversations.find((c) => c.peer !== closed)?.peer;
    if (next !== undefined) this.open(next);
  }

  private act(a: Action): void {
    switch (a.kind) {
      case 'say':
        if (!this.current)
          return this.notice('no conversation open: /open <user> first, or /msg <user> <text>', 'error');
        return this.send(this.current, a.text);
      case 'msg':
        return this.send(a.user, a.text);
      case 'open':
        return this.open(a.user);
      case 'who':
        void this.who();
        return;
      case 'contacts': {
        const list = this.m.contacts();
        if (list.length === 0) return this.notice('no contacts yet: they are pinned on first message', 'info');
        return this.notice(list.map((c) => `${c.username.padEnd(12)} ${c.fingerprint}`).join('\n'), 'info');
      }
      case 'fingerprint': {
        if (!a.user || a.user === this.m.username) {
          return this.notice(`your fingerprint: ${this.m.fingerprint}`, 'info');
        }
        const c = this.m.store.contacts.get(a.user);
        return this.notice(
          c ? `${a.user}'s pinned fingerprint: ${c.fingerprint}` : `${a.user} is not pinned yet (no message exchanged)`,
          c ? 'info' : 'error',
        );
      }
      case 'mute':
      case 'unmute':
        if (!this.current) return this.notice('no conversation open', 'error');
        this.m.store.outbox.setMuted(this.current, a.kind === 'mute');
        return this.notice(`${this.current}: notifications ${a.kind === 'mute' ? 'muted' : 'on'}`, 'info');
      case 'clear':
        this.clearedAt.set(this.current ?? '', Date.now());
        return this.changed();
      case 'logout':
        this.live?.abort();
        this.live = undefined;
        this.online.clear();
        return this.notice('offline: the relay session is closed (/connect to come back, /quit to leave)', 'info');
      case 'connect':
        if (this.live) return this.notice('already connected (or connecting)', 'error');
        return this.connect();
      case 'quit':
        this.stop();
        this.emit('exit');
        return;
      case 'help':
        return this.notice(helpLines().join('\n'), 'info');
      case 'verify':
        return void verifyCommand(this, a.user, a.digits);
      case 'trust':
        return void trustCommand(this, a.user);
      case 'admin':
        return void adminCommand(this, a.op, a.user, a.reason);
      case 'group':
      case 'groups':
      case 'rooms':
      case 'join':
      case 'part':
        return void groupCommand(this, a);
      case 'file':
        return void fileCommand(this, a.path);
      case 'accept':
      case 'decline':
        return void answerCommand(this, a.kind, a.id);
      case 'reply':
      case 'edit':
      case 'delete':
      case 'react':
      case 'search':
      case 'expire':
      case 'block':
      case 'unblock':
        return void messageCommand(this, a);
      case 'close':
      case 'nick':
        return listCommand(this, this.list, a);
      case 'error':
        return this.notice(a.message, 'error');
      default: {
        // Every action has a case: a new command that is parsed but not handled fails to compile here.
        const unhandled: never = a;
        return unhandled;
      }
    }
  }

  /** Sends a line to `to` (a user or `#name`), as a reply to message `replyTo` (a full id) if given. */
  send(to: string, raw: string, replyTo?: string): void {
    if (to.startsWith('#')) {
      const text = { recipient: to, message: expandShortcodes(raw), ...(replyTo ? { replyTo } : {}) };
      this.m.ops.sendToConversation(text).then(
        ({ failed }) => {
          for (const f of failed) this.notice(`not delivered to ${f.to}: ${f.code}`, 'error', to);
          this.changed();
        },
        (err: unknown) => this.notice(err instanceof Error ? err.message : String(err), 'error', to),
      );
      return;
    }
    if (this.blocked.has(to) && !this.acceptedElsewhere(to)) {
      return this.notice(
        `not sent: ${to}'s key has changed; sending to ${to} is blocked until the new key is accepted`,
        'error',
        to,
      );
    }
    const text = { recipient: to, message: expandShortcodes(raw), ...(replyTo ? { replyTo } : {}) };
    this.m.ops.queueMessage(text).then(
      () => {
        if (to !== this.current) this.notice(`→ ${to}: sent privately (/open ${to} to see the conversation)`, 'info');
      },
      (err: unknown) => this.notice(err instanceof Error ? err.message : String(err), 'error'),
    );
    if (this.typingTo === to) this.typingSignal(to, false);
    this.typingTo = undefined;
  }

  private async who(): Promise<void> {
    try {
      const { users } = await this.m.ops.who({});
      this.online = new Set(users);
      this.notice(users.length === 0 ? 'nobody is online' : `online now: ${users.join(', ')}`, 'info');
    } catch (err) {
      this.notice(`/who failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  }

  private async refreshPresence(): Promise<void> {
    if (!this.m.online()) return;
    try {
      this.online = new Set((await this.m.ops.who({})).users);
      this.redraw();
    } catch {
      // presence is best effort; the connection state shows real trouble
    }
  }

  private connect(): void {
    const live = new AbortController();
    this.live = live;
    this.running = this.m.run(live.signal, this.opts.retryBaseMs).catch(() => {
      if (this.live === live) this.live = undefined;
    });
  }

  private block(peer: string): void {
    this.blocked.set(peer, 'KEY_CHANGED');
    this.changed();
  }

  /**
   * Whether `peer`'s key, marked changed here, was accepted since by another process of the profile (`chat trust` in
   * another terminal, which only writes chat.db; its held messages then arrive, receive/held.ts): then unmarked.
   */
  private acceptedElsewhere(peer: string): boolean {
    if (!this.blocked.has(peer)) return false;
    const trust = this.m.store.contacts.get(peer)?.trust;
    if (trust !== 'unverified' && trust !== 'verified') return false;
    this.unblock(peer);
    return true;
  }

  /** The peer's key was accepted (/trust, /verify): sending is allowed again and queued messages go out. */
  unblock(peer: string): void {
    if (this.blocked.delete(peer)) this.changed();
    this.m.ops.flushOutbox({}).catch(() => {});
  }

  /** Marks `peer`'s conversation read (read receipts, §4.1); the unread count comes from the store. */
  private markRead(peer: string): void {
    this.m.ops.markRead({ recipient: peer }).catch(() => {}); // best effort, as receipts are
  }

  private typingSignal(to: string, active: boolean): void {
    this.m.ops.sendTyping({ recipient: to, stop: !active }).catch(() => {});
  }

  private expireTyping(): void {
    const now = Date.now();
    let any = false;
    for (const [peer, until] of this.typing) {
      if (until <= now) {
        this.typing.delete(peer);
        any = true;
      }
    }
    if (any) this.redraw();
  }

  /** A line (or several: one notice per line, so each scrolls on its own) in the pane of `peer`. */
  notice(text: string, level: Notice['level'], peer = this.current ?? ''): void {
    const list = this.notices.get(peer) ?? [];
    const ts = Date.now();
    for (const line of text.split('\n')) list.push({ key: `n${++this.seq}`, ts, text: line, level });
    this.notices.set(peer, list.slice(-200));
    this.changed();
  }

  /** Shows `text` as the notice `key` in `peer`'s pane, replacing its earlier text (progress lines). */
  progressNotice(key: string, text: string, peer: string): void {
    const list = this.notices.get(peer) ?? [];
    const at = list.findIndex((n) => n.key === key);
    if (at >= 0) list[at] = { ...list[at]!, text };
    else list.push({ key, ts: Date.now(), text, level: 'info' });
    this.notices.set(peer, list.slice(-200));
    this.changed();
  }

  /** The history changed under the pane (an edit, delete or reaction of ours): draw it again. */
  refresh(): void {
    this.changed();
  }

  /**
   * Only the session's own state changed (typing, presence, the connection): drawn again from the held history and
   * the list's rows as they are, read from the store at the last `changed` (a count over the whole history).
   */
  private redraw(): void {
    this.cached = undefined;
    this.emit('change');
  }

  private changed(): void {
    // Whatever changed may have stored a message that expires before the armed time (§17.5).
    this.expirer?.rearm();
    // A renamed group keeps its conversation (§15.3): the open `#name` follows the group (looked up once per change,
    // not on every render).
    this.current = this.list.follow(this.current);
    this.stale = true;
    this.summaries = undefined;
    this.cached = undefined;
    this.emit('change');
  }
}
