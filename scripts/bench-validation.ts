/**
 * Independent validation throughput on the local MariaDB (127.0.0.1:3306, root). Creates a table of --rows rows
 * (default 2,000,000) in a source and a target database, then prints rows/s (rows per side) for:
 *   (a) the baseline: one CRC32 scan over all columns, both sides at once (`BIT_XOR(CRC32(CONCAT_WS(...)))`, the
 *       cheapest all-column pass the server can make: the physical single-scan limit, not our own hash);
 *   (b) our validator as deployed on identical data: plan (index dives, chunk size from the table's row length),
 *       then every chunk compared, by 1 and by 2 workers, each with its own source and target session;
 *   (c) (b) / (a);
 *   (d) with differences present (rows changed, deleted and added on the target): our validator end to end,
 *       differing rows located, against pt-table-sync --print (percona-toolkit), which does the same job.
 * Each figure is the median of --runs rounds (default 3) after one warm-up; a round runs every measurement once,
 * in turn, so load from other work on a shared machine falls on all of them alike. With --json the figures are
 * also printed as one JSON object on the last line. CI never runs this (it is not a test).
 *
 *   npm run bench:validation
 *   npm run bench:validation -- --rows 200000 --chunk-rows 50000 --runs 3 --json
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import type { Connection } from 'mysql2/promise';
import { compareChunk, newSalt, targetSide } from '../functions/shared/data-comparison/compare-chunk';
import { chunkRowsFor, planRanges, type PlannedRange } from '../functions/shared/data-comparison/key-ranges';
import { quoteName } from '../functions/shared/data-comparison/row-sql';
import { readTableShape, reconcileShapes, type TableShape } from '../functions/shared/data-comparison/table-shape';
import { connectMysql } from '../functions/shared/mysql';

const LOCAL = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };
const SOURCE = 'bench_validation_source';
const TARGET = 'bench_validation_target';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive whole number`);
  return value;
}
const ROWS = option('rows', 2_000_000);
const CHUNK_ROWS = option('chunk-rows', 100_000);
const RUNS = option('runs', 3);
const JSON_OUTPUT = process.argv.includes('--json');
const WORKERS = [1, 2];
/** Rows changed, deleted and added on the target for (d): each kind spread over the table. */
const DIFFERENCES_PER_KIND = 10;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rowsPerSecond = (seconds: number) => Math.round(ROWS / seconds);
const rate = (seconds: number) => `${seconds.toFixed(2).padStart(7)} s ${rowsPerSecond(seconds).toLocaleString('en-US').padStart(11)} rows/s`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Median seconds of each measurement over interleaved rounds, after one warm-up of each. */
async function interleavedMedians(measurements: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const seconds: Record<string, number[]> = Object.fromEntries(Object.keys(measurements).map((name) => [name, []]));
  for (const work of Object.values(measurements)) await work();
  for (let round = 0; round < RUNS; round += 1) {
    for (const [name, work] of Object.entries(measurements)) seconds[name].push(await timed(work));
  }
  return Object.fromEntries(Object.entries(seconds).map(([name, runs]) => [name, median(runs)]));
}

async function createTables(admin: Connection): Promise<void> {
  for (const database of [SOURCE, TARGET]) {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
  }
  await admin.query(`CREATE TABLE ${SOURCE}.orders (
      id BIGINT UNSIGNED NOT NULL PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(16) NOT NULL,
      amount DECIMAL(12,2) NOT NULL, discount DOUBLE NULL, note VARCHAR(200) NULL,
      created_at DATETIME(6) NOT NULL, updated_at TIMESTAMP NULL
    ) ENGINE=InnoDB CHARACTER SET utf8mb4`);
  // Gaps in the key (every id is 3 * n + n % 2) so equal-width splitting alone would not do.
  for (let start = 1; start <= ROWS; start += 200_000) {
    const end = Math.min(ROWS, start + 199_999);
    await admin.query(`INSERT INTO ${SOURCE}.orders
      SELECT seq * 3 + seq % 2, seq % 50000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'), (seq % 100000) / 100,
             IF(seq % 3 = 0, NULL, (seq % 1000) / 7), IF(seq % 5 = 0, NULL, CONCAT('order note ', seq)),
             '2026-01-01 00:00:00' + INTERVAL seq SECOND, IF(seq % 9 = 0, NULL, '2026-06-01 00:00:00' + INTERVAL seq SECOND)
        FROM ${SOURCE}.seq_${start}_to_${end}`);
  }
  await admin.query(`CREATE TABLE ${TARGET}.orders LIKE ${SOURCE}.orders`);
  await admin.query(`INSERT INTO ${TARGET}.orders SELECT * FROM ${SOURCE}.orders`);
  await admin.query(`ANALYZE TABLE ${SOURCE}.orders, ${TARGET}.orders`);
}

