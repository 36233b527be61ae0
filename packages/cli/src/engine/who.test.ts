/** `who` (PROTOCOL.md §6.1, §6.2 `online`) from the client side, against a scripted peer that can lie. */
import { generateIdentity } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { handshake, scriptedRelay } from '../../test/helpers.js';
import { Connection } from './net/connection.js';

describe('Connection.who', () => {
  it('ignores entries of an online frame that are not valid usernames', async () => {
    const { server, port } = await scriptedRelay((frame, _socket, reply) => {
      if (handshake(frame, reply)) return;
      if (frame.t === 'who') reply({ t: 'online', rid: frame.rid, users: ['alice', 'Mallory', 'bob', '1abc', 'a b'] });
    });
    try {
      const conn = await Connection.open({
        address: { host: '127.0.0.1', port },
        username: 'alice',
        identity: generateIdentity(),
        mode: 'send',
      });
      try {
        expect(await conn.who()).toEqual(['alice', 'bob']);
      } finally {
        await conn.close();
      }
    } finally {
      server.close();
    }
  });

  it('an online frame answering another request is a protocol error', async () => {
    const { server, port } = await scriptedRelay((frame, _socket, reply) => {
      if (handshake(frame, reply)) return;
      if (frame.t === 'ping') reply({ t: 'online', rid: frame.rid, users: [] });
    });
    try {
      const conn = await Connection.open({
        address: { host: '127.0.0.1', port },
        username: 'alice',
        identity: generateIdentity(),
        mode: 'send',
      });
      await expect(conn.ping()).rejects.toMatchObject({ code: 'RELAY_PROTOCOL' });
      await conn.close();
    } finally {
      server.close();
    }
  });
});
