/**
 * Independent validation throughput on the local MariaDB (127.0.0.1:3306, root). Creates a table of
 * --rows rows (default 1,000,000) in a source and a target database, then prints rows/s for:
 *   (a) the physical baselines, each a single full pass over both sides at once: COUNT(*) over the primary
 *       key (the scan floor), CHECKSUM TABLE (the server's built-in CRC32 over each stored row, which cannot be
 *       compared across servers or row formats), and one aggregate pass of our own checksum over the whole
 *       table (the same hash and SQL as the validator, without chunking). Ratio (c) is taken against the last:
 *       it is the physical limit of this hash on this server;
 *   (b) our validator as deployed: plan by index dives, then chunks compared by 1, 2 and 4 workers, each with
 *       its own source and target session;
 *   (c) (b) / (a), and the time to locate one differing row among all rows.
 * Each figure is the median of --runs rounds (default 5), after one warm-up pass (buffer pool warm). A round
 * runs every measurement once, in turn, so load from other work on a shared machine falls on all of them alike.
 *
 *   npm run bench:validation
 *   npm run bench:validation -- --rows 200000 --chunk-rows 50000 --runs 5
 */
import { cpus } from 'node:os';
import type { Connection } from 'mysql2/promise';
import { aggregate, compareChunk, targetSide } from '../functions/shared/data-comparison/compare-chunk';
import { planRanges, type PlannedRange } from '../functions/shared/data-comparison/key-ranges';
import { WHOLE_TABLE } from '../functions/shared/data-comparison/row-sql';
import { readTableShape, type TableShape } from '../functions/shared/data-comparison/table-shape';
import { connectMysql } from '../functions/shared/mysql';

const LOCAL = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };
const SOURCE = 'bench_validation_source';
const TARGET = 'bench_validation_target';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}
const ROWS = option('rows', 1_000_000);
const CHUNK_ROWS = option('chunk-rows', 100_000);
const RUNS = option('runs', 5);
const WORKERS = [1, 2, 4];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (seconds: number) => `${Math.round(ROWS / seconds).toLocaleString('en-US').padStart(11)} rows/s`;

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

interface Sessions {
  source: Connection;
  target: Connection;
}

async function validate(shape: TableShape, workers: Sessions[], planner: Connection): Promise<{ chunks: number; mismatched: PlannedRange[]; located: string[][] }> {
  const ranges = await planRanges(planner, shape, CHUNK_ROWS);
  const queue: PlannedRange[] = [...ranges];
  const mismatched: PlannedRange[] = [];
  const located: string[][] = [];
  await Promise.all(
    workers.map(async ({ source, target }) => {
      for (let range = queue.shift(); range; range = queue.shift()) {
        const result = await compareChunk({ connection: source, shape }, targetSide(target, shape, TARGET), range);
        if (!result.match) {
          mismatched.push(range);
          located.push(...(result.differences?.different.keys ?? []));
        }
      }
    }),
  );
  return { chunks: ranges.length, mismatched, located };
}

