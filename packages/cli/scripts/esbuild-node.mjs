// The esbuild options every Node bundle of ours shares (bundle.mjs for `chat`, pack.mjs for the packed tarball): one
// ES module for Node 20, npm dependencies kept `external` and loaded from node_modules.
export function nodeBundleOptions(external) {
  return {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    // CommonJS dependencies (tweetnacl) call require('crypto'); an ES module has no `require` of its own.
    banner: {
      js: "import { createRequire as __chatRequire } from 'node:module'; const require = __chatRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}
