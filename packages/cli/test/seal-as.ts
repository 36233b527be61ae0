/**
 * Seals a message from `m`'s user to `to` the way the product's send path would (PROTOCOL.md §24.2): in the current v2
 * session, or a new one from `to`'s prekeys, or v1 where there is no v2. For tests that hand-craft what the product
 * refuses to make (a forged group record, a smuggled ephemeral text, a replay) and send it with `conn.send` as is.
 */
import { randomMessageId, sealEnvelope } from '@chat/crypto';
import type { Messenger } from '../src/engine/messenger.js';
import type { Connection } from '../src/engine/net/connection.js';
import { fetchPrekeys } from '../src/engine/v2/fetch.js';
import { currentSession, sealInSession, startSession } from '../src/engine/v2/session.js';

export interface Crafted {
  kind: number;
  body: Uint8Array;
  id?: Uint8Array;
  ts?: number;
}

export async function sealAs(
  m: Messenger,
  conn: Connection,
  to: string,
  c: Crafted,
): Promise<{ id: Uint8Array; env: Uint8Array }> {
  const contact = await m.lookupAndPin(to, conn);
  const id = c.id ?? randomMessageId();
  const ts = c.ts ?? Date.now();
  const bundle = currentSession(m, contact) ? null : await fetchPrekeys(conn, contact);
  const env = m.store.transaction(() => {
    const session = currentSession(m, contact) ?? (bundle ? startSession(m, contact, bundle, Date.now()) : undefined);
    if (session) return sealInSession(m, session, contact, { kind: c.kind, id, ts, body: c.body });
    return sealEnvelope(
      { kind: c.kind, from: m.username, to, id, ts, body: c.body },
      m.identity.identity.secretKey,
      contact.encryptionPublicKey,
    );
  });
  return { id, env };
}
