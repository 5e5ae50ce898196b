import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import type { Connection } from 'mysql2/promise';
import { connectMysql } from '../../functions/shared/mysql';
import type { DmsEvent } from '../../local/emulator/dms/definitions';
import { startAwsEmulator, type AwsEmulator } from '../../local/emulator/server';
import { emulatedDms, emulatedEndpoints } from '../support/emulated-task';
import { TASK_ARN } from '../support/migration';

/**
 * The emulated DMS against the shared MariaDB: what its full load and validation really do to the data.
 * Ongoing replication needs a binary log: see emulated-dms-cdc.test.ts.
 */
const LOCAL = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };
const SOURCE = `emulated_dms_source_${process.pid}`;
const TARGET = `emulated_dms_target_${process.pid}`;
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:local-AbCdEf';

/** An emulator whose task copies SOURCE into TARGET (schema renamed), skipping tables named skip%. */
function startCopyingEmulator(migrationType: 'full-load' | 'full-load-and-cdc', taskArn: string): Promise<AwsEmulator> {
  return startAwsEmulator({
    dms: {
      ...emulatedDms('emulated', emulatedEndpoints('emulated', { source: SECRET, target: SECRET }), {
        replicationTaskArn: taskArn,
        migrationType,
        tableMappings: {
          rules: [
            { 'rule-type': 'selection', 'object-locator': { 'schema-name': SOURCE, 'table-name': '%' }, 'rule-action': 'include' },
            { 'rule-type': 'selection', 'object-locator': { 'schema-name': SOURCE, 'table-name': 'skip%' }, 'rule-action': 'exclude' },
            { 'rule-type': 'transformation', 'rule-target': 'schema', 'object-locator': { 'schema-name': SOURCE }, 'rule-action': 'rename', value: TARGET },
          ],
        },
      }),
      batchRows: 10,
    },
    target: { type: 'aurora-cluster', identifier: 'target', host: '127.0.0.1', port: 3306, engineVersion: '8.0' },
    secrets: { [SECRET]: JSON.stringify(LOCAL) },
    onDmsEvent: (event) => events.push(event),
  });
}

let admin: Connection;
let emulator: AwsEmulator;
const events: DmsEvent[] = [];
const dms = () => new DatabaseMigrationServiceClient({ endpoint: emulator.url, maxAttempts: 1 });

beforeAll(async () => {
  admin = await connectMysql(LOCAL, 'source');
  await admin.query(`CREATE DATABASE ${SOURCE}`);
  await admin.query(`CREATE TABLE ${SOURCE}.order_lines (order_id INT NOT NULL, line_no INT NOT NULL, sku VARCHAR(20) NOT NULL, note TEXT NULL, PRIMARY KEY (order_id, line_no))`);
  await admin.query(`CREATE TABLE ${SOURCE}.audit_log (at DATETIME NOT NULL, message VARCHAR(100) NULL)`);
  await admin.query(`CREATE TABLE ${SOURCE}.skipped (id INT PRIMARY KEY)`);
  // Values a careless reader changes: a FLOAT the text protocol prints with 6 digits, JSON parsed into an object.
  await admin.query(`CREATE TABLE ${SOURCE}.readings (id INT PRIMARY KEY, weight FLOAT NULL, ratio DOUBLE NULL, details JSON NULL)`);
  await admin.query(`INSERT INTO ${SOURCE}.readings VALUES (1, 0.14285715, 0.1, '{"tags": ["ü"], "n": 1}'), (2, 3.4e38, 4.9e-324, NULL), (3, NULL, ${Math.PI}, '[]')`);
  const lines = Array.from({ length: 25 }, (_, index) => [1 + Math.floor(index / 4), 1 + (index % 4), `SKU-${index}`, index % 3 === 0 ? null : `note ${index} — ünïcode`]);
  await admin.query(`INSERT INTO ${SOURCE}.order_lines VALUES ?`, [lines]);
  await admin.query(`INSERT INTO ${SOURCE}.audit_log VALUES ?`, [Array.from({ length: 7 }, (_, index) => [`2026-11-25 0${index}:00:00`, index % 2 ? null : `event ${index}`])]);
  emulator = await startCopyingEmulator('full-load', TASK_ARN);
});

