/**
 * The relay's configuration (README "Operating a relay"): built-in defaults, then a JSON file, then environment
 * variables, then command-line flags — each later source overrides the earlier ones, key by key. Every key is
 * checked (type, range) and unknown keys are refused, so a typo is an error at start-up rather than a silent default.
 */
import { parseAdmins } from './admins.js';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PORT } from '@chat/protocol';
import { checkDataDir, readDataFile } from './data-dir.js';
import { DataDirUnsafeError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { isPostgresUrl, redactUrl } from './store/open.js';

export type Registration = 'open' | 'invite';

export interface RelayConfig {
  host: string;
  port: number;
  dataDir: string;
  /**
   * Where relay state lives (issue 17): null for SQLite files in the data directory (the default), or a
   * `postgres://user[:password]@host:port/db` URL that several relays may share.
   */
  store: string | null;
  /** `name:fingerprint` entries (§14.1): who may send `admin` frames, and register without an invite, with that key. */
  admins: string[];
  /** Public rooms the relay advertises (PROTOCOL.md §15.6). */
  rooms: string[];
  registration: Registration;
  /** How long an invite code stays valid. */
  inviteTtlHours: number;
  /** Prometheus endpoint; `port` -1 (the default) turns it off, 0 picks a free port. */
  metrics: { host: string; port: number };
  log: { level: 'info' | 'warn' | 'error' | 'silent' };
  limits: Limits;
  /**
   * Transport (PROTOCOL.md §5.1): `cert` and `key` name the operator's PEM pair (both or neither; without them the
   * relay makes its own in the data directory); `insecure` turns TLS off (plaintext TCP, for tunnels and tests).
   */
  tls: { cert: string | null; key: string | null; insecure: boolean };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

type Kind =
  | { int: [number, number] }
  | { str: true }
  | { admins: true }
  | { rooms: true }
  | { oneOf: readonly string[] }
  | { bool: true }
  | { pgUrl: true };

/** Every key, its kind and its environment variable. Keys are paths into RelayConfig. */
const KEYS: Record<string, { kind: Kind; env: string }> = {
  host: { kind: { str: true }, env: 'CHAT_RELAY_HOST' },
  port: { kind: { int: [0, 65535] }, env: 'CHAT_RELAY_PORT' },
  dataDir: { kind: { str: true }, env: 'CHAT_RELAY_DATA' },
  store: { kind: { pgUrl: true }, env: 'CHAT_RELAY_STORE' },
  admins: { kind: { admins: true }, env: 'CHAT_RELAY_ADMINS' },
  rooms: { kind: { rooms: true }, env: 'CHAT_RELAY_ROOMS' },
  registration: { kind: { oneOf: ['open', 'invite'] }, env: 'CHAT_RELAY_REGISTRATION' },
  inviteTtlHours: { kind: { int: [1, 24 * 365] }, env: 'CHAT_RELAY_INVITE_TTL_HOURS' },
  'metrics.host': { kind: { str: true }, env: 'CHAT_RELAY_METRICS_HOST' },
  'metrics.port': { kind: { int: [-1, 65535] }, env: 'CHAT_RELAY_METRICS_PORT' },
  'log.level': { kind: { oneOf: ['info', 'warn', 'error', 'silent'] }, env: 'CHAT_RELAY_LOG_LEVEL' },
  'tls.cert': { kind: { str: true }, env: 'CHAT_RELAY_TLS_CERT' },
  'tls.key': { kind: { str: true }, env: 'CHAT_RELAY_TLS_KEY' },
  'tls.insecure': { kind: { bool: true }, env: 'CHAT_RELAY_INSECURE' },
  ...Object.fromEntries(
    Object.keys(DEFAULT_LIMITS).map((k) => [
      `limits.${k}`,
      {
        kind: { int: [1, Number.MAX_SAFE_INTEGER] },
        env: `CHAT_RELAY_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
      },
    ]),
  ),
};

export const CONFIG_KEYS: readonly string[] = Object.keys(KEYS);
export function envNameOf(key: string): string | undefined {
  return KEYS[key]?.env;
}

/** The interface the relay listens on unless told otherwise: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'chat-relay');
}

function defaults(env: NodeJS.ProcessEnv): RelayConfig {
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    dataDir: defaultDataDir(env),
    store: null,
    admins: [],
    rooms: ['general'],
    registration: 'open',
    inviteTtlHours: 7 * 24,
    metrics: { host: '127.0.0.1', port: -1 },
    log: { level: 'info' },
    limits: { ...DEFAULT_LIMITS },
    tls: { cert: null, key: null, insecure: false },
  };
}

/** Parses one raw value (a string from env/flags, or a JSON value from the file) for `key`. */
function parseValue(key: string, raw: unknown, where: string): unknown {
  const spec = KEYS[key];
  if (!spec)
    throw new ConfigError(`${where}: unknown setting ${JSON.stringify(key)} (known: ${CONFIG_KEYS.join(', ')})`);
  const kind = spec.kind;
  if ('int' in kind) {
    const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    const [min, max] = kind.int;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(`${where}: ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  }
  if ('admins' in kind) {
    const list =
      typeof raw === 'string'
        ? raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : raw;
    if (!Array.isArray(list) || !list.every((u) => typeof u === 'string')) {
      throw new ConfigError(
        `${where}: ${key} must be a list of "name:fingerprint" entries, got ${JSON.stringify(raw)}`,
      );
    }
    try {
      parseAdmins(list as string[]);
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
    return [...new Set(list as string[])];
  }
  if ('rooms' in kind) {
    const list =
      typeof raw === 'string'
        ? raw
            .split(',')
            .map((s) => s.trim().replace(/^#/, ''))
            .filter(Boolean)
        : raw;
    if (!Array.isArray(list) || !list.every((r) => typeof r === 'string' && /^[a-z][a-z0-9_-]{0,31}$/.test(r))) {
      throw new ConfigError(
        `${where}: ${key} must be a list of room names (^[a-z][a-z0-9_-]{0,31}$), got ${JSON.stringify(raw)}`,
      );
    }
    return [...new Set(list as string[])];
  }
  if ('bool' in kind) {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(`${where}: ${key} must be true or false, got ${JSON.stringify(raw)}`);
  }
  if ('pgUrl' in kind) {
    if (typeof raw !== 'string' || !isPostgresUrl(raw)) {
      throw new ConfigError(`${where}: ${key} must be a postgres://user@host:port/db URL`);
    }
    return raw;
  }
  if ('oneOf' in kind) {
    if (typeof raw !== 'string' || !kind.oneOf.includes(raw)) {
      throw new ConfigError(`${where}: ${key} must be one of ${kind.oneOf.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    return raw;
  }
  if (typeof raw !== 'string' || raw.length === 0) throw new ConfigError(`${where}: ${key} must be a non-empty string`);
  return raw;
}

/** Flattens the JSON file into key paths, refusing anything that is not a known key. */
function flattenFile(obj: unknown, where: string, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new ConfigError(`${where}: expected a JSON object`);
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && !KEYS[key]) {
      for (const [kk, vv] of flattenFile(v, where, `${key}.`)) out.set(kk, vv);
    } else {
      out.set(key, parseValue(key, v, where));
    }
  }
  return out;
}

function setPath(cfg: RelayConfig, key: string, value: unknown): void {
  const parts = key.split('.');
  let target = cfg as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) target = target[p] as Record<string, unknown>;
  target[parts[parts.length - 1]!] = value;
}

export interface ConfigInputs {
  env: NodeJS.ProcessEnv;
  /** `--config FILE`; without it `relay.json` in the data directory is read if it exists. */
  configFile?: string | undefined;
  /** Settings from flags, as key path → raw string (e.g. `port` → "7717", `limits.maxConnections` → "100"). */
  flags: ReadonlyMap<string, string | string[]>;
}

export interface ResolvedConfig {
  config: RelayConfig;
  /** For each key that is not a default: where its value came from. */
  sources: Map<string, string>;
  /** The file that was read, if any. */
  file: string | undefined;
}

/**
 * Resolves the effective configuration: defaults < file < environment < flags.
 * @throws ConfigError on an unknown key, a bad value, or an unreadable / invalid file.
 */
export function resolveConfig(inputs: ConfigInputs): ResolvedConfig {
  const cfg = defaults(inputs.env);
  const sources = new Map<string, string>();
  const layers: [string, Map<string, unknown>][] = [];

  const envLayer = new Map<string, unknown>();
  for (const [key, { env }] of Object.entries(KEYS)) {
    const raw = inputs.env[env];
    if (raw !== undefined && raw !== '') envLayer.set(key, parseValue(key, raw, `environment ${env}`));
  }
  const flagLayer = new Map<string, unknown>();
  for (const [key, raw] of inputs.flags) flagLayer.set(key, parseValue(key, raw, `flag for ${key}`));

  // The data directory decides where relay.json is, so it cannot come from that file itself.
  const dataDir = (flagLayer.get('dataDir') ?? envLayer.get('dataDir') ?? cfg.dataDir) as string;
  // Before anything in it is read or talked to (its relay.json, its control socket for `chat-relay admin`): another
  // local user must not have been able to plant them (data-dir.ts).
  checkDataDir(dataDir);
  const file = inputs.configFile ?? (existsSync(join(dataDir, 'relay.json')) ? join(dataDir, 'relay.json') : undefined);
  if (file !== undefined) {
    let text: string;
    try {
      // The data directory's own relay.json names admins and limits: read without following a link (data-dir.ts).
      text = inputs.configFile === undefined ? readDataFile(file) : readFileSync(file, 'utf8');
    } catch (err) {
      if (err instanceof DataDirUnsafeError) throw err;
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    const fileLayer = flattenFile(parsed, `config file ${file}`);
    if (inputs.configFile === undefined && fileLayer.has('dataDir')) {
      throw new ConfigError(`config file ${file}: dataDir cannot be set in the data directory's own relay.json`);
    }
    layers.push([`file ${file}`, fileLayer]);
  }
  layers.push(['environment', envLayer], ['flag', flagLayer]);
  for (const [name, layer] of layers) {
    for (const [key, value] of layer) {
      setPath(cfg, key, value);
      sources.set(key, name === 'environment' ? `environment ${KEYS[key]!.env}` : name);
    }
  }
  if ((cfg.tls.cert === null) !== (cfg.tls.key === null)) {
    throw new ConfigError(
      'tls.cert (--tls-cert) and tls.key (--tls-key) go together: give both, or neither to use the self-signed certificate',
    );
  }
  if (cfg.tls.insecure && cfg.tls.cert !== null) {
    throw new ConfigError('tls.insecure (--insecure) cannot be combined with tls.cert / tls.key');
  }
  if (cfg.limits.idleTimeoutMs <= cfg.limits.keepaliveMs) {
    throw new ConfigError('limits.idleTimeoutMs must be greater than limits.keepaliveMs');
  }
  return { config: cfg, sources, file };
}

/** `key = value  (source)` lines for `chat-relay config --sources`. */
export function describeConfig({ config, sources }: ResolvedConfig): string {
  const lines: string[] = [];
  for (const key of CONFIG_KEYS) {
    let v: unknown = config;
    for (const p of key.split('.')) v = (v as Record<string, unknown>)[p];
    if (key === 'store' && typeof v === 'string') v = redactUrl(v); // never print a database password
    lines.push(`${key} = ${JSON.stringify(v)}  (${sources.get(key) ?? 'default'})`);
  }
  return `${lines.join('\n')}\n`;
}
