import {
  CreateReplicationTaskCommand,
  DatabaseMigrationServiceClient,
  DeleteReplicationTaskCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
  type ReplicationTask,
} from '@aws-sdk/client-database-migration-service';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { readBinlogPosition } from '../../functions/cutover/binlog';
import { dmsResourceId } from '../../functions/shared/dms';
import { startAwsEmulator, type AwsEmulator } from '../../local/emulator/server';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { emulatedDms, emulatedEndpoints, pointClientsAt } from '../support/emulated-task';
import { REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN } from '../support/migration';

/**
 * The tasks the cutover creates for the way back: CreateReplicationTask, a CDC-only start at a
 * CdcStartPosition, StopReplicationTask and DeleteReplicationTask, spoken to by the real SDK client. The
 * task replicates between two schemas of a throwaway MariaDB with a binary log (a schema rename rule keeps
 * them apart), from the binlog position read before the changes.
 */
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared-AbCdEf';
const SOURCE_SCHEMA = `emu_created_src_${process.pid}`;
const TARGET_SCHEMA = `emu_created_tgt_${process.pid}`;
const MAPPINGS = {
  rules: [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'object-locator': { 'schema-name': SOURCE_SCHEMA, 'table-name': '%' }, 'rule-action': 'include' },
    { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'rename', 'rule-target': 'schema', 'object-locator': { 'schema-name': SOURCE_SCHEMA }, 'rule-action': 'rename', value: TARGET_SCHEMA },
  ],
};

let server: ThrowawayMariadb;
let emulator: AwsEmulator;
let admin: Connection;
let restoreEndpoint: () => void;
const dms = new DatabaseMigrationServiceClient({ maxAttempts: 1 });

beforeAll(async () => {
  server = await startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'binlog-row-image': 'FULL', 'server-id': 1 });
  admin = await createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
  for (const schema of [SOURCE_SCHEMA, TARGET_SCHEMA]) {
    await admin.query(`DROP DATABASE IF EXISTS ${schema}`);
    await admin.query(`CREATE DATABASE ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.orders (id INT PRIMARY KEY, status VARCHAR(20) NOT NULL)`);
  }
  // Rows both sides already hold when the task starts, one of them different on the target.
  await admin.query(`INSERT INTO ${SOURCE_SCHEMA}.orders VALUES (1, 'paid'), (2, 'paid')`);
  await admin.query(`INSERT INTO ${TARGET_SCHEMA}.orders VALUES (1, 'paid'), (2, 'kept on target')`);
  emulator = await startAwsEmulator({
    dms: emulatedDms('shop', emulatedEndpoints('shop', { source: SECRET, target: SECRET })),
    target: { type: 'aurora-cluster', identifier: 'shop-aurora', host: server.host, port: server.port, engineVersion: '8.0.mysql_aurora.3.08.0' },
    secrets: { [SECRET]: JSON.stringify({ engine: 'mysql', host: server.host, port: server.port, username: server.user, password: server.password }) },
    faults: {},
  });
  restoreEndpoint = pointClientsAt(emulator.url);
});

afterAll(async () => {
  restoreEndpoint();
  await emulator.close();
  await admin.end();
  await server.stop();
});

