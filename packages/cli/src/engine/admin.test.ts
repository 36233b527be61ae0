import { describe, expect, it } from 'vitest';
import { formatAdminAnswer, toAnswer } from './admin.js';
import type { AdminReplyFrame } from './net/connection.js';

// A relay is another party: what it says about accounts and invites reaches the admin's terminal only as inert text.
const ATTACK = '\x1b]52;c;aGk=\x07\x1b[2J';
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('formatAdminAnswer', () => {
  it('prints an invite with an escape sequence as visible escapes', () => {
    const out = formatAdminAnswer(toAnswer({ t: 'admin_done', rid: 1, op: 'invite', invite: `inv-${ATTACK}` }));
    expect(out).not.toMatch(CONTROL);
    expect(out).toContain('\\x1b]52;c;aGk=\\x07\\x1b[2J');
  });

  it('escapes account names and the paging hint, should a name ever get past the decoder', () => {
    const frame: AdminReplyFrame = {
      t: 'admin_users',
      rid: 1,
      names: [`bob${ATTACK}`],
      created: [0],
      online: [true],
      banned: [false],
      depth: [0],
      bytes: [0],
      more: true,
    };
    const out = formatAdminAnswer(toAnswer(frame));
    expect(out).not.toMatch(CONTROL);
    expect(out).toContain('--after bob\\x1b]52');
  });
});