/** Changes, deletes and adds DIFFERENCES_PER_KIND rows each on the target, spread over the key range. */
async function injectDifferences(admin: Connection): Promise<void> {
  const step = Math.floor(ROWS / (DIFFERENCES_PER_KIND + 1));
  const idOf = (seq: number) => seq * 3 + (seq % 2);
  for (let kind = 1; kind <= DIFFERENCES_PER_KIND; kind += 1) {
    await admin.query(`UPDATE ${TARGET}.orders SET note = CONCAT(COALESCE(note, ''), '!') WHERE id = ${idOf(kind * step)}`);
    await admin.query(`DELETE FROM ${TARGET}.orders WHERE id = ${idOf(kind * step + 7)}`);
    // id 3n + 2 is never used by the generator: a row only the target has.
    await admin.query(`INSERT INTO ${TARGET}.orders SELECT id + 2 - id % 3, customer_id, status, amount, discount, note, created_at, updated_at FROM ${TARGET}.orders WHERE id = ${idOf(kind * step + 11)}`);
  }
}

interface Sessions {
  source: Connection;
  target: Connection;
}

interface Outcome {
  chunks: number;
  differing: number;
  missingOnTarget: number;
  extraOnTarget: number;
  different: number;
}

/** What the workflow does: plan on the source, then workers take chunks from one queue. */
async function validate(shape: TableShape, salt: string, workers: Sessions[], planner: Connection): Promise<Outcome> {
  const ranges = await planRanges(planner, shape, await chunkRowsFor(planner, shape, CHUNK_ROWS));
  const queue: PlannedRange[] = [...ranges];
  const outcome: Outcome = { chunks: ranges.length, differing: 0, missingOnTarget: 0, extraOnTarget: 0, different: 0 };
  await Promise.all(
    workers.map(async ({ source, target }) => {
      for (let range = queue.shift(); range; range = queue.shift()) {
        const result = await compareChunk({ connection: source, shape }, targetSide(target, shape, TARGET), range, { salt });
        if (result.match) continue;
        outcome.differing += 1;
        outcome.missingOnTarget += result.differences?.missingOnTarget.count ?? 0;
        outcome.extraOnTarget += result.differences?.extraOnTarget.count ?? 0;
        outcome.different += result.differences?.different.count ?? 0;
      }
    }),
  );
  return outcome;
}

const run = promisify(execFile);

