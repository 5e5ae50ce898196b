/**
 * Bundles every function as it is deployed (esbuild, minified, `@aws-sdk/*` left to the Lambda runtime, as
 * NodejsFunction does by default, the module aliases of infra/bundling.ts) and prints, per function, the
 * bundle size and the module initialization time: the median, over fresh `node` processes, of the time `require()` of the bundle takes, including
 * loading the SDK clients it uses from node_modules. Targets: at most 150 KB and 150 ms each. The size with
 * the SDK bundled in is printed for comparison.
 *
 *   npm run bench:bundles            # 7 processes per function
 *   npm run bench:bundles -- --runs 15
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_ALIASES } from '../infra/bundling';
import { ENVIRONMENT } from '../functions/shared/environment';

const ROOT = path.join(__dirname, '..');
const FUNCTIONS = path.join(ROOT, 'functions');
const SIZE_TARGET_KB = 150;
const INIT_TARGET_MS = 150;
const runsArgument = process.argv.indexOf('--runs');
const RUNS = runsArgument > 0 ? Number(process.argv[runsArgument + 1]) : 7;

const RUNTIME_ENVIRONMENT = { AWS_REGION: 'eu-west-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/**
 * What a handler reads at module load (its `requireString`/`requireNumber` calls: handlers are the only readers of the
 * environment), with harmless placeholder values of the right shape, so a new variable never breaks the run.
 */
function handlerEnvironment(handlerSource: string): Record<string, string> {
  const names = [...handlerSource.matchAll(/require(?:String|Number)\(\s*ENVIRONMENT\.(\w+)\s*\)/g)].map((match) => ENVIRONMENT[match[1] as keyof typeof ENVIRONMENT]);
  const placeholder = (name: string) =>
    name.endsWith('_ARN') ? `arn:aws:sns:eu-west-1:123456789012:bench-${name.toLowerCase()}` : name.endsWith('_URL') ? 'https://bench.example.com/' : '60';
  return Object.fromEntries(names.map((name) => [name, placeholder(name)]));
}

async function bundle(entry: string, outfile: string, external: string[]): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external,
    alias: { ...BUNDLE_ALIASES },
    logLevel: 'silent',
  });
  return statSync(outfile).size / 1024;
}

function initMilliseconds(bundlePath: string, environment: Record<string, string>): number {
  const probe = `const start = performance.now(); require(${JSON.stringify(bundlePath)}); process.stdout.write(String(performance.now() - start));`;
  const samples = Array.from({ length: RUNS }, () =>
    Number(execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, ...RUNTIME_ENVIRONMENT, ...environment } }).toString()),
  );
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function main(): Promise<void> {
  // Inside the project, so the bundles resolve the SDK from node_modules as they would from the runtime's.
  const cache = path.join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const workDirectory = mkdtempSync(path.join(cache, 'bench-bundles-'));
  // Every Lambda entry point: a phase's handler.ts, or each *-handler.ts of a phase with two (full-load-wait).
  const entries = readdirSync(FUNCTIONS)
    .filter((folder) => folder !== 'shared')
    .flatMap((folder) => readdirSync(path.join(FUNCTIONS, folder)).filter((file) => /(^|-)handler\.ts$/.test(file)).map((file) => path.join(folder, file)));
  const rows: string[][] = [];
  let overTarget = 0;
  try {
    for (const entryFile of entries) {
      const phase = entryFile.replace(/\/handler\.ts$|\.ts$/, '');
      const entry = path.join(FUNCTIONS, entryFile);
      const deployed = path.join(workDirectory, `${phase.replace('/', '-')}.js`);
      const sizeKb = await bundle(entry, deployed, ['@aws-sdk/*']);
      const withSdkKb = await bundle(entry, path.join(workDirectory, `${phase.replace('/', '-')}-with-sdk.js`), []);
      const initMs = initMilliseconds(deployed, handlerEnvironment(readFileSync(entry, 'utf8')));
      const flags = [sizeKb > SIZE_TARGET_KB ? 'size' : '', initMs > INIT_TARGET_MS ? 'init' : ''].filter(Boolean);
      if (flags.length > 0) overTarget += 1;
      rows.push([phase, sizeKb.toFixed(1), withSdkKb.toFixed(1), initMs.toFixed(1), flags.length ? `OVER (${flags.join(', ')})` : 'ok']);
    }
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
  }
  const header = ['function', 'bundle KB', 'KB with SDK bundled', `init ms (median of ${RUNS})`, `targets ${SIZE_TARGET_KB} KB / ${INIT_TARGET_MS} ms`];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  console.log(`Node.js ${process.version}; esbuild target node22, minified, @aws-sdk/* from the runtime (as deployed)`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(overTarget === 0 ? 'All functions within targets.' : `${overTarget} function(s) over target.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
