import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateReplicationConfigCommand,
  DatabaseMigrationServiceClient,
  DeleteReplicationConfigCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  type Replication,
} from '@aws-sdk/client-database-migration-service';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { connectMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import type { DmsEvent } from '../../local/emulator/dms/definitions';
import { REPLICATION_STARTING_STATUSES } from '../../local/emulator/dms/replication';
import { startAwsEmulator, type AwsEmulator } from '../../local/emulator/server';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { emulatedDms, emulatedEndpoints, emulatedReplicationConfig } from '../support/emulated-task';
import { REPLICATION_CONFIG_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN } from '../support/migration';

/**
 * The emulated DMS Serverless API on a MariaDB with a row-based binary log: a replication config copies the
 * `shop` schema into `shop_target` through the documented start-up states, validates it and keeps replicating,
 * stops, gives its capacity back and can then be deleted; a created CDC-only config (the way back) replicates
 * from a binlog position. What the API refuses is tested without a database: test/unit/local/emulator/serverless-api.test.ts.
 */
const SOURCE = 'shop';
const TARGET = 'shop_target';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:serverless-AbCdEf';
jest.setTimeout(180_000);

const MAPPINGS = {
  rules: [
    { 'rule-type': 'selection', 'object-locator': { 'schema-name': SOURCE, 'table-name': '%' }, 'rule-action': 'include' },
    { 'rule-type': 'transformation', 'rule-target': 'schema', 'object-locator': { 'schema-name': SOURCE }, 'rule-action': 'rename', value: TARGET },
  ],
};
const FULL_LOAD_ARN = REPLICATION_CONFIG_ARN.replace(/:replication-config:.*/, ':replication-config:FULLLOADONLY');

let server: ThrowawayMariadb;
let credentials: DatabaseCredentials;
let admin: Connection;
let emulator: AwsEmulator;
const events: DmsEvent[] = [];
const dms = () => new DatabaseMigrationServiceClient({ endpoint: emulator.url, maxAttempts: 1 });

async function replicationOf(arn: string): Promise<Replication> {
  const { Replications } = await dms().send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] }));
  return Replications?.[0] ?? {};
}

/** Every status the replication shows until `done` holds for it (at most 60 s). */
async function statusesUntil(arn: string, done: (replication: Replication) => boolean): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const replication = await replicationOf(arn);
    if (seen[seen.length - 1] !== replication.Status) seen.push(String(replication.Status));
    if (done(replication)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return seen;
}

const count = async (sql: string) => Number(((await admin.query<RowDataPacket[]>(sql))[0] as Array<{ n: number }>)[0].n);

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !(await check().catch(() => false))) await new Promise((resolve) => setTimeout(resolve, 100));
}

beforeAll(async () => {
  server = await startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'binlog-row-image': 'FULL', 'binlog-row-metadata': 'FULL', 'server-id': 1 });
  credentials = { host: server.host, port: server.port, username: server.user, password: server.password };
  admin = await connectMysql(credentials, 'source');
  await admin.query(`CREATE DATABASE ${SOURCE}`);
  await admin.query(`CREATE TABLE ${SOURCE}.orders (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL)`);
  await admin.query(`CREATE TABLE ${SOURCE}.audit_log (at DATETIME(6) NOT NULL, message VARCHAR(100) NULL)`);
  await admin.query(`INSERT INTO ${SOURCE}.orders VALUES ?`, [Array.from({ length: 25 }, (_, index) => [index + 1, `customer ${index}`])]);
  await admin.query(`INSERT INTO ${SOURCE}.audit_log VALUES ?`, [Array.from({ length: 5 }, (_, index) => [`2026-11-25 0${index}:00:00.00000${index}`, `event ${index}`])]);
  emulator = await startAwsEmulator({
    dms: {
      ...emulatedDms('serverless', emulatedEndpoints('serverless', { source: SECRET, target: SECRET })),
      replicationConfigs: [
        emulatedReplicationConfig('serverless', { tableMappings: MAPPINGS }),
        emulatedReplicationConfig('full-load', { replicationConfigArn: FULL_LOAD_ARN, migrationType: 'full-load', validationEnabled: false, tableMappings: MAPPINGS }),
      ],
      batchRows: 5,
    },
    target: { type: 'aurora-cluster', identifier: 'target', host: server.host, port: server.port, engineVersion: '8.0' },
    secrets: { [SECRET]: JSON.stringify(credentials) },
    onDmsEvent: (event) => events.push(event),
  });
});

afterAll(async () => {
  await emulator?.close();
  await admin?.end();
  await server?.stop();
});

