// Packs `chat` and `chat-relay` into one npm tarball that installs with no workspace around it:
//   npm run build && npm run pack   ->  build/pack/terminal-chat-<version>.tgz
//   npm install -g ./build/pack/terminal-chat-<version>.tgz
// It lives beside bundle.mjs because this package holds the bundler (esbuild); it packs the relay too.
//
// The workspace packages are private and depend on each other through `workspace:*`, which npm cannot resolve, so
// the tarball is a package of its own, staged in build/pack/terminal-chat/:
//   bin/chat.js, bin/chunks/   the CLI bundle exactly as packages/cli/scripts/bundle.mjs builds it, plus the signature
//                              worker bundled beside its chunks (where signatures.ts looks for it first);
//   bin/chat-relay.js          the relay bundled here the same way (@chat/crypto and @chat/protocol inlined);
//   man/                       chat.1 and chat-relay.1 from scripts/man.mjs;
//   package.json               the npm dependencies of the two packages, nothing else: these install from the registry.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundleOptions } from './esbuild-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const readJson = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'));
const top = readJson('package.json');
const cli = readJson('packages/cli/package.json');
const relay = readJson('packages/relay/package.json');
const out = join(root, 'build/pack');
const stage = join(out, 'terminal-chat');

/** The registry dependencies of both packages; one range per name, or the pack stops. */
function npmDependencies() {
  const deps = {};
  for (const pkg of [cli, relay]) {
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      if (range.startsWith('workspace:')) continue;
      if (deps[name] !== undefined && deps[name] !== range)
        throw new Error(`${name}: ${deps[name]} in one package, ${range} in the other`);
      deps[name] = range;
    }
  }
  return Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
}

const dependencies = npmDependencies();
const external = [...Object.keys(dependencies).flatMap((name) => [name, `${name}/*`]), 'msgpackr-extract'];
const bundle = nodeBundleOptions(external);

for (const built of ['packages/cli/dist/bin/chat.js', 'packages/relay/dist/bin/chat-relay.js']) {
  if (!existsSync(join(root, built))) throw new Error(`no ${built}: run npm run build first`);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(join(stage, 'bin'), { recursive: true });

cpSync(join(root, 'packages/cli/dist/bin/chat.js'), join(stage, 'bin/chat.js'));
// Not the V8 code caches that runs from this checkout left there (bin/code-cache.ts): each machine makes its own.
cpSync(join(root, 'packages/cli/dist/bin/chunks'), join(stage, 'bin/chunks'), {
  recursive: true,
  filter: (src) => !/\.v8cache(\.\d+\.tmp)?$/.test(src),
});
await build({
  ...bundle,
  entryPoints: [join(root, 'packages/cli/dist/engine/verify-worker.js')],
  outfile: join(stage, 'bin/chunks/verify-worker.js'),
});
await build({
  ...bundle,
  entryPoints: [join(root, 'packages/cli/dist/engine/v2/unseal-worker.js')],
  outfile: join(stage, 'bin/chunks/unseal-worker.js'),
});
await build({
  ...bundle,
  // The sources, as bundle-relay.mjs does: dist/bin/chat-relay.js is that bundle already (its banner twice would not load).
  entryPoints: [join(root, 'packages/relay/src/bin/chat-relay.ts')],
  outfile: join(stage, 'bin/chat-relay.js'),
  define: { CHAT_RELAY_VERSION: JSON.stringify(relay.version) },
});
execFileSync(process.execPath, [join(root, 'scripts/man.mjs'), join(stage, 'man')], { stdio: 'inherit' });

const manifest = {
  name: 'terminal-chat',
  version: cli.version,
  description: top.description,
  type: 'module',
  bin: { chat: 'bin/chat.js', 'chat-relay': 'bin/chat-relay.js' },
  man: ['man/chat.1', 'man/chat-relay.1'],
  files: ['bin', 'man'],
  engines: top.engines,
  dependencies,
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
writeFileSync(
  join(stage, 'README.md'),
  `# terminal-chat ${cli.version}\n\n${top.description}\n\n\`chat\` (the client) and \`chat-relay\` (the relay): \`chat --help\`, \`man chat\`, \`man chat-relay\`.\n`,
);

const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: stage, encoding: 'utf8' })
  .trim()
  .split('\n')
  .pop();
process.stdout.write(`${join(out, tarball)}\n`);
