/**
 * Notifications for a message outside the view: the terminal bell (BEL) and, if enabled, a desktop notification
 * escape (OSC 9, understood by iTerm2, Windows Terminal, kitty, WezTerm; and OSC 777 for rxvt-unicode / VTE).
 * Only the sender's name goes into the notification, never the body: a notification must not leak text onto a
 * lock screen, and nothing from the network may drive the terminal (the name is a checked username).
 */
export interface NotifySettings {
  bell: boolean;
  desktopNotifications: boolean;
}

export function notificationBytes(from: string, settings: NotifySettings): string {
  if (!/^[a-z][a-z0-9_-]{2,31}$/.test(from)) return settings.bell ? '\x07' : '';
  let out = '';
  if (settings.desktopNotifications)
    out += `\x1b]9;chat: new message from ${from}\x07\x1b]777;notify;chat;new message from ${from}\x07`;
  if (settings.bell) out += '\x07';
  return out;
}