describe('a replication config before its first start', () => {
  it('is described as created, without provisioning, statistics or table statistics', async () => {
    const replication = await replicationOf(REPLICATION_CONFIG_ARN);
    expect(replication).toMatchObject({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, ReplicationConfigIdentifier: 'serverless-replication', ReplicationType: 'full-load-and-cdc', Status: 'created' });
    expect(replication.ProvisionData).toBeUndefined();
    expect(replication.ReplicationStats).toBeUndefined();
    await expect(dms().send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
    const { ReplicationConfigs: [config] = [] } = await dms().send(new DescribeReplicationConfigsCommand({ Filters: [{ Name: 'replication-config-id', Values: ['serverless-replication'] }] }));
    expect(config).toMatchObject({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, ComputeConfig: { MaxCapacityUnits: 4, MinCapacityUnits: 2 }, TableMappings: JSON.stringify(MAPPINGS) });
  });
});

describe('a full-load-and-cdc replication', () => {
  it('goes through the start-up states to running, provisioned, and copies and validates every table', async () => {
    const { Replication: started } = await dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'start-replication' }));
    expect(started).toMatchObject({ Status: 'initializing', StartReplicationType: 'start-replication' });
    const statuses = await statusesUntil(REPLICATION_CONFIG_ARN, (replication) => replication.Status === 'running' && replication.ReplicationStats?.FullLoadProgressPercent === 100);
    // Polling may miss a short state, never reorder them.
    const order = [...REPLICATION_STARTING_STATUSES, 'running'];
    expect(statuses.map((status) => order.indexOf(status))).toEqual([...statuses.map((status) => order.indexOf(status))].sort((a, b) => a - b));
    expect(statuses[statuses.length - 1]).toBe('running');
    const running = await replicationOf(REPLICATION_CONFIG_ARN);
    expect(running.ProvisionData).toMatchObject({ ProvisionState: 'provisioned', ProvisionedCapacityUnits: 2 });
    expect(running.ReplicationStats).toMatchObject({ TablesLoaded: 2, TablesErrored: 0, TablesQueued: 0, TablesLoading: 0 });
    await expect(dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'reload-target' }))).rejects.toMatchObject({
      name: 'InvalidResourceStateFault',
      message: expect.stringContaining('is in RUNNING state and cannot start'),
    });
    await eventually(async () => {
      const { ReplicationTableStatistics: tables = [] } = await dms().send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }));
      return tables.find((table) => table.TableName === 'orders')?.ValidationState === 'Validated';
    });
    const { ReplicationTableStatistics: tables = [] } = await dms().send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }));
    expect(tables.map((table) => `${table.SchemaName}.${table.TableName} ${table.TableState} ${table.FullLoadRows} ${table.ValidationState}`).sort()).toEqual([
      `${TARGET}.audit_log Table completed 5 No primary key`,
      `${TARGET}.orders Table completed 25 Validated`,
    ]);
    const { ReplicationTableStatistics: filtered = [] } = await dms().send(
      new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, Filters: [{ Name: 'table-name', Values: ['orders'] }] }),
    );
    expect(filtered.map((table) => table.TableName)).toEqual(['orders']);
    expect(await count(`SELECT COUNT(*) AS n FROM ${TARGET}.orders`)).toBe(25);
  });

  it('replicates what changes on the source while it runs', async () => {
    await admin.query(`INSERT INTO ${SOURCE}.orders VALUES (100, 'late customer')`);
    await admin.query(`UPDATE ${SOURCE}.orders SET customer = 'renamed' WHERE id = 1`);
    await eventually(async () => (await count(`SELECT COUNT(*) AS n FROM ${TARGET}.orders WHERE id = 100 OR customer = 'renamed'`)) === 2);
    expect(await count(`SELECT COUNT(*) AS n FROM ${TARGET}.orders WHERE id = 100 OR customer = 'renamed'`)).toBe(2);
    const { ReplicationTableStatistics: tables = [] } = await dms().send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }));
    expect(tables.find((table) => table.TableName === 'orders')).toMatchObject({ Inserts: 1, Updates: 1 });
    // CloudWatch has the replication's CDC latency under its config's resource id.
    const latency = await new CloudWatchClient({ endpoint: emulator.url, maxAttempts: 1 }).send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 120_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: [
          {
            Id: 'target',
            MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName: 'CDCLatencyTarget', Dimensions: [{ Name: 'ReplicationConfigIdentifier', Value: REPLICATION_CONFIG_ARN.split(':').pop() }] }, Period: 60, Stat: 'Maximum' },
          },
        ],
      }),
    );
    expect(latency.MetricDataResults?.[0].Values?.length).toBeGreaterThan(0);
  });

  it('refuses to delete a running config, stops, gives its capacity back, and can then be deleted', async () => {
    await expect(dms().send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
    const { Replication: stopping } = await dms().send(new StopReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }));
    expect(stopping?.Status).toBe('stopping');
    await statusesUntil(REPLICATION_CONFIG_ARN, (replication) => replication.Status === 'stopped');
    const stopped = await replicationOf(REPLICATION_CONFIG_ARN);
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL', ReplicationLastStopTime: expect.any(Date), ReplicationStats: { StopDate: expect.any(Date) } });
    expect(['deprovisioning', 'deprovisioned']).toContain(stopped.ProvisionData?.ProvisionState);
    await statusesUntil(REPLICATION_CONFIG_ARN, (replication) => replication.ProvisionData?.ProvisionState === 'deprovisioned');
    const stateChanges = events.filter((event) => event.resources[0] === REPLICATION_CONFIG_ARN);
    // One event per status, in order; the detail-type and the config's ARN are what the stack's rule matches.
    expect(stateChanges.every((event) => event['detail-type'] === 'DMS Replication State Change' && event.detail.type === 'REPLICATION_CONFIG')).toBe(true);
    expect(stateChanges.map((event) => event.detail.eventType)).toEqual([...REPLICATION_STARTING_STATUSES, 'running', 'stopping', 'stopped'].map((status) => `REPLICATION_${status.toUpperCase()}`));
    expect(stateChanges[stateChanges.length - 1].detail.detailMessage).toBe('Stop Reason NORMAL');
    await dms().send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }));
    // The config shows "deleting" for a moment, then is gone.
    await eventually(() => replicationOf(REPLICATION_CONFIG_ARN).then(() => false, () => true));
    await expect(replicationOf(REPLICATION_CONFIG_ARN)).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
  });
});

