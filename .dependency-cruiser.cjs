/**
 * Import rules for packages/*\/src (issue 12; the layers are drawn in docs/ARCHITECTURE.md). `npm run depcruise`
 * exits non-zero on any violation. Type-only imports count: a type import is still a dependency of the design.
 */
const E = '^packages/cli/src/engine/';
/** Features: the optional parts of the engine, registered by the messenger. */
const FEATURES = `${E}(files|groups|actions)/`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circles in packages/*/src.',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'crypto-protocol-stay-below',
      severity: 'error',
      comment: 'crypto and protocol are shared by relay and client; they never import either.',
      from: { path: '^packages/(crypto|protocol)/src/' },
      to: { path: '^packages/(relay|cli)/' },
    },
    {
      name: 'relay-not-cli',
      severity: 'error',
      from: { path: '^packages/relay/src/' },
      to: { path: '^packages/cli/' },
    },
    {
      name: 'store-imports-nothing-above',
      severity: 'error',
      comment: 'store/ is the bottom of the engine: only its own modules and the leaf helpers (errors, files).',
      from: { path: `${E}store/` },
      to: { path: E, pathNot: [`${E}store/`, `${E}(errors|files)\\.ts$`] },
    },
    {
      name: 'net-imports-nothing-above',
      severity: 'error',
      comment: 'net/ speaks the protocol; it knows nothing of contacts, history or features.',
      from: { path: `${E}net/` },
      to: { path: E, pathNot: [`${E}net/`, `${E}(errors|address)\\.ts$`] },
    },
    {
      name: 'contacts-below-send-and-receive',
      severity: 'error',
      from: { path: `${E}contacts/` },
      to: { path: E, pathNot: [`${E}(contacts|net|store)/`, `${E}(errors|username|events)\\.ts$`] },
    },
    {
      name: 'features-never-import-messenger',
      severity: 'error',
      comment:
        'A feature takes narrow interfaces (engine/context.ts), never the Messenger; of receive/ it sees only the handler table.',
      from: { path: FEATURES },
      to: { path: [`${E}messenger\\.ts$`, `${E}receive/`], pathNot: `${E}receive/handlers\\.ts$` },
    },
    {
      name: 'receive-imports-no-feature',
      severity: 'error',
      comment: 'Features register their kinds in the receive handler table; receive/ knows none of them.',
      from: { path: `${E}receive/` },
      to: { path: [FEATURES, `${E}messenger\\.ts$`] },
    },
    {
      name: 'send-below-features',
      severity: 'error',
      from: { path: `${E}send/` },
      to: { path: [FEATURES, `${E}receive/`, `${E}messenger\\.ts$`] },
    },
    {
      name: 'engine-below-commands-and-ui',
      severity: 'error',
      from: { path: `${E}` },
      to: { path: '^packages/cli/src/(commands|ui|bin|daemon)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.test\\.tsx?$', '/dist/', '\\.suite\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
