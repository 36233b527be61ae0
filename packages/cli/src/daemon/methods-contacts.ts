/**
 * Contacts and their keys (docs/JSONRPC.md, "Contacts"): `trust`, `verify`, `block`, `unblock`, `updateContact`
 * (nickname, timer) and `getExpiration`. The same engine calls as `chat trust`, `chat verify`, `chat block`,
 * `chat nick` and `chat expire`; block and nickname are local only (nothing is sent), as there.
 */
import { MAX_TIMER_SECONDS } from '@chat/crypto';
import { conversationKey } from '../engine/actions/history.js';
import { checkNickname } from '../engine/contacts/nickname.js';
import { setTimer, type TimerContext } from '../engine/expire/timers.js';
import type { Messenger } from '../engine/messenger.js';
import { normalizeUsername } from '../engine/username.js';
import type { Register } from './register.js';
import { intParam, stringParam, targetParam } from './params.js';
import { badParam } from './rpc-errors.js';
import { safetyNumberResult, trustResult } from './results.js';

type ContactsEngine = TimerContext & Pick<Messenger, 'store' | 'username' | 'trust' | 'safetyNumber' | 'flushOutbox'>;

export function registerContactMethods(method: Register<ContactsEngine>): void {
  method('trust', ({ engine }, p) => {
    // signal-cli's name for the digits read from the other side (§3.5); without it the key is only accepted.
    const digits = p.verifiedSafetyNumber === undefined ? undefined : stringParam(p, 'verifiedSafetyNumber');
    return trustResult(engine.trust(stringParam(p, 'recipient'), digits === undefined ? {} : { verify: digits }));
  });
  method('verify', async ({ engine }, p) => safetyNumberResult(await engine.safetyNumber(stringParam(p, 'recipient'))));
  for (const blocked of [true, false])
    method(blocked ? 'block' : 'unblock', ({ engine }, p) => {
      const username = normalizeUsername(stringParam(p, 'recipient'));
      const b = engine.store.blocked;
      const changed = blocked ? b.block(username, Date.now()) : b.unblock(username);
      // What was held for them goes now, over the live session (if it is down: when it is back).
      if (!blocked && changed) void engine.flushOutbox().catch(() => {});
      return { username, blocked, changed, queued: b.queuedFor(username) };
    });
  method('updateContact', async ({ engine }, p) => {
    const username = normalizeUsername(stringParam(p, 'recipient'));
    const expiration = intParam(p, 'expiration', 0, MAX_TIMER_SECONDS);
    if (p.name === undefined && expiration === undefined)
      throw badParam('name', 'a nickname, or null to clear it (or params.expiration)');
    if (p.name !== undefined) setNickname(engine, username, p.name);
    if (expiration !== undefined) await setTimer(engine, username, expiration);
    const nickname = engine.store.nicknames.get(username) ?? null;
    return { username, nickname, ...(expiration === undefined ? {} : { expiration }) };
  });
  method('getExpiration', ({ engine }, p) => {
    const key = conversationKey(engine, targetParam(p));
    // Rooms have no timer (§17.5): the empty key never holds one.
    const timer = engine.store.timers.get(key.conv.startsWith('room:') ? '' : key.conv);
    return { conv: key.label, seconds: timer?.seconds ?? 0, ...(timer ? { setBy: timer.setBy } : {}) };
  });
}

/** `chat nick <user> <name>` (a string, checked as there) or `chat nick <user> --clear` (null or ""). */
function setNickname(engine: Pick<Messenger, 'store'>, username: string, name: unknown): void {
  if (name === null || name === '') engine.store.nicknames.clear(username);
  else if (typeof name === 'string') engine.store.nicknames.set(username, checkNickname(name), Date.now());
  else throw badParam('name', 'a nickname, or null to clear it');
}