async function main(): Promise<void> {
  const admin = await connectMysql(LOCAL, 'admin');
  console.log(`Creating ${ROWS.toLocaleString('en-US')} rows in ${SOURCE}.orders and ${TARGET}.orders ...`);
  console.log(`Setting up took ${(await timed(() => createTables(admin))).toFixed(1)} s`);
  const shape = (await readTableShape(admin, SOURCE, 'orders')) as TableShape;
  const sessions: Sessions[] = [];
  for (let index = 0; index < Math.max(...WORKERS); index += 1) {
    sessions.push({ source: await connectMysql(LOCAL, 'source'), target: await connectMysql(LOCAL, 'target') });
  }
  const [first] = sessions;
  const targetShape = { ...shape, schema: TARGET };

  const validateWith = (workers: number) => () => validate(shape, sessions.slice(0, workers), admin);
  const medians = await interleavedMedians({
    countScan: () =>
      Promise.all([first.source.query(`SELECT COUNT(*) FROM ${SOURCE}.orders FORCE INDEX (PRIMARY)`), first.target.query(`SELECT COUNT(*) FROM ${TARGET}.orders FORCE INDEX (PRIMARY)`)]),
    checksumTable: () => Promise.all([first.source.query(`CHECKSUM TABLE ${SOURCE}.orders`), first.target.query(`CHECKSUM TABLE ${TARGET}.orders`)]),
    singlePass: () => Promise.all([aggregate({ connection: first.source, shape }, WHOLE_TABLE), aggregate({ connection: first.target, shape: targetShape }, WHOLE_TABLE)]),
    plan: () => planRanges(admin, shape, CHUNK_ROWS),
    ...Object.fromEntries(WORKERS.map((workers) => [`workers${workers}`, validateWith(workers)])),
  });
  const { countScan, checksumTable, singlePass, plan: planSeconds } = medians;
  const chunks = (await planRanges(admin, shape, CHUNK_ROWS)).length;

  console.log(`\nMachine: ${cpus().length} cores, shared with other work while this ran: figures are indicative, not exclusive.`);
  console.log('Source and target share one server here, and each worker queries both at once: one worker already keeps two server threads busy.');
  console.log(`Rows: ${ROWS.toLocaleString('en-US')} per side; chunk target ${CHUNK_ROWS.toLocaleString('en-US')} rows -> ${chunks} chunks; median of ${RUNS} runs.`);
  console.log('\n(a) Physical baselines, both sides scanned at once');
  console.log(`  COUNT(*) over the primary key         ${countScan.toFixed(2).padStart(7)} s ${rate(countScan)}`);
  console.log(`  CHECKSUM TABLE                        ${checksumTable.toFixed(2).padStart(7)} s ${rate(checksumTable)}`);
  console.log(`  one pass of our checksum, whole table ${singlePass.toFixed(2).padStart(7)} s ${rate(singlePass)}`);
  console.log(`\n(b) Our validator: plan (${(planSeconds * 1000).toFixed(0)} ms, ${chunks} chunks) + chunk comparisons`);
  const results = WORKERS.map((workers) => ({ workers, seconds: medians[`workers${workers}`] }));
  for (const { workers, seconds } of results) {
    console.log(`  ${workers} worker${workers > 1 ? 's' : ' '}                             ${seconds.toFixed(2).padStart(7)} s ${rate(seconds)}`);
  }
  console.log('\n(c) Validator rows/s divided by baseline rows/s (target: >= 0.70 of one checksum pass with 1 worker)');
  for (const { workers, seconds } of results) {
    console.log(
      `  ${workers} worker${workers > 1 ? 's' : ' '}: ${(singlePass / seconds).toFixed(2)} of one checksum pass, ${(checksumTable / seconds).toFixed(2)} of CHECKSUM TABLE; speed-up over 1 worker ${(results[0].seconds / seconds).toFixed(2)}x`,
    );
  }

  const changedId = (Math.floor(ROWS / 2) * 3 + (Math.floor(ROWS / 2) % 2)).toString();
  await admin.query(`UPDATE ${TARGET}.orders SET note = CONCAT(COALESCE(note, ''), '!') WHERE id = ${changedId}`);
  let outcome: Awaited<ReturnType<typeof validate>> = { chunks: 0, mismatched: [], located: [] };
  const withDifference = await timed(async () => {
    outcome = await validate(shape, sessions.slice(0, 1), admin);
  });
  const [differing] = outcome.mismatched;
  const sides = [{ connection: first.source, shape }, targetSide(first.target, shape, TARGET)] as const;
  const compareOnly = await timed(() => Promise.all(sides.map((side) => aggregate(side, differing))));
  const compareAndLocate = await timed(() => compareChunk(...sides, differing));
  const located = outcome.located.map((key) => key.join(',')).join(' ');
  console.log(
    `\nOne differing row (id ${changedId}) among ${ROWS.toLocaleString('en-US')}: found ${located || 'nothing'} in ${withDifference.toFixed(2)} s with 1 worker, whole comparison included (${outcome.mismatched.length} of ${outcome.chunks} chunks differed).`,
  );
  console.log(`  In the differing chunk of ~${differing.estimatedRows.toLocaleString('en-US')} rows: ${compareOnly.toFixed(2)} s to compare it, ${compareAndLocate.toFixed(2)} s to compare it and locate the row.`);

  for (const session of sessions) await Promise.all([session.source.end(), session.target.end()]);
  if (!process.argv.includes('--keep')) {
    for (const database of [SOURCE, TARGET]) await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  }
  await admin.end();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