describe('a full-load replication', () => {
  it('stops by itself once every table is loaded, with FULL_LOAD_ONLY_FINISHED, and refuses to resume', async () => {
    await dms().send(new StartReplicationCommand({ ReplicationConfigArn: FULL_LOAD_ARN, StartReplicationType: 'start-replication' }));
    await statusesUntil(FULL_LOAD_ARN, (replication) => replication.Status === 'stopped');
    expect(await replicationOf(FULL_LOAD_ARN)).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED', ReplicationStats: { FullLoadProgressPercent: 100 } });
    await expect(dms().send(new StartReplicationCommand({ ReplicationConfigArn: FULL_LOAD_ARN, StartReplicationType: 'resume-processing' }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });
});

describe('CreateReplicationConfig', () => {
  const create = (overrides: Record<string, unknown>) =>
    dms().send(
      new CreateReplicationConfigCommand({
        ReplicationConfigIdentifier: 'way-back',
        SourceEndpointArn: TARGET_ENDPOINT_ARN,
        TargetEndpointArn: SOURCE_ENDPOINT_ARN,
        ReplicationType: 'cdc',
        ComputeConfig: { MaxCapacityUnits: 1 },
        // The way back: the target schema replicated into the source's (one server holds both here).
        TableMappings: JSON.stringify({
          rules: [
            { 'rule-type': 'selection', 'object-locator': { 'schema-name': TARGET, 'table-name': '%' }, 'rule-action': 'include' },
            { 'rule-type': 'transformation', 'rule-target': 'schema', 'object-locator': { 'schema-name': TARGET }, 'rule-action': 'rename', value: SOURCE },
          ],
        }),
        ...overrides,
      }),
    );

  it('makes a CDC-only config that replicates from a binlog position, tagged, and refuses a second one of the same name', async () => {
    const [[position]] = (await admin.query('SHOW MASTER STATUS')) as unknown as [Array<{ File: string; Position: number }>];
    const { ReplicationConfig: config } = await create({ Tags: [{ Key: 'dms-orchestrator:purpose', Value: 'way-back' }] });
    expect(config?.ReplicationConfigArn).toMatch(/^arn:aws:dms:eu-west-1:123456789012:replication-config:[A-Z0-9]+$/);
    const arn = String(config?.ReplicationConfigArn);
    expect(emulator.dms.tagsOf(arn)).toEqual({ 'dms-orchestrator:purpose': 'way-back' });
    await expect(create({})).rejects.toMatchObject({ name: 'ResourceAlreadyExistsFault' });
    await admin.query(`INSERT INTO ${TARGET}.orders VALUES (200, 'written on the target after the cutover')`);
    await dms().send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication', CdcStartPosition: `${position.File}:${position.Position}` }));
    await statusesUntil(arn, (replication) => replication.Status === 'running');
    await eventually(async () => (await count(`SELECT COUNT(*) AS n FROM ${SOURCE}.orders WHERE id = 200`)) === 1);
    expect(await count(`SELECT COUNT(*) AS n FROM ${SOURCE}.orders WHERE id = 200`)).toBe(1);
    // The stack's rule listens to the migration's own replication only.
    expect(events.filter((event) => event.resources[0] === arn)).toEqual([]);
    await dms().send(new StopReplicationCommand({ ReplicationConfigArn: arn }));
  });
});
