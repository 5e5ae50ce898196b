import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createConnection, type Connection } from 'mysql2/promise';
import { compareDataChunk } from '../../functions/compare-data-chunk/compare-data-chunk';
import { planDataComparison } from '../../functions/plan-data-comparison/plan-data-comparison';
import { reportDataComparison } from '../../functions/report-data-comparison/report-data-comparison';
import { chunksKey, type ChunkItem } from '../../functions/shared/data-comparison/comparison-run';
import { migrationConfig, migrationInput } from '../support/migration';
import { HAPPY_PATH, LocalAws } from '../support/local-aws';

/**
 * The three comparison functions' cores against the shared MariaDB, with S3 and Secrets Manager faked as in
 * the workflow tests: tables that cannot be compared column for column, a key whose collation differs, and a
 * chunk list too large to travel in the state.
 */
process.env.PLANS_BUCKET ??= 'orders-migration-plans';
const SOURCE = `cf_source_${process.pid}`;
const TARGET = `cf_target_${process.pid}`;
const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf';
const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf';
const CREDENTIALS = JSON.stringify({ host: '127.0.0.1', port: 3306, username: 'root', password: '' });
const BUCKET = 'orders-migration-plans';

const config = migrationConfig({
  database: { sourceSecretArn: SOURCE_SECRET, targetSecretArn: TARGET_SECRET, schemas: [SOURCE], targetSchemas: { [SOURCE]: TARGET }, tls: 'disabled' },
  independentValidation: { chunkRows: 1000, confirmAfterSeconds: 0 },
}) as Parameters<typeof planDataComparison>[2];

let admin: Connection;
let aws: LocalAws;
const clients = () => ({ secretsManager: new SecretsManagerClient({}), s3: new S3Client({}) });

async function compareAll(chunks: ChunkItem[]) {
  for (const chunk of chunks) await compareDataChunk(clients(), BUCKET, config, chunk);
}

beforeAll(async () => {
  aws = new LocalAws({ ...HAPPY_PATH, databaseSecrets: { [SOURCE_SECRET]: CREDENTIALS, [TARGET_SECRET]: CREDENTIALS } });
  admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
  await admin.query(`CREATE DATABASE ${SOURCE}; CREATE DATABASE ${TARGET}; USE ${SOURCE};
    CREATE TABLE ${SOURCE}.accounts (code VARCHAR(20) PRIMARY KEY, owner VARCHAR(20)) COLLATE utf8mb4_general_ci;
    CREATE TABLE ${TARGET}.accounts (code VARCHAR(20) PRIMARY KEY, owner VARCHAR(20)) COLLATE utf8mb4_bin;
    INSERT INTO ${SOURCE}.accounts SELECT CONCAT('acct-', seq), CONCAT('owner ', seq) FROM seq_1_to_3000;
    INSERT INTO ${TARGET}.accounts SELECT * FROM ${SOURCE}.accounts;
    CREATE TABLE ${SOURCE}.invoices (id INT PRIMARY KEY, total DECIMAL(10,2), memo VARCHAR(20));
    CREATE TABLE ${TARGET}.invoices (id INT PRIMARY KEY, total DECIMAL(10,2));
    CREATE TABLE ${SOURCE}.legacy (id INT PRIMARY KEY);
    CREATE TABLE ${SOURCE}.ledger (posted DATE, amount INT);
    CREATE TABLE ${TARGET}.ledger (posted DATE, amount INT);
    INSERT INTO ${SOURCE}.ledger VALUES ('2026-01-01', 5), ('2026-01-02', 7);
    INSERT INTO ${TARGET}.ledger VALUES ('2026-01-01', 5), ('2026-01-02', 8);`);
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${SOURCE}; DROP DATABASE IF EXISTS ${TARGET}`);
  await admin.end();
  aws.restore();
});

describe('data comparison functions on a real MariaDB', () => {
  it('plans each table the way it can be compared, and keeps a large chunk list in S3 only', async () => {
    const plan = await planDataComparison(clients(), BUCKET, config, 'run-1', 100);
    expect(plan).toMatchObject({ runId: 'run-1', tableCount: 4, chunkCount: 2, inline: false, chunks: [], chunksKey: 'runs/run-1/chunks.json', maxConcurrency: 4 });
    expect(JSON.parse(aws.objects.get(chunksKey('run-1')) as string)).toHaveLength(2);
    const tables = [0, 1, 2, 3].map((index) => JSON.parse(aws.objects.get(`runs/run-1/tables/${index}.json`) as string));
    expect(tables.map((table) => [table.table, table.method, table.chunkCount, table.note])).toEqual([
      ['accounts', 'whole-table-by-key', 1, 'key collation differs on the target (code: utf8mb4_general_ci -> utf8mb4_bin): compared as one chunk, rows located only up to 200,000 rows'],
      ['invoices', 'not-compared', 0, 'target lacks memo'],
      ['ledger', 'whole-table-without-key', 1, 'no primary or unique key: row count and checksum of the whole table only; differing rows cannot be located'],
      ['legacy', 'not-compared', 0, `${TARGET}.legacy does not exist on the target`],
    ]);
  });

  it('reports every table that differs or could not be compared, in one error', async () => {
    // accounts' key collation differs: its rows are located from whole key lists, never from key ranges.
    await admin.query(`UPDATE ${TARGET}.accounts SET owner = 'someone else' WHERE code = 'acct-5'`);
    const plan = await planDataComparison(clients(), BUCKET, config, 'run-2');
    expect(plan.inline).toBe(true);
    await compareAll(plan.chunks);
    await admin.query(`UPDATE ${TARGET}.accounts SET owner = 'owner 5' WHERE code = 'acct-5'`);
    const report = reportDataComparison(new S3Client({}), BUCKET, { runId: 'run-2', tableCount: plan.tableCount, maxReportedKeys: 20 });
    await expect(report).rejects.toMatchObject({
      name: 'DataMismatch',
      message: `4 of 4 tables differ between source and target: ${SOURCE}.accounts: 1 different (code=acct-5); ${SOURCE}.invoices: not compared, target lacks memo; ${SOURCE}.ledger: 2 rows on the source, 2 on the target, checksums differ (no primary or unique key: row count and checksum of the whole table only; differing rows cannot be located); ${SOURCE}.legacy: not compared, ${TARGET}.legacy does not exist on the target. Full report: s3://${BUCKET}/runs/run-2/report.json`,
    });
    const stored = JSON.parse(aws.objects.get('runs/run-2/report.json') as string);
    expect(stored.tables[0]).toMatchObject({ table: `${SOURCE}.accounts`, status: 'mismatch', sourceRows: 3000, targetRows: 3000 });
  });

  it('says which tables lack chunk results instead of passing them', async () => {
    const plan = await planDataComparison(clients(), BUCKET, config, 'run-3');
    await expect(reportDataComparison(new S3Client({}), BUCKET, { runId: 'run-3', tableCount: 1, maxReportedKeys: 20 })).rejects.toThrow(
      `${SOURCE}.accounts: only 0 of 1 chunks have a result`,
    );
    expect(plan.chunkCount).toBe(2);
  });

  it.each([
    ['check-readiness', {}],
    ['plan-data-comparison', { runId: 'run-4' }],
    ['compare-data-chunk', { chunk: { runId: 'run-4', tableIndex: 0, chunkIndex: 0, lower: null, upper: null } }],
  ])('%s refuses an input without the database block', async (phase, event) => {
    // Imported here: handlers read PLANS_BUCKET when they load.
    const { handler } = (await import(`../../functions/${phase}/handler`)) as { handler: (event: unknown) => Promise<unknown> };
    await expect(handler({ config: migrationInput(), ...event })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('database block') });
  });
});