afterAll(async () => {
  await emulator.close();
  await admin.query(`DROP DATABASE IF EXISTS ${SOURCE}`);
  await admin.query(`DROP DATABASE IF EXISTS ${TARGET}`);
  await admin.end();
});

describe('emulated DMS full load (real MariaDB)', () => {
  it('refuses to resume a task that never ran, and to stop a task that is not running', async () => {
    await expect(dms().send(new StartReplicationTaskCommand({ ReplicationTaskArn: TASK_ARN, StartReplicationTaskType: 'resume-processing' }))).rejects.toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    await expect(dms().send(new StopReplicationTaskCommand({ ReplicationTaskArn: TASK_ARN }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
  });

  it('copies the selected tables into the renamed schema in batches, stops as a full-load task does, and validates by key', async () => {
    const started = await dms().send(new StartReplicationTaskCommand({ ReplicationTaskArn: TASK_ARN, StartReplicationTaskType: 'start-replication' }));
    expect(started.ReplicationTask?.Status).toBe('starting');
    await emulator.dms.settled();

    const [task] = (await dms().send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }] }))).ReplicationTasks ?? [];
    expect(task).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED', ReplicationTaskStats: { FullLoadProgressPercent: 100, TablesLoaded: 3, TablesErrored: 0 } });
    const tables = (await dms().send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: TASK_ARN }))).TableStatistics ?? [];
    expect(tables.map(({ SchemaName, TableName, FullLoadRows, TableState, ValidationState }) => ({ SchemaName, TableName, FullLoadRows, TableState, ValidationState }))).toEqual([
      // DMS validation needs a primary key or a unique index over NOT NULL columns.
      { SchemaName: TARGET, TableName: 'audit_log', FullLoadRows: 7, TableState: 'Table completed', ValidationState: 'No primary key' },
      { SchemaName: TARGET, TableName: 'order_lines', FullLoadRows: 25, TableState: 'Table completed', ValidationState: 'Validated' },
      { SchemaName: TARGET, TableName: 'readings', FullLoadRows: 3, TableState: 'Table completed', ValidationState: 'Validated' },
    ]);
    const [identical] = await admin.query(
      `SELECT COUNT(*) AS count FROM ${SOURCE}.readings s JOIN ${TARGET}.readings t USING (id) WHERE s.weight <=> t.weight AND s.ratio <=> t.ratio AND s.details <=> t.details`,
    );
    expect(identical).toEqual([{ count: '3' }]);

    const [copied] = await admin.query(`SELECT * FROM ${TARGET}.order_lines ORDER BY order_id, line_no`);
    const [original] = await admin.query(`SELECT * FROM ${SOURCE}.order_lines ORDER BY order_id, line_no`);
    expect(copied).toEqual(original);
    const [auditRows] = await admin.query(`SELECT COUNT(*) AS count FROM ${TARGET}.audit_log WHERE message IS NULL`);
    // Values are strings: the session returns BIGINT as strings, so nothing is rounded.
    expect(auditRows).toEqual([{ count: '3' }]);
    const [skipped] = await admin.query(`SELECT COUNT(*) AS count FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'skipped'`, [TARGET]);
    expect(skipped).toEqual([{ count: '0' }]);

    expect(events.map((event) => event.detail.eventType)).toEqual(['REPLICATION_TASK_STARTED', 'REPLICATION_TASK_STOPPED']);
    expect(events[1]).toMatchObject({ source: 'aws.dms', 'detail-type': 'DMS Replication Task State Change', resources: [TASK_ARN], detail: { eventId: 'DMS-EVENT-0079', detailMessage: 'Stop Reason FULL_LOAD_ONLY_FINISHED' } });
  });
});
