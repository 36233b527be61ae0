import { defineConfig } from 'vitest/config';

/**
 * Three layers (README, "Tests"), each runnable alone with `vitest run --project <name>`:
 *
 * - unit: no child process, no socket; pure functions, real SQLite files in temp dirs at most.
 * - integration: real sockets on 127.0.0.1 (the relay in process over TLS on port 0 via test/fixtures/relay.ts,
 *   scripted peers), real SQLite files in temp dirs; no child process but a throwaway PostgreSQL server
 *   (test/fixtures/postgres.ts), which is a service the test uses, not the program under test.
 * - e2e: the built binaries (`npm run build`) or another program as child processes: test/e2e, test/crash, the
 *   operator and observability tests of `chat-relay`, and the few cli tests that run `chat` or a helper process.
 *
 * Every test file lands in exactly one project: package tests are unit unless listed below, files under test/ are
 * integration unless listed as e2e. A new file that spawns or listens must be added to the right list.
 */
const SRC = ['packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx'];

export const E2E = [
  'test/e2e/**/*.test.ts',
  'test/crash/**/*.test.ts',
  'test/ops/observability.test.ts',
  'test/ops/operator.test.ts',
  'test/ops/data-dir-bin.test.ts',
  'test/ops/version.test.ts',
  'test/ops/completion.test.ts',
  'test/ops/man.test.ts',
  'test/ops/cluster-script.test.ts',
  'test/ops/relay-deps.test.ts',
  'test/e2e/daemon.test.ts',
  // runs `chat send` / `chat login` beside the UI under test
  'packages/cli/src/ui/ChatApp.test.tsx',
  // a python3 listener whose accept queue is full: the only local way to a TCP connect timeout
  'packages/cli/src/engine/net/connection.test.ts',
  // mkfifo: a passphrase file that is a named pipe
  'packages/cli/src/commands/passphrase-fifo.test.ts',
];

export const INTEGRATION = [
  'test/**/*.test.ts',
  'packages/cli/src/commands/commands.test.ts',
  'packages/cli/src/engine/connect-early.test.ts',
  'packages/cli/src/engine/contacts/identities.test.ts',
  'packages/cli/src/engine/live.test.ts',
  'packages/cli/src/engine/messenger.test.ts',
  'packages/cli/src/engine/blocking.test.ts',
  'packages/cli/src/engine/rate-limit.test.ts',
  'packages/cli/src/engine/receive/receive-batch.test.ts',
  'packages/cli/src/engine/receive/unseal-drain.test.ts',
  'packages/cli/src/engine/receive/sessions-changed.test.ts',
  // a following session releasing held messages, the relay in process
  'packages/cli/src/engine/receive/held-release.test.ts',
  // a scripted relay that lies about the sender's bundle
  'packages/cli/src/engine/receive/sender-lookup.test.ts',
  'packages/cli/src/engine/send/send.test.ts',
  'packages/cli/src/engine/v2/v2.test.ts',
  'packages/cli/src/engine/v2/recovery.test.ts',
  'packages/cli/src/engine/v2/faults.property.test.ts',
  'packages/cli/src/engine/v2/seen-sweep.test.ts',
  'packages/cli/src/engine/contacts/bundle.test.ts',
  'packages/cli/src/engine/who.test.ts',
  // a scripted TLS peer on 127.0.0.1 and ::1, and a relay on ::1
  'packages/cli/src/engine/net/tls-hello.test.ts',
  'packages/cli/src/engine/files/files.test.ts',
  'packages/cli/src/engine/groups/groups.test.ts',
  'packages/cli/src/engine/groups/crossed-leave.test.ts',
  'packages/cli/src/engine/groups/crossed-leave-replay.test.ts',
  'packages/cli/src/engine/groups/ahead.test.ts',
  'packages/cli/src/engine/groups/sender-keys.test.ts',
  'packages/cli/src/engine/groups/sender-keys-attacks.test.ts',
  'packages/cli/src/engine/groups/sender-key-request.test.ts',
  'packages/cli/src/engine/actions/held-actions.test.ts',
  'packages/cli/src/engine/groups/held-group.test.ts',
  'packages/cli/src/ui/files.ui.test.tsx',
  'packages/cli/src/ui/groups-ui.test.tsx',
  'packages/cli/src/ui/messages-ui.test.tsx',
  // an in-process daemon on a Unix socket, with an in-process relay
  'packages/cli/src/session/remote.test.ts',
  // the daemon's connections on a Unix socket
  'packages/cli/src/daemon/server-connections.test.ts',
  'packages/cli/src/ui/conversations-ui.test.tsx',
  // a scripted relay lists hostile room names
  'packages/cli/src/terminal-text.test.tsx',
  // a throwaway PostgreSQL cluster (test/fixtures/postgres.ts)
  'packages/relay/src/store/postgres-store.test.ts',
];

/**
 * The built workspace packages (@chat/cli, @chat/relay, … resolve to packages/<name>/dist through their symlinks):
 * loaded by Node itself in every project, as the binaries load them, instead of through Vite's transform and module
 * runner, which counts them as project code (they are not under node_modules) and re-processed ~150 modules in every
 * test file's worker: 1 s of CPU per e2e file (integration, four files: 12.0 -> 11.0 s CPU, 13.3 -> 9.0 s wall).
 * Tests that import a package's src/ still get it transformed.
 */
const BUILT = /\/packages\/[^/]+\/dist\//;

/** One seed per run for everything random (fast-check, the crash tests): given, or fresh and printed. */
const SEED = process.env.CHAT_TEST_SEED || String(Math.floor(Math.random() * 0x7fffffff));
if (!process.env.CHAT_TEST_SEED)
  console.log(`[seed] CHAT_TEST_SEED=${SEED} (set it to replay this run's random cases)`);
process.env.CHAT_TEST_SEED = SEED;

export default defineConfig({
  test: {
    env: { CHAT_TEST_SEED: SEED },
    setupFiles: ['test/fixtures/setup.ts'],
    globalSetup: ['test/fixtures/run-dir.ts'],
    // Generous, so a machine busy with other work slows the suite down but does not fail it; tests wait for events.
    // (At 180 s the SIGKILL client test, 7 s on a quiet machine, timed out beside two busy loops and two other suites.)
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // A worker runs file after file without a fresh process and module graph for each: Node's start-up, the built
    // packages (ML-KEM included) and vitest's own set-up are paid once per worker, not once per file (issue 12, back
    // to back on the shared machine: unit 133 -> 53 s CPU, integration 230 -> 143 s, twelve e2e files 115 -> 91 s;
    // docs/BENCHMARKS.md). Test files and test/fixtures/setup.ts are still
    // evaluated afresh for each file; a helper module shared between files must not keep per-file state (see
    // test/fixtures/file-end.ts for clean-ups).
    isolate: false,
    server: { deps: { external: [BUILT] } },
    // Two cores here; more workers only make the e2e layer's child processes fight for them.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: SRC, exclude: [...E2E, ...INTEGRATION] } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
