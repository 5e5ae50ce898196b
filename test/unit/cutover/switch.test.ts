import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DatabaseMigrationServiceClient,
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  InvalidResourceStateFault,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { CreateDBClusterSnapshotCommand, CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { summarizeValidation } from '../../../functions/shared/validation-summary';
import { cutoverEffects } from '../../../functions/cutover/effects';
import { switchOver } from '../../../functions/cutover/switch';
import { checkGate } from '../../../functions/cutover/gate';
import { cutoverBlockers, type CutoverFacts } from '../../../functions/cutover/preconditions';
import { STOP_REASONS } from '../../../functions/shared/dms';
import { REPLICATION_INSTANCE_ARN, TASK_ARN, migrationConfig, replicationTask, tableStatistics } from '../../support/migration';

const limits = { maxCdcLatencySeconds: 30, latencyWindowMinutes: 5 };
const goodFacts: CutoverFacts = {
  taskStatus: 'running',
  migrationType: 'full-load-and-cdc',
  fullLoadFinished: true,
  latencySeconds: { source: [2, 3, 1, 0, 4], target: [5, 6, 2, 3, 1] },
  erroredTables: [],
  incompleteTables: [],
  validation: summarizeValidation([tableStatistics()]),
};

describe('cutoverBlockers', () => {
  it('lets a healthy CDC task with passed validation cut over', () => {
    expect(cutoverBlockers(goodFacts, limits)).toEqual([]);
  });

  it.each<[string, Partial<CutoverFacts>, string]>([
    ['a stopped task', { taskStatus: 'stopped' }, 'the task is "stopped", not running CDC'],
    ['an unfinished full-load task', { migrationType: 'full-load', taskStatus: 'running', fullLoadFinished: false }, 'the full-load task has not finished loading (it is "running")'],
    ['source latency over the maximum', { latencySeconds: { source: [2, 31], target: [1] } }, 'CDCLatencySource reached 31 s in the last 5 minutes (maximum 30 s)'],
    ['target latency over the maximum', { latencySeconds: { source: [2], target: [45] } }, 'CDCLatencyTarget reached 45 s'],
    ['no latency data', { latencySeconds: { source: [], target: [1] } }, 'no CDCLatencySource data in the last 5 minutes'],
    ['errored tables', { erroredTables: ['orders.order_lines'] }, 'tables in error: orders.order_lines'],
    ['a table DMS is reloading, with validation off', { incompleteTables: ['orders.order_lines (Table is being reloaded)'], validation: undefined }, 'tables not completed: orders.order_lines (Table is being reloaded)'],
    ['failed validation', { validation: summarizeValidation([tableStatistics({ ValidationState: 'Mismatched records', ValidationFailedRecords: 3 })]) }, 'DMS validation failed for 1 table(s)'],
    ['pending validation', { validation: summarizeValidation([tableStatistics({ ValidationState: 'Pending records' })]) }, 'DMS validation is still pending for 1 table(s)'],
    ['validation not enabled', { validation: summarizeValidation([tableStatistics({ ValidationState: 'Not enabled' })]) }, 'DMS validation is not enabled'],
  ])('refuses %s', (_, change, reason) => {
    expect(cutoverBlockers({ ...goodFacts, ...change }, limits)).toEqual([expect.stringContaining(reason)]);
  });

  it('accepts latency exactly at the maximum', () => {
    expect(cutoverBlockers({ ...goodFacts, latencySeconds: { source: [30], target: [30] } }, limits)).toEqual([]);
  });

  it('lists every failed precondition at once', () => {
    expect(cutoverBlockers({ ...goodFacts, taskStatus: 'stopped', erroredTables: ['a.b'], latencySeconds: { source: [], target: [] } }, limits)).toHaveLength(4);
  });

  it('lets a finished full-load task cut over without CDC latency', () => {
    expect(cutoverBlockers({ ...goodFacts, migrationType: 'full-load', taskStatus: 'stopped', latencySeconds: { source: [], target: [] } }, limits)).toEqual([]);
  });

  it('lets pending-only validation pass within the allowed number of pending records', () => {
    const pending = { ...goodFacts, validation: summarizeValidation([tableStatistics({ ValidationState: 'Pending records', ValidationPendingRecords: 40 })]), pendingValidationRecords: 40 };
    expect(cutoverBlockers(pending, { ...limits, maxPendingValidationRecords: 40 })).toEqual([]);
    expect(cutoverBlockers(pending, { ...limits, maxPendingValidationRecords: 39 })).toEqual(['DMS validation is still pending for 1 table(s)']);
  });

  it('ignores validation when the migration does not require it', () => {
    expect(cutoverBlockers({ ...goodFacts, validation: undefined }, limits)).toEqual([]);
  });
});

describe('gate and switch', () => {
  const dms = mockClient(DatabaseMigrationServiceClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const rds = mockClient(RDSClient);
  const ssm = mockClient(SSMClient);
  const clients = { dms: new DatabaseMigrationServiceClient({}), cloudWatch: new CloudWatchClient({}), rds: new RDSClient({}), ssm: new SSMClient({}) };
  const config = migrationConfig({ cutover: { endpointParameterName: '/apps/orders/db' } });
  const endpoint = 'orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com:3306';
  const plan = { stopTaskArn: TASK_ARN, endpoint, snapshot: true };
  const gate = {
    direction: 'to-target' as const,
    taskArn: TASK_ARN,
    effects: cutoverEffects({ ...clients, secretsManager: new SecretsManagerClient({}), dynamoDb: new DynamoDBClient({}) }, config),
  };
  const at = new Date('2026-11-24T22:00:00.000Z');
  const clock = () => at;

  function healthyMigration(): void {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'running' })] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics(), tableStatistics({ TableName: 'customers' })] });
    dms.on(DescribeReplicationInstancesCommand).resolves({
      ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication', ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, ReplicationInstanceStatus: 'available' }],
    });
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'source', Label: 'CDCLatencySource', Timestamps: [at, at], Values: [3, 4], StatusCode: 'Complete' },
        { Id: 'target', Label: 'CDCLatencyTarget', Timestamps: [at, at], Values: [7, 2], StatusCode: 'Complete' },
      ],
      Messages: [],
    });
    dms.on(StopReplicationTaskCommand).resolves({ ReplicationTask: replicationTask({ Status: 'stopping' }) });
    rds.on(CreateDBClusterSnapshotCommand).resolves({ DBClusterSnapshot: { DBClusterSnapshotIdentifier: 'x', Status: 'creating' } });
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    ssm.on(PutParameterCommand).resolves({ Version: 2, Tier: 'Standard' });
  }

  beforeEach(() => {
    dms.reset();
    cloudWatch.reset();
    rds.reset();
    ssm.reset();
  });

  it('gate reads CDC latency for the task from AWS/DMS and passes a healthy migration', async () => {
    healthyMigration();
    await expect(checkGate(clients, config, gate, clock)).resolves.toMatchObject({ passed: true, blockers: [], direction: 'to-target' });
    expect(cloudWatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date('2026-11-24T21:55:00.000Z'),
      EndTime: at,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: ['CDCLatencySource', 'CDCLatencyTarget'].map((MetricName, index) => ({
        Id: index === 0 ? 'source' : 'target',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/DMS',
            MetricName,
            Dimensions: [
              { Name: 'ReplicationInstanceIdentifier', Value: 'orders-replication' },
              { Name: 'ReplicationTaskIdentifier', Value: 'ORDERSTASKABCDEFGHIJKLMNOP' },
            ],
          },
          Period: 60,
          Stat: 'Maximum',
        },
        ReturnData: true,
      })),
    });
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationInstancesCommand, {
      Filters: [{ Name: 'replication-instance-arn', Values: [REPLICATION_INSTANCE_ARN] }],
    });
  });

  it('gate refuses with every failed precondition', async () => {
    healthyMigration();
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'source', Values: [90] }, { Id: 'target', Values: [] }] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableState: 'Table error', ValidationState: 'Table error' })] });
    const error = await checkGate(clients, config, gate, clock).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'CutoverPreconditionFailed',
      failedPreconditions: [
        'CDCLatencySource reached 90 s in the last 5 minutes (maximum 30 s)',
        'no CDCLatencyTarget data in the last 5 minutes: DMS is not reporting CDC latency',
        'tables in error: orders.order_lines',
        'DMS validation failed for 1 table(s)',
      ],
    });
  });

  it('gate refuses while DMS reloads a table, even with DMS validation not required', async () => {
    healthyMigration();
    const withoutValidation = migrationConfig({ cutover: { endpointParameterName: '/apps/orders/db' }, validation: { requireDmsValidation: false } });
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: [tableStatistics(), tableStatistics({ TableName: 'customers', TableState: 'Table is being reloaded', ValidationState: 'Not enabled' })],
    });
    await expect(checkGate(clients, withoutValidation, gate, clock)).rejects.toMatchObject({
      name: 'CutoverPreconditionFailed',
      failedPreconditions: ['tables not completed: orders.customers (Table is being reloaded)'],
    });
  });

  it('gate lets a finished full-load task through without reading latency', async () => {
    healthyMigration();
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ MigrationType: 'full-load', Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished })],
    });
    await expect(checkGate(clients, config, gate, clock)).resolves.toMatchObject({ passed: true });
    expect(cloudWatch).not.toHaveReceivedAnyCommand();
  });

  it('gate reports a missing replication instance', async () => {
    healthyMigration();
    dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [] });
    await expect(checkGate(clients, config, gate, clock)).rejects.toMatchObject({ name: 'ResourceNotFound' });
  });

  it('switch snapshots the target, stops the task and publishes the endpoint', async () => {
    healthyMigration();
    await expect(switchOver(clients, config, plan, clock)).resolves.toEqual({
      startedAt: '2026-11-24T22:00:00.000Z',
      completedAt: '2026-11-24T22:00:00.000Z',
      snapshotIdentifier: 'dms-orch-orders-to-aurora-20261124220000',
      endpointParameterName: '/apps/orders/db',
      endpoint,
      taskStatus: 'stopping',
      alreadySwitched: false,
    });
    expect(rds).toHaveReceivedCommandWith(CreateDBClusterSnapshotCommand, {
      DBClusterSnapshotIdentifier: 'dms-orch-orders-to-aurora-20261124220000',
      DBClusterIdentifier: 'orders-aurora',
      Tags: [{ Key: 'dms-orchestrator:migration', Value: 'Orders to Aurora' }],
    });
    expect(dms).toHaveReceivedCommandWith(StopReplicationTaskCommand, { ReplicationTaskArn: TASK_ARN });
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, { Name: '/apps/orders/db', Value: endpoint, Type: 'String', Overwrite: true });
  });

  it('switch records the previous endpoint and reads the new primary\'s binlog position after the task stopped', async () => {
    healthyMigration();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/apps/orders/db', Type: 'String', Value: 'orders-ec2.internal:3306', Version: 1 } });
    const stoppedFirst: string[] = [];
    dms.on(StopReplicationTaskCommand).callsFake(() => {
      stoppedFirst.push('stop');
      return { ReplicationTask: replicationTask({ Status: 'stopping' }) };
    });
    const capturePosition = async () => {
      stoppedFirst.push('position');
      return 'mysql-bin-changelog.000024:373';
    };
    await expect(switchOver(clients, config, { ...plan, capturePosition }, clock)).resolves.toMatchObject({
      previousEndpoint: 'orders-ec2.internal:3306',
      binlogPosition: 'mysql-bin-changelog.000024:373',
    });
    expect(stoppedFirst).toEqual(['stop', 'position']);
  });

  it('switch leaves a finished full-load task stopped', async () => {
    healthyMigration();
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ MigrationType: 'full-load', Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished })],
    });
    const record = await switchOver(clients, config, plan, clock);
    expect(record).toMatchObject({ taskStatus: 'stopped', alreadySwitched: false, endpoint });
    expect(dms).not.toHaveReceivedCommand(StopReplicationTaskCommand);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, { Name: '/apps/orders/db', Value: endpoint });
  });

  it('switch snapshots an RDS instance target with CreateDBSnapshot', async () => {
    healthyMigration();
    rds.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: { DBSnapshotIdentifier: 'x', Status: 'creating' } });
    const instanceConfig = migrationConfig({ target: { type: 'rds-instance', identifier: 'orders-mysql' } });
    await switchOver(clients, instanceConfig, plan, clock);
    expect(rds).toHaveReceivedCommandWith(CreateDBSnapshotCommand, {
      DBSnapshotIdentifier: 'dms-orch-orders-to-aurora-20261124220000',
      DBInstanceIdentifier: 'orders-mysql',
    });
    expect(rds).not.toHaveReceivedCommand(CreateDBClusterSnapshotCommand);
  });

  it('switch skips the snapshot when not wanted, or in the rollback direction', async () => {
    healthyMigration();
    expect((await switchOver(clients, migrationConfig({ cutover: { snapshotBeforeCutover: false } }), plan, clock)).snapshotIdentifier).toBeUndefined();
    expect((await switchOver(clients, config, { ...plan, snapshot: false }, clock)).snapshotIdentifier).toBeUndefined();
    expect(rds).not.toHaveReceivedAnyCommand();
  });

  it('switch does nothing again when an earlier run already switched', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.normal })] });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/apps/orders/db', Type: 'String', Value: endpoint, Version: 2 } });
    await expect(switchOver(clients, config, plan, clock)).resolves.toMatchObject({ alreadySwitched: true, taskStatus: 'stopped', endpoint });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/apps/orders/db' });
    expect(rds).not.toHaveReceivedAnyCommand();
    expect(dms).not.toHaveReceivedCommand(StopReplicationTaskCommand);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('switch accepts a task that is already stopping when asked to stop', async () => {
    healthyMigration();
    dms.on(StopReplicationTaskCommand).rejects(new InvalidResourceStateFault({ message: 'Task is already stopping', $metadata: {} }));
    dms.on(DescribeReplicationTasksCommand).resolvesOnce({ ReplicationTasks: [replicationTask({ Status: 'running' })] }).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopping' })] });
    await expect(switchOver(clients, config, plan, clock)).resolves.toMatchObject({ taskStatus: 'stopping' });
    expect(ssm).toHaveReceivedCommand(PutParameterCommand);
  });

  it('switch fails clearly when DMS will not stop a task that is not stopping', async () => {
    healthyMigration();
    dms.on(StopReplicationTaskCommand).rejects(new InvalidResourceStateFault({ message: 'Task is being modified', $metadata: {} }));
    dms.on(DescribeReplicationTasksCommand).resolvesOnce({ ReplicationTasks: [replicationTask({ Status: 'running' })] }).resolves({ ReplicationTasks: [replicationTask({ Status: 'modifying' })] });
    await expect(switchOver(clients, config, plan, clock)).rejects.toMatchObject({
      name: 'TaskInUnexpectedState',
      message: 'DMS would not stop the task (now "modifying"): Task is being modified',
    });
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('switch passes other errors from stop and parameter reads through', async () => {
    healthyMigration();
    dms.on(StopReplicationTaskCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedFault' }));
    await expect(switchOver(clients, config, plan, clock)).rejects.toMatchObject({ name: 'AccessDeniedFault' });
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(switchOver(clients, config, plan, clock)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
