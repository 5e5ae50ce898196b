import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient, StartReplicationTaskCommand, StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { compareChunk, newSalt, targetSide } from '../../functions/shared/data-comparison/compare-chunk';
import { planRanges } from '../../functions/shared/data-comparison/key-ranges';
import { readTableShape, type TableShape } from '../../functions/shared/data-comparison/table-shape';
import { connectMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import { startAwsEmulator, type AwsEmulator } from '../../local/emulator/server';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { emulatedDms, emulatedEndpoints } from '../support/emulated-task';
import { TASK_ARN } from '../support/migration';

/**
 * The emulated DMS's ongoing replication on a MariaDB with a row-based binary log: the source schema and its
 * renamed copy on one throwaway server. Changes are read from the binlog and applied in commit order.
 */
const SOURCE = 'shop';
const TARGET = 'shop_target';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cdc-AbCdEf';
const LAG_SECONDS = 2;
jest.setTimeout(180_000);

let server: ThrowawayMariadb;
let credentials: DatabaseCredentials;
let admin: Connection;
let emulator: AwsEmulator;
const dms = () => new DatabaseMigrationServiceClient({ endpoint: emulator.url, maxAttempts: 1 });

/**
 * Resolves once `check` holds, or after 60 s (the assertions that follow then say what is missing). A check that
 * throws has not held yet: a table CDC is about to create does not exist until it does.
 */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const holds = () => check().catch(() => false);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !(await holds())) await new Promise((resolve) => setTimeout(resolve, 100));
}
const rows = async (sql: string) => (await admin.query<RowDataPacket[]>(sql))[0] as Array<Record<string, unknown>>;
const count = async (sql: string) => Number((await rows(sql))[0].n);

beforeAll(async () => {
  server = await startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'binlog-row-image': 'FULL', 'binlog-row-metadata': 'FULL', 'server-id': 1 });
  credentials = { host: server.host, port: server.port, username: server.user, password: server.password };
  admin = await connectMysql(credentials, 'source');
  await admin.query(`CREATE DATABASE ${SOURCE}`);
  await admin.query(`CREATE TABLE ${SOURCE}.order_lines (order_id INT NOT NULL, line_no INT NOT NULL, sku VARCHAR(20) NOT NULL, note TEXT NULL, PRIMARY KEY (order_id, line_no))`);
  await admin.query(`CREATE TABLE ${SOURCE}.audit_log (at DATETIME(6) NOT NULL, message VARCHAR(100) NULL)`);
  await admin.query(`CREATE TABLE ${SOURCE}.accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL)`);
  await admin.query(`CREATE TABLE ${SOURCE}.exact_values (
    id BIGINT UNSIGNED PRIMARY KEY, at DATETIME(6) NULL, stamped TIMESTAMP(6) NULL, amount DECIMAL(30,10) NULL, flags BIT(10) NULL,
    doc JSON NULL, raw VARBINARY(16) NULL, fixed BINARY(4) NULL, ratio DOUBLE NULL)`);
  const lines = Array.from({ length: 40 }, (_, index) => [1 + Math.floor(index / 4), 1 + (index % 4), `SKU-${index}`, index % 3 === 0 ? null : `note ${index} — ünïcode`]);
  await admin.query(`INSERT INTO ${SOURCE}.order_lines VALUES ?`, [lines]);
  await admin.query(`INSERT INTO ${SOURCE}.audit_log VALUES ?`, [Array.from({ length: 7 }, (_, index) => [`2026-11-25 0${index}:00:00.00000${index}`, index % 2 ? null : `event ${index}`])]);
  await admin.query(`INSERT INTO ${SOURCE}.accounts VALUES ?`, [Array.from({ length: 10 }, (_, index) => [index + 1, 1000])]);
  emulator = await startAwsEmulator({
    dms: {
      ...emulatedDms('cdc', emulatedEndpoints('cdc', { source: SECRET, target: SECRET }), {
        tableMappings: {
          rules: [
            { 'rule-type': 'selection', 'object-locator': { 'schema-name': SOURCE, 'table-name': '%' }, 'rule-action': 'include' },
            { 'rule-type': 'transformation', 'rule-target': 'schema', 'object-locator': { 'schema-name': SOURCE }, 'rule-action': 'rename', value: TARGET },
          ],
        },
      }),
      // Small batches: the load takes many round trips, so the writes below land while it runs.
      batchRows: 2,
    },
    target: { type: 'aurora-cluster', identifier: 'target', host: server.host, port: server.port, engineVersion: '8.0' },
    secrets: { [SECRET]: JSON.stringify(credentials) },
    cdcLatencySeconds: LAG_SECONDS,
  });
});

