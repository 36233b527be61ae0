/**
 * `$CHAT_HOME/settings.json`: optional preferences, kept apart from config.json (which `chat login` rewrites).
 * Every field is optional; a missing file means the defaults. An unknown key or a wrong type is an error naming the
 * key, so a typo (`readReciepts`) fails at start rather than silently keeping the default (as the relay's config).
 *
 * ```json
 * { "readReceipts": true, "typingIndicators": true, "bell": true, "desktopNotifications": false }
 * ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatError } from './errors.js';

export const SETTINGS_FILE = 'settings.json';

export interface Settings {
  /** Send `read` receipts when a message is shown (§4.1). Delivery receipts are always sent. */
  readReceipts: boolean;
  /** Send typing signals (§4.1) while composing. */
  typingIndicators: boolean;
  /** Ring the terminal bell for a message in a conversation that is not in view (unless muted). */
  bell: boolean;
  /** Also write a desktop-notification escape (OSC 9 and OSC 777) for such messages. */
  desktopNotifications: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  readReceipts: true,
  typingIndicators: true,
  bell: true,
  desktopNotifications: false,
});

/** Reads the settings of the profile in `home`. @throws {ChatError} PROFILE_CORRUPT on bad JSON, an unknown key or a wrong type. */
export function loadSettings(home: string): Settings {
  const path = join(home, SETTINGS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_SETTINGS };
    throw new ChatError('PROFILE_CORRUPT', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseSettings(text, path);
}

export function parseSettings(text: string, path: string): Settings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ChatError('PROFILE_CORRUPT', `${path} is not valid JSON`, { cause: err, hint: `fix or delete ${path}` });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ChatError('PROFILE_CORRUPT', `${path} must hold a JSON object`, { hint: `fix or delete ${path}` });
  }
  const known = Object.keys(DEFAULT_SETTINGS);
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new ChatError('PROFILE_CORRUPT', `${path}: unknown setting ${JSON.stringify(key)}`, {
        hint: `the known settings are ${known.join(', ')}; fix or remove it in ${path}`,
      });
    }
  }
  const out: Settings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const v = (raw as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') {
      throw new ChatError('PROFILE_CORRUPT', `${path}: "${key}" must be true or false`, {
        hint: `fix or delete ${path}`,
      });
    }
    out[key] = v;
  }
  return out;
}