describe('schema differences between the sides, on a real MariaDB', () => {
  const SOURCE_DB = `cs_source_${process.pid}`;
  const TARGET_DB = `cs_target_${process.pid}`;
  const shapesConfig = migrationConfig({
    database: { sourceSecretArn: SOURCE_SECRET, targetSecretArn: TARGET_SECRET, schemas: [SOURCE_DB], targetSchemas: { [SOURCE_DB]: TARGET_DB }, tls: 'disabled' },
    independentValidation: { chunkRows: 1000, confirmAfterSeconds: 0 },
  }) as Parameters<typeof planDataComparison>[2];

  beforeAll(async () => {
    await admin.query(`CREATE DATABASE ${SOURCE_DB}; CREATE DATABASE ${TARGET_DB};
      CREATE TABLE ${SOURCE_DB}.prices (amount DECIMAL(10,2) NOT NULL PRIMARY KEY, label VARCHAR(20));
      CREATE TABLE ${TARGET_DB}.prices (amount DECIMAL(12,4) NOT NULL PRIMARY KEY, label VARCHAR(20));
      INSERT INTO ${SOURCE_DB}.prices SELECT seq / 4, CONCAT('p', seq) FROM seq_1_to_5000;
      INSERT INTO ${TARGET_DB}.prices SELECT * FROM ${SOURCE_DB}.prices;
      CREATE TABLE ${SOURCE_DB}.events (happened DATETIME NOT NULL PRIMARY KEY, kind VARCHAR(10));
      CREATE TABLE ${TARGET_DB}.events (happened DATETIME(6) NOT NULL PRIMARY KEY, kind VARCHAR(10));
      INSERT INTO ${SOURCE_DB}.events SELECT '2026-01-01' + INTERVAL seq MINUTE, 'k' FROM seq_1_to_4000;
      INSERT INTO ${TARGET_DB}.events SELECT * FROM ${SOURCE_DB}.events;
      CREATE TABLE ${SOURCE_DB}.members (email VARCHAR(40) NOT NULL, name VARCHAR(20) CHARACTER SET latin1, UNIQUE KEY by_email (email));
      CREATE TABLE ${TARGET_DB}.members (email VARCHAR(40) NOT NULL, name VARCHAR(20) CHARACTER SET utf8mb4);
      INSERT INTO ${SOURCE_DB}.members SELECT CONCAT('m', seq, '@example.com'), CONCAT('Zoë ', seq) FROM seq_1_to_300;
      INSERT INTO ${TARGET_DB}.members SELECT * FROM ${SOURCE_DB}.members;
      CREATE TABLE ${SOURCE_DB}.notes (id INT PRIMARY KEY, body VARCHAR(10));
      CREATE TABLE ${TARGET_DB}.notes (id INT PRIMARY KEY, body VARCHAR(10), added INT);
      CREATE TABLE ${TARGET_DB}.stray (id INT PRIMARY KEY);
      CREATE TABLE ${SOURCE_DB}.sizes (size ENUM('small', 'large', 'medium') NOT NULL PRIMARY KEY, stock INT);
      CREATE TABLE ${TARGET_DB}.sizes (size ENUM('small', 'large', 'medium') NOT NULL PRIMARY KEY, stock INT);
      INSERT INTO ${SOURCE_DB}.sizes VALUES ('small', 1), ('large', 2), ('medium', 3);
      INSERT INTO ${TARGET_DB}.sizes VALUES ('small', 1), ('large', 2), ('medium', 4);`);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${SOURCE_DB}; DROP DATABASE IF EXISTS ${TARGET_DB}`);
  });

  it('names a table and a column that exist only on the target, a missing key, and compares keys of another precision by value', async () => {
    await admin.query(`UPDATE ${TARGET_DB}.prices SET label = 'changed' WHERE amount = 600.25;
      UPDATE ${TARGET_DB}.events SET kind = 'changed' WHERE happened = '2026-01-02 10:00:00'`);
    const plan = await planDataComparison(clients(), BUCKET, shapesConfig, 'shapes-1');
    const tables = [0, 1, 2, 3, 4, 5].map((index) => JSON.parse(aws.objects.get(`runs/shapes-1/tables/${index}.json`) as string));
    expect(tables.map((table) => [table.table, table.method, table.problem, table.note])).toEqual([
      ['events', 'key-ranges', undefined, 'column types differ on the target (happened datetime -> datetime(6)): compared by value'],
      ['members', 'whole-table-without-key', 'key-missing-on-target', 'key missing on target (by_email on email): row count and checksum of the whole table only; differing rows cannot be located'],
      ['notes', 'not-compared', 'columns-differ', 'target adds added'],
      ['prices', 'key-ranges', undefined, 'column types differ on the target (amount decimal(10,2) -> decimal(12,4)): compared by value'],
      ['sizes', 'whole-table-by-key', undefined, 'key column size is an ENUM or SET, ordered by number but compared by label: compared as one chunk, rows located only up to 200,000 rows'],
      ['stray', 'not-compared', 'only-on-target', `${TARGET_DB}.stray exists only on the target`],
    ]);
    await compareAll(plan.chunks);
    const report = reportDataComparison(new S3Client({}), BUCKET, { runId: 'shapes-1', tableCount: plan.tableCount, maxReportedKeys: 20 });
    await expect(report).rejects.toMatchObject({ name: 'DataMismatch' });
    const stored = JSON.parse(aws.objects.get('runs/shapes-1/report.json') as string);
    const byTable = Object.fromEntries(stored.tables.map((table: { table: string }) => [table.table.split('.')[1], table]));
    // One changed row each: not every key "missing" on one side and "extra" on the other.
    expect(byTable.prices).toMatchObject({ status: 'mismatch', sourceRows: 5000, missingOnTarget: { count: 0 }, extraOnTarget: { count: 0 }, different: { count: 1, keys: [['600.2500']] } });
    expect(byTable.events).toMatchObject({ status: 'mismatch', missingOnTarget: { count: 0 }, extraOnTarget: { count: 0 }, different: { count: 1, keys: [['2026-01-02 10:00:00.000000']] } });
    // latin1 on the source, utf8mb4 on the target: the same text, hashed as the same utf8mb4 bytes.
    expect(byTable.members).toMatchObject({ status: 'match', sourceRows: 300, targetRows: 300 });
    expect(byTable.sizes).toMatchObject({ status: 'mismatch', different: { count: 1, keys: [['medium']] } });
    expect(stored.totals).toEqual({
      tableCount: 6,
      comparedTables: 4,
      notComparedTables: 2,
      differingTables: 3,
      sourceRows: 9303,
      targetRows: 9303,
      differences: { missingOnTarget: 0, extraOnTarget: 0, different: 3 },
      weakerCases: [
        { table: `${SOURCE_DB}.members`, method: 'whole-table-without-key', note: tables[1].note },
        { table: `${SOURCE_DB}.sizes`, method: 'whole-table-by-key', note: tables[4].note },
      ],
    });
  });
});