async function ptTableSyncInstalled(): Promise<boolean> {
  try {
    await run('pt-table-sync', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** pt-table-sync --print: finds the differing rows and prints the statements that would fix them, changing nothing. */
async function ptTableSync(): Promise<string> {
  const dsn = (database: string) => `h=${LOCAL.host},P=${LOCAL.port},u=${LOCAL.username},D=${database},t=orders`;
  try {
    return (await run('pt-table-sync', ['--print', dsn(SOURCE), dsn(TARGET)], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    // Exit status 2: some table differed (pt-table-sync, EXIT STATUS); the statements are on stdout.
    const failed = error as { code?: number; stdout?: string };
    if (failed.code === 2 && failed.stdout !== undefined) return failed.stdout;
    throw error;
  }
}

async function main(): Promise<void> {
  const admin = await connectMysql(LOCAL, 'admin');
  const say = (line: string) => console.log(line);
  say(`Creating ${ROWS.toLocaleString('en-US')} rows in ${SOURCE}.orders and ${TARGET}.orders ...`);
  say(`Setting up took ${(await timed(() => createTables(admin))).toFixed(1)} s`);
  const { shape } = reconcileShapes((await readTableShape(admin, SOURCE, 'orders')) as TableShape, (await readTableShape(admin, TARGET, 'orders')) as TableShape);
  const salt = newSalt();
  const sessions: Sessions[] = [];
  for (let index = 0; index < Math.max(...WORKERS); index += 1) {
    sessions.push({ source: await connectMysql(LOCAL, 'source'), target: await connectMysql(LOCAL, 'target') });
  }
  const [first] = sessions;
  const allColumns = shape.columns.map((column) => quoteName(column.name)).join(', ');
  const crcScan = (database: string) => `SELECT COUNT(*), BIT_XOR(CRC32(CONCAT_WS('#', ${allColumns}))) FROM ${database}.orders`;

  const identical = await interleavedMedians({
    rawScan: () => Promise.all([first.source.query(crcScan(SOURCE)), first.target.query(crcScan(TARGET))]),
    ...Object.fromEntries(WORKERS.map((workers) => [`workers${workers}`, () => validate(shape, salt, sessions.slice(0, workers), admin)])),
  });
  const chunks = (await planRanges(admin, shape, await chunkRowsFor(admin, shape, CHUNK_ROWS))).length;

  await injectDifferences(admin);
  const ptInstalled = await ptTableSyncInstalled();
  let located: Outcome | undefined;
  let ptStatements = 0;
  const withDifferences = await interleavedMedians({
    ours: async () => {
      located = await validate(shape, salt, sessions.slice(0, 1), admin);
    },
    ...(ptInstalled
      ? {
          ptTableSync: async () => {
            ptStatements = (await ptTableSync()).split('\n').filter((line) => /^(UPDATE|DELETE|INSERT|REPLACE)/.test(line)).length;
          },
        }
      : {}),
  });

  const rawScan = identical.rawScan;
  const ratios = Object.fromEntries(WORKERS.map((workers) => [String(workers), Number((rawScan / identical[`workers${workers}`]).toFixed(2))]));
  say(`\nMachine: ${cpus().length} cores, load average ${loadavg().map((load) => load.toFixed(1)).join(' / ')} (1/5/15 min) when done; shared with other work, so figures are indicative.`);
  say('Source and target share one server here, and each worker queries both at once: one worker already keeps two server threads busy.');
  say(`Rows: ${ROWS.toLocaleString('en-US')} per side; chunks of up to ${CHUNK_ROWS.toLocaleString('en-US')} rows, sized to the table -> ${chunks} chunks; median of ${RUNS} runs.`);
  say('\n(a) Baseline: one CRC32 scan over all columns, both sides at once');
  say(`  BIT_XOR(CRC32(CONCAT_WS(all columns)))   ${rate(rawScan)}`);
  say('\n(b) Our validator on identical data: plan + every chunk compared');
  for (const workers of WORKERS) say(`  ${workers} worker${workers > 1 ? 's' : ' '}                               ${rate(identical[`workers${workers}`])}`);
  say('\n(c) Validator rows/s divided by the baseline (goal: >= 0.70 with 1 worker)');
  for (const workers of WORKERS) say(`  ${workers} worker${workers > 1 ? 's' : ' '}: ${ratios[String(workers)].toFixed(2)}`);
  say(`\n(d) With ${DIFFERENCES_PER_KIND} rows changed, ${DIFFERENCES_PER_KIND} deleted and ${DIFFERENCES_PER_KIND} added on the target, end to end (rows located)`);
  say(
    `  ours, 1 worker                          ${rate(withDifferences.ours)}  (${located?.differing} of ${located?.chunks} chunks differ; located ${located?.different} different, ${located?.missingOnTarget} missing, ${located?.extraOnTarget} extra)`,
  );
  if (ptInstalled) {
    say(`  pt-table-sync --print                   ${rate(withDifferences.ptTableSync)}  (${ptStatements} statements printed)`);
    say(`  ours / pt-table-sync: ${(withDifferences.ptTableSync / withDifferences.ours).toFixed(2)}x (goal: >= 2x)`);
  } else {
    say('  pt-table-sync                           not installed (apt-get install percona-toolkit)');
  }

  for (const session of sessions) await Promise.all([session.source.end(), session.target.end()]);
  if (!process.argv.includes('--keep')) {
    for (const database of [SOURCE, TARGET]) await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  }
  await admin.end();
  if (JSON_OUTPUT) {
    console.log(
      JSON.stringify({
        rows: ROWS,
        rawScanRowsPerSecond: rowsPerSecond(rawScan),
        ptTableSyncRowsPerSecond: ptInstalled ? rowsPerSecond(withDifferences.ptTableSync) : null,
        rowsPerSecond: Object.fromEntries(WORKERS.map((workers) => [String(workers), rowsPerSecond(identical[`workers${workers}`])])),
        ratioVsRawScan: ratios,
        withDifferencesRowsPerSecond: rowsPerSecond(withDifferences.ours),
      }),
    );
  }
}

main().catch((error) => {
  console.error(error);
  // Open sessions would keep the process alive.
  process.exit(1);
});
