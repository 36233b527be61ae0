/**
 * The flags every `chat-relay` command shares, mapped onto configuration keys (config.ts): a flag is the last
 * and strongest source of a setting.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CommandError, RelayExit } from './common.js';
import { ConfigError, resolveConfig, type ResolvedConfig } from '../config.js';

export const CONFIG_FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  data: { type: 'string' },
  store: { type: 'string' },
  config: { type: 'string' },
  admin: { type: 'string', multiple: true },
  registration: { type: 'string' },
  'metrics-host': { type: 'string' },
  'metrics-port': { type: 'string' },
  set: { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  insecure: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const FLAG_KEYS: Record<string, string> = {
  host: 'host',
  port: 'port',
  data: 'dataDir',
  store: 'store',
  registration: 'registration',
  'metrics-host': 'metrics.host',
  'metrics-port': 'metrics.port',
  'tls-cert': 'tls.cert',
  'tls-key': 'tls.key',
};

/** Parses argv with the shared flags plus `extra`; a parse error is a usage error. */
export function parse(
  argv: string[],
  extra: NonNullable<ParseArgsConfig['options']>,
  positionals = false,
): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  try {
    return parseArgs({
      args: argv,
      options: { ...CONFIG_FLAGS, ...extra },
      strict: true,
      allowPositionals: positionals,
    });
  } catch (err) {
    throw new CommandError((err as Error).message, RelayExit.USAGE, 'see chat-relay --help');
  }
}

/** Effective configuration from defaults, file, environment and these flag values. */
export function configFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const flags = new Map<string, string | string[]>();
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    if (typeof values[flag] === 'string') flags.set(key, values[flag]);
  }
  if (values.insecure === true) flags.set('tls.insecure', 'true');
  if (Array.isArray(values.admin)) flags.set('admins', (values.admin as string[]).join(','));
  for (const kv of (values.set as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new CommandError(`--set expects key=value, got ${JSON.stringify(kv)}`, RelayExit.USAGE);
    flags.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  try {
    return resolveConfig({ env, configFile: values.config as string | undefined, flags });
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CommandError(err.message, RelayExit.USAGE, 'see chat-relay config --help');
    throw err;
  }
}
