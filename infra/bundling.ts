import * as path from 'node:path';

/**
 * Module substitutions every function bundle gets, in the deployed NodejsFunction and in
 * scripts/bench-bundles.ts alike: iconv-lite (~480 KB of code tables mysql2 needs only for charsets Node
 * cannot decode) becomes a small shim over Node's own decoders.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'iconv-lite': path.join(__dirname, '..', 'functions', 'shared', 'iconv-lite-native.ts'),
};

/** The same aliases for NodejsFunction's `bundling.esbuildArgs`, which renders each item as `--alias:<item>`. */
export const BUNDLE_ESBUILD_ARGS: Readonly<Record<string, string[]>> = {
  '--alias': Object.entries(BUNDLE_ALIASES).map(([module, replacement]) => `${module}=${replacement}`),
};
