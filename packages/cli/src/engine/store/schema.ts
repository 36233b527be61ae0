/**
 * The local store's schema: one migration per version, applied in order on open (`PRAGMA user_version` holds the
 * version). Each table is read and written by its module: contacts.ts, messages.ts, rejected.ts, outbox.ts, groups.ts,
 * files.ts.
 */
import type Database from 'better-sqlite3';
import { ChatError } from '../errors.js';

export const SCHEMA_VERSION = 18;

const MIGRATIONS: readonly string[] = [
  // v1
  `CREATE TABLE contacts (
     username    TEXT PRIMARY KEY,
     idpk        BLOB NOT NULL,
     encpk       BLOB NOT NULL,
     fingerprint TEXT NOT NULL,
     first_seen  INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE messages (
     id          TEXT PRIMARY KEY,
     peer        TEXT NOT NULL,
     direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
     body        TEXT NOT NULL,
     ts          INTEGER NOT NULL,
     relay_ts    INTEGER,
     received_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX messages_by_peer ON messages (peer, ts);
   CREATE TABLE rejected (
     id          TEXT PRIMARY KEY,
     reason      TEXT NOT NULL,
     relay_ts    INTEGER,
     rejected_at INTEGER NOT NULL
   ) STRICT;`,
  // v2: trust states and the not-yet-accepted key of a changed contact.
  `ALTER TABLE contacts ADD COLUMN trust TEXT NOT NULL DEFAULT 'unverified' CHECK (trust IN ('unverified', 'verified', 'changed', 'untrusted'));
   ALTER TABLE contacts ADD COLUMN verified_at INTEGER;
   ALTER TABLE contacts ADD COLUMN pending_idpk BLOB;
   ALTER TABLE contacts ADD COLUMN pending_encpk BLOB;
   ALTER TABLE contacts ADD COLUMN pending_fingerprint TEXT;
   ALTER TABLE contacts ADD COLUMN pending_seen INTEGER;`,
  // v3: delivery and read state, the durable outbox, per-conversation settings (see outbox.ts)
  `ALTER TABLE messages ADD COLUMN state TEXT;
   CREATE TABLE outbox (
     seq       INTEGER PRIMARY KEY AUTOINCREMENT,
     id        TEXT NOT NULL UNIQUE,
     peer      TEXT NOT NULL,
     kind      INTEGER NOT NULL,
     body      BLOB NOT NULL,
     ts        INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE conversations (
     peer      TEXT PRIMARY KEY,
     muted     INTEGER NOT NULL DEFAULT 0,
     last_seen INTEGER
   ) STRICT;`,
  // v4: groups and rooms (PROTOCOL.md §15; see groups/group-store.ts)
  `CREATE TABLE groups (
     gid        TEXT PRIMARY KEY,
     name       TEXT NOT NULL,
     version    INTEGER NOT NULL,
     record     BLOB NOT NULL,
     member     INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE group_messages (
     id          TEXT PRIMARY KEY,
     conv        TEXT NOT NULL,
     sender      TEXT NOT NULL,
     body        TEXT NOT NULL,
     ts          INTEGER NOT NULL,
     relay_ts    INTEGER,
     received_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX group_messages_by_conv ON group_messages (conv, received_at);
   CREATE TABLE joined_rooms (room TEXT PRIMARY KEY, joined_at INTEGER NOT NULL) STRICT;`,
  // v5: file transfers, both directions (see files/table.ts, PROTOCOL.md §16)
  `CREATE TABLE files (
     blob      TEXT PRIMARY KEY,
     direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
     peer      TEXT NOT NULL,
     name      TEXT NOT NULL,
     size      INTEGER NOT NULL,
     type      TEXT NOT NULL,
     sha256    BLOB,
     key       BLOB NOT NULL,
     state     TEXT NOT NULL,
     path      TEXT,
     ts        INTEGER NOT NULL
   ) STRICT;`,
  // v6: an outbox entry keeps its sealed envelope and the key it was sealed to (sealed once; see send/outbox-sender.ts),
  // and the group send it belongs to (sent together in `fanout` frames, §15.2). Rows queued before have none of them:
  // they are sealed at their first send attempt, like a first contact.
  `ALTER TABLE outbox ADD COLUMN env BLOB;
   ALTER TABLE outbox ADD COLUMN sealed_to BLOB;
   ALTER TABLE outbox ADD COLUMN fanout TEXT;`,
  // v7 (issue 14, finding 13): the history is ordered by this client's receive time, not the sender's ts (§4, "Order
  // of the history"), so the per-peer index is on received_at; and the ids of messages seen before a restore from a
  // backup (§13.2), which the duplicate check of §4 step 7 consults beside the history (see seen.ts).
  `DROP INDEX IF EXISTS messages_by_peer;
   CREATE INDEX IF NOT EXISTS messages_by_peer_received ON messages (peer, received_at);
   CREATE TABLE IF NOT EXISTS seen_ids (
     id      TEXT PRIMARY KEY,
     seen_at INTEGER NOT NULL
   ) STRICT;`,
  // v8: a group invitation from a non-contact waits for consent (PROTOCOL.md §15.7): `invited_by` names the inviter
  // while the group is pending, NULL once accepted. Groups stored before were all accepted.
  `ALTER TABLE groups ADD COLUMN invited_by TEXT;`,
  // v9: competing invitations (PROTOCOL.md §15.4 step 4): an invitation into a group we hold another version of is
  // kept here, one per (group, inviter), until the user takes one (`chat group accept --from`) or declines it.
  `CREATE TABLE group_invitations (
     gid         TEXT NOT NULL,
     inviter     TEXT NOT NULL,
     record      BLOB NOT NULL,
     received_at INTEGER NOT NULL,
     PRIMARY KEY (gid, inviter)
   ) STRICT;`,
  // v10 (issue 15): replies, edits, deletes and reactions (PROTOCOL.md §17; see history.ts). A row's `body` is the
  // latest version; `edit_seq` the sequence number of the edit that made it (0: never edited); every version is kept
  // in `message_versions` (seq 0 the original, saved by the first edit). `deleted` 1: deleted for everyone, body
  // emptied. A group message's `ref` is the reference every member computes alike (§17.2); its index serves edits,
  // deletes and reactions that name it. History pages (keyset on received_at, rowid) use the v4 / v7 indexes, which
  // SQLite extends with the rowid. `blocked`: users whose envelopes are dropped on receipt (blocked.ts).
  `ALTER TABLE messages ADD COLUMN reply_to TEXT;
   ALTER TABLE messages ADD COLUMN edit_seq INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE group_messages ADD COLUMN ref TEXT;
   ALTER TABLE group_messages ADD COLUMN reply_to TEXT;
   ALTER TABLE group_messages ADD COLUMN edit_seq INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE group_messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX group_messages_by_ref ON group_messages (conv, ref) WHERE ref IS NOT NULL;
   CREATE TABLE message_versions (
     msg         TEXT NOT NULL,
     seq         INTEGER NOT NULL,
     body        TEXT NOT NULL,
     ts          INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     PRIMARY KEY (msg, seq)
   ) STRICT;
   CREATE TABLE blocked (
     username   TEXT PRIMARY KEY,
     blocked_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE reactions (
     msg         TEXT NOT NULL,
     author      TEXT NOT NULL,
     emoji       TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     PRIMARY KEY (msg, author)
   ) STRICT;`,
  // v11 (issue 15): local nicknames, shown beside the username (nicknames.ts); disappearing messages (PROTOCOL.md
  // §17.5, timers.ts): each conversation's timer (`conv` a peer or `#<gid>`; the (set_ts, set_by) of the setting in
  // force decides which of two concurrent settings wins), and `expires_at` on every message and file row committed
  // while a timer was on. The triggers stamp it on insert, whichever path inserts (send, receive, reply, group, file),
  // in the inserting transaction; `expiring` indexes serve the sweep and the next-expiry lookup.
  `CREATE TABLE nicknames (
     username TEXT PRIMARY KEY,
     nickname TEXT NOT NULL,
     set_at   INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE timers (
     conv    TEXT PRIMARY KEY,
     seconds INTEGER NOT NULL,
     set_by  TEXT NOT NULL,
     set_ts  INTEGER NOT NULL,
     set_at  INTEGER NOT NULL
   ) STRICT;
   ALTER TABLE messages ADD COLUMN expires_at INTEGER;
   ALTER TABLE group_messages ADD COLUMN expires_at INTEGER;
   ALTER TABLE files ADD COLUMN expires_at INTEGER;
   CREATE INDEX messages_expiring ON messages (expires_at) WHERE expires_at IS NOT NULL;
   CREATE INDEX group_messages_expiring ON group_messages (expires_at) WHERE expires_at IS NOT NULL;
   CREATE INDEX files_expiring ON files (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TRIGGER messages_expire AFTER INSERT ON messages
     WHEN (SELECT seconds FROM timers WHERE conv = NEW.peer) > 0
     BEGIN UPDATE messages SET expires_at = NEW.received_at + 1000 * (SELECT seconds FROM timers WHERE conv = NEW.peer)
       WHERE rowid = NEW.rowid; END;
   CREATE TRIGGER group_messages_expire AFTER INSERT ON group_messages
     WHEN (SELECT seconds FROM timers WHERE conv = NEW.conv) > 0
     BEGIN UPDATE group_messages SET expires_at = NEW.received_at + 1000 * (SELECT seconds FROM timers WHERE conv = NEW.conv)
       WHERE rowid = NEW.rowid; END;
   CREATE TRIGGER files_expire AFTER INSERT ON files
     WHEN (SELECT seconds FROM timers WHERE conv = NEW.peer) > 0
     BEGIN UPDATE files SET expires_at = CAST(unixepoch('subsec') * 1000 AS INTEGER)
       + 1000 * (SELECT seconds FROM timers WHERE conv = NEW.peer) WHERE rowid = NEW.rowid; END;`,
  // v12 (issue 15, a long history): the conversation list counts each peer's unread messages after every change in
  // the session (outbox.ts conversations); this partial index holds only the unread incoming rows, so the count costs
  // what is unread, not what the history holds (38-67 ms at 50,000 messages without it).
  `CREATE INDEX IF NOT EXISTS messages_unread ON messages (peer) WHERE direction = 'in' AND state = 'unread';`,
  // v13 (issue 13, protocol v2, PROTOCOL.md §24; v2.ts): our prekeys' private halves (ML-KEM ones as their 64-byte
  // seed), retired ones until `erase_at`; Double Ratchet sessions (the serialised state of §20.7, several per peer,
  // `initiation` kept until the peer answers); PQXDH replay keys (§19.6); peers that used v2 (no downgrade, §24.5).
  // None of it goes into a backup (restoring ratchet state would reuse keys).
  `CREATE TABLE IF NOT EXISTS v2_prekeys (
     type       INTEGER NOT NULL,
     key_id     INTEGER NOT NULL,
     public     BLOB NOT NULL,
     secret     BLOB NOT NULL,
     signature  BLOB NOT NULL,
     created_at INTEGER NOT NULL,
     erase_at   INTEGER,
     PRIMARY KEY (type, key_id)
   ) STRICT;
   CREATE TABLE IF NOT EXISTS v2_sessions (
     sid        INTEGER PRIMARY KEY AUTOINCREMENT,
     peer       TEXT NOT NULL,
     state      BLOB NOT NULL,
     initiation BLOB,
     replay_key TEXT,
     used_at    INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX IF NOT EXISTS v2_sessions_by_peer ON v2_sessions (peer, used_at);
   CREATE TABLE IF NOT EXISTS v2_replay (key TEXT PRIMARY KEY, seen_at INTEGER NOT NULL) STRICT;
   CREATE TABLE IF NOT EXISTS v2_peers (peer TEXT PRIMARY KEY, since INTEGER NOT NULL) STRICT;`,
  // v14 (issue 13 point 4, group sender keys, PROTOCOL.md §25; sender-keys.ts): our current sending chain per group
  // (the state version it was made under, for rotation at every change); which members were given it, in which 1:1
  // session (a new session means a restored profile: give it again); members' receiving chains (§25.7 encoding); an
  // outbox entry's group message (sealed per member at its first send). None of it goes into a backup.
  `CREATE TABLE IF NOT EXISTS group_sender_own (
     gid            TEXT PRIMARY KEY,
     epoch          BLOB NOT NULL,
     iteration      INTEGER NOT NULL,
     chain_key      BLOB NOT NULL,
     signing_secret BLOB NOT NULL,
     signing_public BLOB NOT NULL,
     state_version  INTEGER NOT NULL,
     created_at     INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE IF NOT EXISTS group_sender_given (
     gid    TEXT NOT NULL,
     member TEXT NOT NULL,
     sid    INTEGER NOT NULL,
     PRIMARY KEY (gid, member)
   ) STRICT;
   CREATE TABLE IF NOT EXISTS group_sender_peer (
     gid     TEXT NOT NULL,
     sender  TEXT NOT NULL,
     epoch   BLOB NOT NULL,
     state   BLOB NOT NULL,
     used_at INTEGER NOT NULL,
     PRIMARY KEY (gid, sender, epoch)
   ) STRICT;
   ALTER TABLE outbox ADD COLUMN group_msg BLOB;`,
  // v15 (issue 13 point 6, PROTOCOL.md §24.7; recovery.ts): ids that failed for want of a session and await a resend
  // from `peer` (`asked_at` once a resend request named them), the peers with a request open, and the ids we resent
  // to a peer (each at most once). Never in a backup.
  `CREATE TABLE IF NOT EXISTS v2_awaiting (
     id        TEXT PRIMARY KEY,
     peer      TEXT NOT NULL,
     failed_at INTEGER NOT NULL,
     asked_at  INTEGER
   ) STRICT;
   CREATE INDEX IF NOT EXISTS v2_awaiting_by_peer ON v2_awaiting (peer, failed_at);
   CREATE TABLE IF NOT EXISTS v2_requests_open (peer TEXT PRIMARY KEY, asked_at INTEGER NOT NULL) STRICT;
   CREATE TABLE IF NOT EXISTS v2_resent (
     peer      TEXT NOT NULL,
     id        TEXT NOT NULL,
     resent_at INTEGER NOT NULL,
     PRIMARY KEY (peer, id)
   ) STRICT;`,
  // v16 (PROTOCOL.md §25.9; sender-keys.ts): the sender key requests we sent, one per (gid, sender, epoch), and
  // whether one is still open for (gid, sender): at most one open, closed when that sender's key for the group comes.
  `CREATE TABLE IF NOT EXISTS group_sender_asked (
     gid      TEXT NOT NULL,
     sender   TEXT NOT NULL,
     epoch    BLOB NOT NULL,
     asked_at INTEGER NOT NULL,
     open     INTEGER NOT NULL,
     PRIMARY KEY (gid, sender, epoch)
   ) STRICT;`,
  // v17 (PROTOCOL.md §17.6, §25.10; held.ts): what arrived before what it depends on. Edits, deletes and reactions
  // whose target is not held yet (`conv` a peer or `#<gid>`, `target` an id or a §17.2 reference); group messages
  // whose sender key has not come (`gmsg` still encrypted under the sender's chain). `seq` is arrival order; both
  // expire (`expires_at`: the mailbox expiry, or the conversation's timer when shorter). Our sending chain's
  // epoch's first chain key (`group_sender_start`, one per group, for the epoch named), which every distribution
  // carries (§25.3), so a late one opens what was kept. Never in a backup.
  `CREATE TABLE IF NOT EXISTS held_actions (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     id         TEXT NOT NULL UNIQUE,
     sender     TEXT NOT NULL,
     conv       TEXT NOT NULL,
     target     TEXT NOT NULL,
     kind       INTEGER NOT NULL,
     body       BLOB NOT NULL,
     ts         INTEGER NOT NULL,
     relay_ts   INTEGER,
     held_at    INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX IF NOT EXISTS held_actions_by_target ON held_actions (conv, target);
   CREATE INDEX IF NOT EXISTS held_actions_by_sender ON held_actions (sender);
   CREATE INDEX IF NOT EXISTS held_actions_expiring ON held_actions (expires_at);
   CREATE TABLE IF NOT EXISTS held_group_messages (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     id         TEXT NOT NULL UNIQUE,
     gid        TEXT NOT NULL,
     sender     TEXT NOT NULL,
     epoch      BLOB NOT NULL,
     iteration  INTEGER NOT NULL,
     gmsg       BLOB NOT NULL,
     relay_ts   INTEGER,
     held_at    INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX IF NOT EXISTS held_group_by_chain ON held_group_messages (gid, sender, epoch);
   CREATE INDEX IF NOT EXISTS held_group_expiring ON held_group_messages (expires_at);
   CREATE TABLE IF NOT EXISTS group_sender_start (
     gid       TEXT PRIMARY KEY,
     epoch     BLOB NOT NULL,
     start_key BLOB NOT NULL
   ) STRICT;`,
  // v18 (PROTOCOL.md §15.4 steps 6 and 7; groups.ts): the version of the record by which each member last joined a
  // group, as this client's chain of records shows it. The row of user '*' (never a username) is the version from
  // which the group's joins are known: a member without a row of its own counts as joined there. Groups held before
  // this version start from their current version. And the changes that came before the change they follow from
  // (`group_ahead`, at most MAX_AHEAD_PER_GROUP per group), kept until it comes.
  `CREATE TABLE IF NOT EXISTS group_joins (
     gid     TEXT NOT NULL,
     user    TEXT NOT NULL,
     version INTEGER NOT NULL,
     PRIMARY KEY (gid, user)
   ) STRICT;
   INSERT OR IGNORE INTO group_joins (gid, user, version) SELECT gid, '*', version FROM groups;
   CREATE TABLE IF NOT EXISTS group_ahead (
     gid      TEXT NOT NULL,
     version  INTEGER NOT NULL,
     signer   TEXT NOT NULL,
     record   BLOB NOT NULL,
     id       TEXT NOT NULL,
     ts       INTEGER NOT NULL,
     relay_ts INTEGER NOT NULL,
     kept_at  INTEGER NOT NULL,
     PRIMARY KEY (gid, version, signer)
   ) STRICT;`,
];

/**
 * Applies the migrations after `PRAGMA user_version` in one IMMEDIATE transaction that re-reads the version inside
 * it: two processes opening a new profile at once (`chat recv --follow` and `chat send`) must not both migrate.
 */
export function migrate(db: Database.Database): void {
  const check = (current: number): void => {
    if (current > SCHEMA_VERSION) {
      throw new ChatError(
        'PROFILE_CORRUPT',
        `the history database has schema version ${current}; this chat understands up to ${SCHEMA_VERSION}`,
        {
          hint: 'upgrade chat',
        },
      );
    }
  };
  const before = db.pragma('user_version', { simple: true }) as number;
  check(before);
  if (before === SCHEMA_VERSION) return;
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    check(current);
    for (let v = current; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v] ?? '');
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