const byIdentifier = async (identifier: string): Promise<ReplicationTask | undefined> =>
  (await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-id', Values: [identifier] }], WithoutSettings: true }))).ReplicationTasks?.[0];

async function statusBecomes(identifier: string, wanted: string): Promise<ReplicationTask> {
  for (;;) {
    const task = await byIdentifier(identifier);
    if (task?.Status === wanted) return task;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function targetRows(): Promise<Array<{ id: number; status: string }>> {
  const [rows] = await admin.query<RowDataPacket[]>(`SELECT id, status FROM ${TARGET_SCHEMA}.orders ORDER BY id`);
  return rows as Array<{ id: number; status: string }>;
}

const create = (identifier: string) =>
  dms.send(
    new CreateReplicationTaskCommand({
      ReplicationTaskIdentifier: identifier,
      SourceEndpointArn: SOURCE_ENDPOINT_ARN,
      TargetEndpointArn: TARGET_ENDPOINT_ARN,
      ReplicationInstanceArn: REPLICATION_INSTANCE_ARN,
      MigrationType: 'cdc',
      TableMappings: JSON.stringify(MAPPINGS),
    }),
  );

describe('emulated DMS tasks made with CreateReplicationTask', () => {
  it('creates a CDC-only task "creating", then "ready", found by its identifier and refused twice', async () => {
    const created = await create('shop-reverse');
    expect(created.ReplicationTask).toMatchObject({ ReplicationTaskIdentifier: 'shop-reverse', Status: 'creating', MigrationType: 'cdc', SourceEndpointArn: SOURCE_ENDPOINT_ARN });
    expect(created.ReplicationTask?.ReplicationTaskArn).toMatch(/^arn:aws:dms:eu-west-1:123456789012:task:[0-9A-F]+$/);
    await expect(create('shop-reverse')).rejects.toMatchObject({ name: 'ResourceAlreadyExistsFault' });
    const ready = await statusBecomes('shop-reverse', 'ready');
    expect(ready.ReplicationTaskArn).toBe(created.ReplicationTask?.ReplicationTaskArn);
    const all = await dms.send(new DescribeReplicationTasksCommand({}));
    expect(all.ReplicationTasks?.map((task) => task.ReplicationTaskIdentifier)).toEqual(['shop-task', 'shop-reverse']);
  });

  it('reports a task\'s settings as DMS does: with logging on, the log group and stream DMS names; none without settings', async () => {
    const created = await dms.send(
      new CreateReplicationTaskCommand({
        ReplicationTaskIdentifier: 'shop-logged',
        SourceEndpointArn: SOURCE_ENDPOINT_ARN,
        TargetEndpointArn: TARGET_ENDPOINT_ARN,
        ReplicationInstanceArn: REPLICATION_INSTANCE_ARN,
        MigrationType: 'cdc',
        TableMappings: JSON.stringify(MAPPINGS),
        ReplicationTaskSettings: JSON.stringify({ Logging: { EnableLogging: true } }),
      }),
    );
    const arn = String(created.ReplicationTask?.ReplicationTaskArn);
    const described = async (withoutSettings: boolean) =>
      (await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [arn] }], WithoutSettings: withoutSettings }))).ReplicationTasks?.[0];
    const withSettings = await described(false);
    expect(JSON.parse(String(withSettings?.ReplicationTaskSettings)).Logging).toEqual({
      EnableLogging: true,
      CloudWatchLogGroup: 'dms-tasks-shop-replication',
      CloudWatchLogStream: `dms-task-${dmsResourceId(arn)}`,
    });
    expect(JSON.parse(String(withSettings?.TableMappings))).toEqual(MAPPINGS);
    const withoutSettings = await described(true);
    expect(withoutSettings).toMatchObject({ ReplicationTaskArn: arn });
    expect(withoutSettings?.ReplicationTaskSettings).toBeUndefined();
    expect(withoutSettings?.TableMappings).toBeUndefined();
  });

  it('refuses a task with an unknown endpoint or instance', async () => {
    await expect(
      dms.send(new CreateReplicationTaskCommand({ ReplicationTaskIdentifier: 'x', SourceEndpointArn: `${SOURCE_ENDPOINT_ARN}X`, TargetEndpointArn: TARGET_ENDPOINT_ARN, ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, MigrationType: 'cdc', TableMappings: '{"rules":[]}' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
    await expect(
      dms.send(new CreateReplicationTaskCommand({ ReplicationTaskIdentifier: 'x', SourceEndpointArn: SOURCE_ENDPOINT_ARN, TargetEndpointArn: TARGET_ENDPOINT_ARN, ReplicationInstanceArn: `${REPLICATION_INSTANCE_ARN}X`, MigrationType: 'cdc', TableMappings: '{"rules":[]}' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
  });

  it('started at a CdcStartPosition, replicates the changes made from then on and leaves earlier differences alone', async () => {
    const taskArn = String((await byIdentifier('shop-reverse'))?.ReplicationTaskArn);
    // Changes made after the position is read and before the task starts are replicated too: capture starts at the position.
    const position = await readBinlogPosition(admin);
    await admin.query(`INSERT INTO ${SOURCE_SCHEMA}.orders VALUES (3, 'new')`);
    const started = await dms.send(new StartReplicationTaskCommand({ ReplicationTaskArn: taskArn, StartReplicationTaskType: 'start-replication', CdcStartPosition: position }));
    expect(started.ReplicationTask).toMatchObject({ Status: 'starting', CdcStartPosition: position });
    await statusBecomes('shop-reverse', 'running');
    await expect(dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: taskArn }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });

    await admin.query(`UPDATE ${SOURCE_SCHEMA}.orders SET status = 'shipped' WHERE id = 1`);
    while ((await targetRows())[0].status !== 'shipped') await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await targetRows()).toEqual([
      { id: 1, status: 'shipped' },
      { id: 2, status: 'kept on target' },
      { id: 3, status: 'new' },
    ]);
    const statistics = await dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: taskArn }));
    expect(statistics.TableStatistics).toEqual([expect.objectContaining({ SchemaName: TARGET_SCHEMA, TableName: 'orders', TableState: 'Table completed', Inserts: 1, Updates: 1 })]);
  });

  it('stops and deletes the task: "deleting", then not found', async () => {
    const taskArn = String((await byIdentifier('shop-reverse'))?.ReplicationTaskArn);
    await dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: taskArn }));
    await statusBecomes('shop-reverse', 'stopped');
    const deleted = await dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: taskArn }));
    expect(deleted.ReplicationTask).toMatchObject({ ReplicationTaskArn: taskArn, Status: 'deleting' });
    let gone = false;
    while (!gone) gone = await byIdentifier('shop-reverse').then(() => false, (error: Error) => error.name === 'ResourceNotFoundFault');
    await expect(dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: taskArn }))).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
  });
});
