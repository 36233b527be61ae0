import { describe, expect, it } from 'vitest';
import { notificationBytes } from './notify.js';
import { colorEnabled, deliveryMark, displayText, expandShortcodes, nameColor } from './text.js';

describe('text', () => {
  it('turns shortcodes into emoji with node-emoji, leaving unknown ones', () => {
    expect(expandShortcodes('ship it :rocket: :not_an_emoji_xyz:')).toBe('ship it 🚀 :not_an_emoji_xyz:');
  });
  it('keeps a colon escaped with a backslash literal, so a known code can be sent as typed', () => {
    expect(expandShortcodes('\\:smile: is :smile:')).toBe(':smile: is 😄');
    expect(expandShortcodes(':tada\\: and \\:tada\\:')).toBe(':tada: and :tada:');
    expect(expandShortcodes('a\\b\\')).toBe('a\\b\\');
  });
  it('makes escape sequences and bidi overrides in bodies inert', () => {
    expect(displayText('\u001b[2Jgone\u202eevil\tx')).toBe('\\x1b[2Jgone\\u202eevil    x');
  });
  it('gives each name the same colour every time, and none without colour', () => {
    expect(nameColor('alice', true)).toBe(nameColor('alice', true));
    expect(new Set(['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => nameColor(n, true))).size).toBeGreaterThan(1);
    expect(nameColor('alice', false)).toBeUndefined();
  });
  it('honours NO_COLOR, TERM=dumb and CHAT_MONOCHROME', () => {
    expect(colorEnabled({ TERM: 'xterm-256color' })).toBe(true);
    expect(colorEnabled({ NO_COLOR: '1', TERM: 'xterm' })).toBe(false);
    expect(colorEnabled({ NO_COLOR: '', TERM: 'xterm' })).toBe(true);
    expect(colorEnabled({ TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ CHAT_MONOCHROME: '1' })).toBe(false);
  });
  it('marks delivery states', () => {
    expect(['queued', 'sent', 'delivered', 'read', 'failed'].map(deliveryMark)).toEqual([
      '…',
      '✓',
      '✓✓',
      '✓✓ read',
      '✗ failed',
    ]);
  });
});

describe('notifications', () => {
  it('bell, OSC 9 and OSC 777 as configured; never the body; nothing for an invalid name', () => {
    expect(notificationBytes('bob', { bell: true, desktopNotifications: false })).toBe('\x07');
    expect(notificationBytes('bob', { bell: false, desktopNotifications: false })).toBe('');
    const osc = notificationBytes('bob', { bell: false, desktopNotifications: true });
    expect(osc).toBe('\x1b]9;chat: new message from bob\x07\x1b]777;notify;chat;new message from bob\x07');
    expect(notificationBytes('\x1b]bad', { bell: false, desktopNotifications: true })).toBe('');
  });
});