afterAll(async () => {
  await emulator?.close();
  await admin?.end();
  await server?.stop();
});

describe('emulated DMS ongoing replication from the binary log (real MariaDB)', () => {
  it('replays every change committed during the full load exactly once: none missed, none applied twice', async () => {
    await dms().send(new StartReplicationTaskCommand({ ReplicationTaskArn: TASK_ARN, StartReplicationTaskType: 'start-replication' }));
    // Keyless rows written while the load copies: a missed change or a change applied twice shows in the count.
    let written = 0;
    while (emulator.dms.describeTask().ReplicationTaskStats?.FullLoadProgressPercent !== 100) {
      await admin.query(`INSERT INTO ${SOURCE}.audit_log VALUES (NOW(6), ?)`, [`during the load ${written}`]);
      written += 1;
    }
    expect(written).toBeGreaterThan(0);
    await eventually(async () => (await count(`SELECT COUNT(*) AS n FROM ${TARGET}.audit_log`)) === 7 + written);
    expect(await count(`SELECT COUNT(*) AS n FROM ${TARGET}.audit_log`)).toBe(7 + written);
    expect(await count(`SELECT COUNT(DISTINCT message) AS n FROM ${TARGET}.audit_log WHERE message LIKE 'during the load %'`)).toBe(written);
  });

  it('applies inserts, updates and deletes on keyed and keyless tables, counts them, and leaves target-only changes alone', async () => {
    await admin.query(`UPDATE ${TARGET}.order_lines SET sku = 'EDITED-ON-TARGET' WHERE order_id = 7 AND line_no = 1`);
    const before = emulator.dms.describeTables().find((table) => table.TableName === 'order_lines')!;
    await admin.query(`INSERT INTO ${SOURCE}.order_lines VALUES (100, 1, 'SKU-NEW', NULL)`);
    await admin.query(`UPDATE ${SOURCE}.order_lines SET note = 'changed on the source' WHERE order_id = 1 AND line_no = 2`);
    await admin.query(`DELETE FROM ${SOURCE}.order_lines WHERE order_id = 2`);
    // Keyless: one of two identical rows changes, the other stays; a NULL column still finds its row.
    await admin.query(`INSERT INTO ${SOURCE}.audit_log VALUES ('2030-01-01 00:00:00.5', 'twin'), ('2030-01-01 00:00:00.5', 'twin')`);
    await admin.query(`UPDATE ${SOURCE}.audit_log SET message = 'one twin changed' WHERE message = 'twin' LIMIT 1`);
    await admin.query(`DELETE FROM ${SOURCE}.audit_log WHERE message IS NULL AND at = '2026-11-25 01:00:00.000001'`);
    await admin.query(`INSERT INTO ${SOURCE}.order_lines VALUES (101, 1, 'LAST', NULL)`);

    await eventually(async () => (await count(`SELECT COUNT(*) AS n FROM ${TARGET}.order_lines WHERE order_id = 101`)) === 1);
    expect(await rows(`SELECT sku, note FROM ${TARGET}.order_lines WHERE (order_id, line_no) IN ((100, 1), (1, 2), (7, 1)) ORDER BY order_id, line_no`)).toEqual([
      { sku: 'SKU-1', note: 'changed on the source' },
      { sku: 'EDITED-ON-TARGET', note: null },
      { sku: 'SKU-NEW', note: null },
    ]);
    expect(await count(`SELECT COUNT(*) AS n FROM ${TARGET}.order_lines WHERE order_id = 2`)).toBe(0);
    expect(await rows(`SELECT message FROM ${TARGET}.audit_log WHERE at = '2030-01-01 00:00:00.5' ORDER BY message`)).toEqual([{ message: 'one twin changed' }, { message: 'twin' }]);
    expect(await count(`SELECT COUNT(*) AS n FROM ${TARGET}.audit_log WHERE at = '2026-11-25 01:00:00.000001'`)).toBe(0);
    const lines = emulator.dms.describeTables().find((table) => table.TableName === 'order_lines')!;
    expect({ Inserts: lines.Inserts! - before.Inserts!, Updates: lines.Updates! - before.Updates!, Deletes: lines.Deletes! - before.Deletes! }).toEqual({ Inserts: 2, Updates: 1, Deletes: 4 });
  });

  it('applies interleaved transactions in commit order, each whole: when the marker is on the target, every earlier transaction is', async () => {
    const writers = await Promise.all([1, 2, 3, 4].map(() => connectMysql(credentials, 'source')));
    const transfers = 30;
    try {
      // Transfers between accounts from four sessions at once: each moves money in one transaction, so the
      // total only stays 10,000 on the target if every transaction is applied whole.
      await Promise.all(
        writers.map(async (writer, writerIndex) => {
          for (let transfer = 0; transfer < transfers; transfer += 1) {
            const from = 1 + ((writerIndex + transfer) % 10);
            const to = 1 + ((writerIndex * 3 + transfer + 1) % 10);
            await writer.query('START TRANSACTION');
            await writer.query(`INSERT INTO ${SOURCE}.order_lines VALUES (?, ?, 'TRANSFER', NULL)`, [1000 + writerIndex, transfer]);
            // Both accounts in one statement, locked in key order: concurrent transfers wait, never deadlock.
            await writer.query(`UPDATE ${SOURCE}.accounts SET balance = balance + IF(id = ?, 7, -7) WHERE id IN (?, ?)`, [to, from, to]);
            await writer.query('COMMIT');
          }
        }),
      );
    } finally {
      await Promise.all(writers.map((writer) => writer.end()));
    }
    await admin.query(`CREATE TABLE ${SOURCE}.cutover_marker (id INT PRIMARY KEY, written_at DATETIME(6) NOT NULL)`);
    await admin.query(`INSERT INTO ${SOURCE}.cutover_marker VALUES (1, NOW(6))`);

    // One consistent read of the target per poll: the marker, the transfers, the total.
    const observations: Array<{ marker: number; transfers: number; total: number }> = [];
    await eventually(async () => {
      const [observed] = await rows(
        `SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${TARGET}' AND TABLE_NAME = 'cutover_marker') AS marker,
                (SELECT COUNT(*) FROM ${TARGET}.order_lines WHERE sku = 'TRANSFER') AS transfers, (SELECT SUM(balance) FROM ${TARGET}.accounts) AS total`,
      );
      const marker = Number(observed.marker) === 1 ? await count(`SELECT COUNT(*) AS n FROM ${TARGET}.cutover_marker`) : 0;
      observations.push({ marker, transfers: Number(observed.transfers), total: Number(observed.total) });
      return marker === 1;
    });
    expect(observations.at(-1)).toEqual({ marker: 1, transfers: 4 * transfers, total: 10_000 });
    // Whole transactions at every moment, not only at the end.
    expect(observations.every((observation) => observation.total === 10_000)).toBe(true);
    expect(emulator.dms.describeTables().find((table) => table.TableName === 'cutover_marker')).toMatchObject({ TableState: 'Table completed', Inserts: 1, ValidationState: 'Validated' });
    expect(emulator.dms.describeCapture()).toMatchObject({ binlogPosition: expect.stringMatching(/^binlog\.\d+:\d+$/), appliedTransactions: expect.any(Number) });
    expect(emulator.dms.describeCapture()!.appliedTransactions).toBeGreaterThanOrEqual(4 * transfers + 1);
  });

  it('keeps exact values through the binlog: the independent comparison finds every row identical', async () => {
    await admin.query(`INSERT INTO ${SOURCE}.exact_values VALUES
      (18446744073709551615, '2026-11-25 03:04:05.123456', '2026-11-25 03:04:05.654321', '12345678901234567890.0123456789', b'1010101010', '{"big": 12345678901234567890, "x": [1.5]}', X'00FF10', X'0A0B', 0.1),
      (1, '1970-01-01 00:00:00.000001', NULL, '-0.0000000001', b'0', '[]', X'', X'00000000', -1.7976931348623157e308)`);
    await admin.query(`UPDATE ${SOURCE}.exact_values SET amount = amount + '0.0000000001', at = '2038-01-19 03:14:07.999999' WHERE id = 1`);
    await admin.query(`INSERT INTO ${SOURCE}.order_lines VALUES (102, 1, 'AFTER-EXACT', NULL)`);
    await eventually(async () => (await count(`SELECT COUNT(*) AS n FROM ${TARGET}.order_lines WHERE order_id = 102`)) === 1);

    // Not order_lines: a row of it was changed on the target alone, and CDC rightly left it so.
    for (const table of ['exact_values', 'accounts']) {
      const shape = (await readTableShape(admin, SOURCE, table)) as TableShape;
      for (const range of await planRanges(admin, shape, 1000)) {
        const comparison = await compareChunk({ connection: admin, shape }, targetSide(admin, shape, TARGET), range, { salt: newSalt() });
        expect({ table, match: comparison.match }).toEqual({ table, match: true });
      }
    }
    expect(await rows(`SELECT id, amount, HEX(flags) AS flags, HEX(raw) AS raw FROM ${TARGET}.exact_values ORDER BY id`)).toEqual([
      { id: '1', amount: '0.0000000000', flags: '0', raw: '' },
      { id: '18446744073709551615', amount: '12345678901234567890.0123456789', flags: '2AA', raw: '00FF10' },
    ]);
  });

  it('replicates ADD COLUMN (at the end) and DROP COLUMN and new tables, and not DROP TABLE, as DMS does for MySQL', async () => {
    await admin.query(`ALTER TABLE ${SOURCE}.order_lines ADD COLUMN gift_wrap TINYINT(1) NOT NULL DEFAULT 0 FIRST`);
    await admin.query(`INSERT INTO ${SOURCE}.order_lines (order_id, line_no, sku, gift_wrap) VALUES (103, 1, 'WRAPPED', 1)`);
    await admin.query(`ALTER TABLE ${SOURCE}.audit_log DROP COLUMN message`);
    await admin.query(`INSERT INTO ${SOURCE}.audit_log VALUES ('2031-01-01 00:00:00')`);
    await admin.query(`DROP TABLE ${SOURCE}.cutover_marker`);
    await admin.query(`CREATE TABLE ${SOURCE}.late_table (id INT PRIMARY KEY)`);
    await admin.query(`INSERT INTO ${SOURCE}.late_table VALUES (1)`);

    await eventually(async () => (await count(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${TARGET}' AND TABLE_NAME = 'late_table'`)) === 1);
    await eventually(async () => (await count(`SELECT COUNT(*) AS n FROM ${TARGET}.late_table`)) === 1);
    expect(await rows(`SELECT gift_wrap FROM ${TARGET}.order_lines WHERE order_id = 103`)).toEqual([{ gift_wrap: 1 }]);
    const targetColumns = async (table: string) =>
      (await rows(`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${TARGET}' AND TABLE_NAME = '${table}' ORDER BY ORDINAL_POSITION`)).map((row) => row.name);
    expect(await targetColumns('order_lines')).toEqual(['order_id', 'line_no', 'sku', 'note', 'gift_wrap']);
    expect(await targetColumns('audit_log')).toEqual(['at']);
    expect(await count(`SELECT COUNT(*) AS n FROM ${TARGET}.audit_log WHERE at = '2031-01-01 00:00:00'`)).toBe(1);
    expect(await count(`SELECT COUNT(*) AS n FROM ${TARGET}.cutover_marker`)).toBe(1);
    expect(emulator.dms.describeTables().find((table) => table.TableName === 'order_lines')).toMatchObject({ Ddls: 1 });
  });

  it('reports CDC latency to CloudWatch as measured from the binlog timestamps, and stops as DMS does', async () => {
    const cloudWatch = new CloudWatchClient({ endpoint: emulator.url, maxAttempts: 1 });
    const end = new Date(Date.now() + 60_000);
    const metric = (MetricName: string) => ({
      Id: MetricName.toLowerCase(),
      MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName, Dimensions: [{ Name: 'ReplicationTaskIdentifier', Value: TASK_ARN.split(':').pop() }] }, Period: 60, Stat: 'Maximum' },
    });
    const response = await cloudWatch.send(
      new GetMetricDataCommand({ StartTime: new Date(end.getTime() - 5 * 60_000), EndTime: end, MetricDataQueries: [metric('CDCLatencySource'), metric('CDCLatencyTarget')] }),
    );
    const [source, target] = response.MetricDataResults ?? [];
    // The task applies each change no earlier than LAG_SECONDS after its commit, and after reading it.
    expect(Math.max(...(target.Values ?? []))).toBeGreaterThanOrEqual(LAG_SECONDS);
    expect(Math.max(...(source.Values ?? []))).toBeLessThanOrEqual(Math.max(...(target.Values ?? [])));
    expect(target.Values?.length).toBeLessThanOrEqual(5);

    await dms().send(new StopReplicationTaskCommand({ ReplicationTaskArn: TASK_ARN }));
    await eventually(async () => emulator.dms.describeTask().Status === 'stopped');
    expect(emulator.dms.describeTask()).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
  });
});
