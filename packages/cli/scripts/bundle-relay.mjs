// Bundles the `chat-relay` binary (packages/relay/src/bin/chat-relay.ts and what it imports) into
// packages/relay/dist/bin/chat-relay.js, over tsc's output of the same name, plus lazily loaded chunks in
// dist/bin/relay-chunks/. Start-up then reads a few files instead of ~100 of our ES modules and prom-client's ~80
// CommonJS files (with @opentelemetry/api): measured on the 2-core CI machine, about a third less CPU per start, which
// every test that spawns a relay and every one-shot `chat-relay admin`/`status`/`config` command pays. Run after
// `tsc -b` (npm run build does both); the sources are bundled, not tsc's output, so a bundle never bundles a stale
// bundle. (scripts/pack.mjs bundles this file again, into the packed tarball.)
//
// Inlined: the relay, @chat/crypto, @chat/protocol, their small pure-JS dependencies, prom-client, and pino (left
// external it was ~30 CommonJS files read and compiled at every start, 45 ms of CPU to require alone: a start to
// `listening` took 260 ms of CPU with it external, 220 inlined). pino's transports would run a worker from pino's
// own files (its __dirname), which a bundle does not have; log.ts gives pino a stream and never a transport, so that
// code is never reached. External, loaded from node_modules: the native modules (sodium-native by every serving
// relay, for signature checks), pg and @peculiar/x509 (each needed only by some starts, in chunks imported on demand).
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundleOptions } from './esbuild-node.mjs';

const relayDir = join(dirname(fileURLToPath(import.meta.url)), '../../relay');
const relay = JSON.parse(readFileSync(join(relayDir, 'package.json'), 'utf8'));
const INLINED = new Set(['prom-client', 'pino']);
const NATIVE = ['better-sqlite3-multiple-ciphers', 'msgpackr-extract', 'sodium-native'];
const external = [
  ...Object.keys(relay.dependencies).filter((n) => !relay.dependencies[n].startsWith('workspace:') && !INLINED.has(n)),
  ...NATIVE,
].flatMap((name) => [name, `${name}/*`]);

const outdir = join(relayDir, 'dist/bin');
rmSync(join(outdir, 'relay-chunks'), { recursive: true, force: true });
await build({
  ...nodeBundleOptions(external),
  entryPoints: { 'chat-relay': join(relayDir, 'src/bin/chat-relay.ts') },
  outdir,
  splitting: true,
  chunkNames: 'relay-chunks/[name]-[hash]',
  define: { CHAT_RELAY_VERSION: JSON.stringify(relay.version) },
  sourcemap: true,
});
