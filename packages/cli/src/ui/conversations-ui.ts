/**
 * The conversation list's own state in the interactive session (issue 15): which conversations were closed with
 * `/close`, where `/open` of an unknown user goes back to, the group a `#name` conversation stands for (so a rename
 * keeps it), and the marks a row carries beside its name: the local nickname (`/nick`, shown beside the username,
 * never instead of it) and a changed key (§3.4), from the contact store, so it shows as soon as the key is seen.
 */
import { checkNickname } from '../engine/contacts/nickname.js';
import { ChatError } from '../engine/errors.js';
import type { SessionEngine } from '../session/engine.js';
import { inertLine } from '../terminal-text.js';
import { convKey } from './groups-ui.js';
import type { ConversationRow } from './view.js';

/** A row of the list with its marks. */
export interface ListRow extends ConversationRow {
  /** The local nickname, shown beside the username. */
  nick?: string;
  /** The contact's key changed (or is not trusted yet): sending is blocked until `/trust` (§3.4). */
  keyChanged?: boolean;
}

/** What `/close` and `/nick` need of the session. */
export interface ListHost {
  readonly m: Pick<SessionEngine, 'store'>;
  readonly current: string | undefined;
  notice(text: string, level: 'info' | 'error', peer?: string): void;
  refresh(): void;
  /** The open conversation was closed: open another (or none). */
  leave(): void;
}

export type ListAction = { kind: 'close'; target?: string } | { kind: 'nick'; user: string; name?: string };

export class ConversationListState {
  /** Closed conversations and when: a row stays hidden until something newer arrives in it (or it is opened). */
  private readonly closed = new Map<string, number>();
  /** The conversation open before the current one: where a failed `/open` goes back to. */
  private previous: string | undefined;
  /** The store key (`#<gid>`) of the open `#name` conversation, to follow a rename. */
  private groupKey: string | undefined;

  constructor(private readonly m: Pick<SessionEngine, 'store'>) {}

  /** The session opens `peer` (coming from `from`). */
  opened(peer: string, from: string | undefined): void {
    if (from !== peer) this.previous = from;
    this.closed.delete(peer);
    this.groupKey = convKey(this.m, peer);
  }

  /**
   * The name the open conversation has now: a group renamed since it was opened (by us or another admin, §15.3)
   * keeps its conversation under the new `#name`.
   */
  follow(current: string | undefined): string | undefined {
    if (!current?.startsWith('#') || this.groupKey === undefined || !this.groupKey.startsWith('#')) return current;
    if (convKey(this.m, current) === this.groupKey) return current;
    const g = this.m.store.groups.get(this.groupKey.slice(1));
    return g?.member ? `#${g.record.name}` : current;
  }

  /** Where to go when `peer` turns out not to exist: the conversation open before it, if any. */
  back(peer: string): string | undefined {
    const to = this.previous === peer ? undefined : this.previous;
    this.previous = undefined;
    return to;
  }

  close(peer: string, now = Date.now()): void {
    this.closed.set(peer, now);
  }

  /**
   * The rows to show: closed ones without anything newer dropped (a group's newer messages show as unread), each
   * with its nickname and changed-key mark. `blocked`: peers the session saw a changed key for (held, refused send).
   */
  rows(rows: readonly ConversationRow[], blocked: ReadonlyMap<string, string>): ListRow[] {
    const nicks = this.m.store.nicknames.all();
    // Only with something closed: the list query is not cheap on a long history, and buildView already ran it once.
    const lastTs =
      this.closed.size === 0
        ? new Map<string, number>()
        : new Map(this.m.store.outbox.conversations().map((c) => [c.peer, c.lastTs]));
    return rows
      .filter((r) => {
        const at = this.closed.get(r.peer);
        return at === undefined || r.unread > 0 || (lastTs.get(r.peer) ?? 0) > at;
      })
      .map((r) => {
        const nick = r.peer.startsWith('#') ? undefined : nicks.get(r.peer);
        const trust = r.peer.startsWith('#') ? undefined : this.m.store.contacts.get(r.peer)?.trust;
        const keyChanged = blocked.has(r.peer) || trust === 'changed' || trust === 'untrusted';
        return { ...r, ...(nick === undefined ? {} : { nick }), ...(keyChanged ? { keyChanged } : {}) };
      });
  }
}

/** `/close [user|#group]` and `/nick <user> [name|--clear]`. */
export function listCommand(host: ListHost, list: ConversationListState, a: ListAction): void {
  try {
    if (a.kind === 'close') {
      const peer = a.target ?? host.current;
      if (!peer) return host.notice('no conversation open: /close <user> closes another', 'error');
      list.close(peer);
      if (peer === host.current) host.leave();
      host.notice(`closed ${inertLine(peer)} (its history is kept; /open ${inertLine(peer)} brings it back)`, 'info');
      return host.refresh();
    }
    const store = host.m.store.nicknames;
    if (a.name === undefined) {
      const nick = store.get(a.user);
      return host.notice(
        nick === undefined
          ? `${a.user} has no nickname (/nick ${a.user} <name> sets one)`
          : `${a.user} is shown as ${a.user} (${inertLine(nick)})`,
        'info',
      );
    }
    if (a.name === '--clear') {
      const had = store.clear(a.user);
      host.notice(had ? `${a.user} has no nickname now` : `${a.user} had no nickname`, 'info');
      return host.refresh();
    }
    const name = checkNickname(a.name);
    store.set(a.user, name, Date.now());
    host.notice(`${a.user} is shown as ${a.user} (${inertLine(name)})`, 'info');
    host.refresh();
  } catch (err) {
    host.notice(err instanceof ChatError ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : String(err), 'error');
  }
}
