import { isValidUsername } from '@chat/crypto';
import { ChatError } from './errors.js';

/**
 * Lower-cases what the user typed and checks it against §3.1 (`^[a-z][a-z0-9_-]{2,31}$`).
 * @throws {ChatError} `BAD_USERNAME` (exit 2) with what is allowed.
 * @example normalizeUsername('Alice') // 'alice'
 */
export function normalizeUsername(input: string): string {
  const name = input.trim().toLowerCase();
  if (!isValidUsername(name)) {
    const shown = JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
    throw new ChatError(
      'BAD_USERNAME',
      `invalid username ${shown}: use 3 to 32 characters a-z, 0-9, _ or -, starting with a letter`,
    );
  }
  return name;
}
