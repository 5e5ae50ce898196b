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
import { mockClient } from 'aws-sdk-client-mock';
import { summarizeValidation } from '../../../functions/check-validation/check-validation';
import { cutover } from '../../../functions/cutover/cutover';
import { handler } from '../../../functions/cutover/handler';
import { cutoverBlockers, type CutoverFacts } from '../../../functions/cutover/preconditions';
import { STOP_REASONS } from '../../../functions/shared/dms';
import { REPLICATION_INSTANCE_ARN, TASK_ARN, migrationConfig, replicationTask, tableStatistics } from '../../fixtures/migration';

const limits = { maxCdcLatencySeconds: 30, latencyWindowMinutes: 5 };
const goodFacts: CutoverFacts = {
  taskStatus: 'running',
  migrationType: 'full-load-and-cdc',
  fullLoadFinished: true,
  latencySeconds: { source: [2, 3, 1, 0, 4], target: [5, 6, 2, 3, 1] },
  erroredTables: [],
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

  it('ignores validation when the migration does not require it', () => {
    expect(cutoverBlockers({ ...goodFacts, validation: undefined }, limits)).toEqual([]);
  });
});

describe('cutover', () => {
  const dms = mockClient(DatabaseMigrationServiceClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const rds = mockClient(RDSClient);
  const ssm = mockClient(SSMClient);
  const clients = { dms: new DatabaseMigrationServiceClient({}), cloudWatch: new CloudWatchClient({}), rds: new RDSClient({}), ssm: new SSMClient({}) };
  const config = migrationConfig({ cutover: { endpointParameterName: '/apps/orders/db' } });
  const target = { writerEndpoint: 'orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', port: 3306 };
  const endpoint = `${target.writerEndpoint}:3306`;
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
    ssm.on(PutParameterCommand).resolves({ Version: 2, Tier: 'Standard' });
  }

  beforeEach(() => {
    dms.reset();
    cloudWatch.reset();
    rds.reset();
    ssm.reset();
  });

  it('snapshots the target, stops the task and publishes the endpoint', async () => {
    healthyMigration();
    await expect(cutover(clients, config, target, clock)).resolves.toEqual({
      startedAt: '2026-11-24T22:00:00.000Z',
      completedAt: '2026-11-24T22:00:00.000Z',
      cdcLatencySeconds: { source: 4, target: 7 },
      snapshotIdentifier: 'dms-orch-orders-to-aurora-20261124220000',
      endpointParameterName: '/apps/orders/db',
      endpoint,
      taskStatus: 'stopping',
      alreadyCutOver: false,
    });
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
    expect(rds).toHaveReceivedCommandWith(CreateDBClusterSnapshotCommand, {
      DBClusterSnapshotIdentifier: 'dms-orch-orders-to-aurora-20261124220000',
      DBClusterIdentifier: 'orders-aurora',
      Tags: [{ Key: 'dms-orchestrator:migration', Value: 'Orders to Aurora' }],
    });
    expect(dms).toHaveReceivedCommandWith(StopReplicationTaskCommand, { ReplicationTaskArn: TASK_ARN });
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, { Name: '/apps/orders/db', Value: endpoint, Type: 'String', Overwrite: true });
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
  });

  it('cuts over a finished full-load task without reading latency or stopping it again', async () => {
    healthyMigration();
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ MigrationType: 'full-load', Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished })],
    });
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const record = await cutover(clients, config, target, clock);
    expect(record).toMatchObject({ taskStatus: 'stopped', alreadyCutOver: false, endpoint });
    expect(record.cdcLatencySeconds).toBeUndefined();
    expect(cloudWatch).not.toHaveReceivedAnyCommand();
    expect(dms).not.toHaveReceivedCommand(StopReplicationTaskCommand);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, { Name: '/apps/orders/db', Value: endpoint });
  });

  it('snapshots an RDS instance target with CreateDBSnapshot', async () => {
    healthyMigration();
    rds.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: { DBSnapshotIdentifier: 'x', Status: 'creating' } });
    const instanceConfig = migrationConfig({ target: { type: 'rds-instance', identifier: 'orders-mysql' } });
    await cutover(clients, instanceConfig, target, clock);
    expect(rds).toHaveReceivedCommandWith(CreateDBSnapshotCommand, {
      DBSnapshotIdentifier: 'dms-orch-orders-to-aurora-20261124220000',
      DBInstanceIdentifier: 'orders-mysql',
    });
    expect(rds).not.toHaveReceivedCommand(CreateDBClusterSnapshotCommand);
  });

  it('skips the snapshot when not wanted', async () => {
    healthyMigration();
    const record = await cutover(clients, migrationConfig({ cutover: { snapshotBeforeCutover: false } }), target, clock);
    expect(record.snapshotIdentifier).toBeUndefined();
    expect(rds).not.toHaveReceivedAnyCommand();
  });

  it('refuses with every failed precondition and changes nothing', async () => {
    healthyMigration();
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'source', Values: [90] }, { Id: 'target', Values: [] }] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableState: 'Table error', ValidationState: 'Table error' })] });
    const error = await cutover(clients, config, target, clock).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'CutoverPreconditionFailed',
      failedPreconditions: [
        'CDCLatencySource reached 90 s in the last 5 minutes (maximum 30 s)',
        'no CDCLatencyTarget data in the last 5 minutes: DMS is not reporting CDC latency',
        'tables in error: orders.order_lines',
        'DMS validation failed for 1 table(s)',
      ],
    });
    expect(rds).not.toHaveReceivedAnyCommand();
    expect(dms).not.toHaveReceivedCommand(StopReplicationTaskCommand);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('does nothing again when an earlier run already cut over', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.normal })] });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/apps/orders/db', Type: 'String', Value: endpoint, Version: 2 } });
    await expect(cutover(clients, config, target, clock)).resolves.toMatchObject({ alreadyCutOver: true, taskStatus: 'stopped', endpoint });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/apps/orders/db' });
    expect(rds).not.toHaveReceivedAnyCommand();
    expect(dms).not.toHaveReceivedCommand(StopReplicationTaskCommand);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('refuses a stopped task whose endpoint was never published', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.normal })] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics()] });
    dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication' }] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    await expect(cutover(clients, config, target, clock)).rejects.toMatchObject({
      name: 'CutoverPreconditionFailed',
      message: expect.stringContaining('the task is "stopped", not running CDC'),
    });
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('accepts a task that is already stopping when asked to stop', async () => {
    healthyMigration();
    dms.on(StopReplicationTaskCommand).rejects(new InvalidResourceStateFault({ message: 'Task is already stopping', $metadata: {} }));
    dms.on(DescribeReplicationTasksCommand).resolvesOnce({ ReplicationTasks: [replicationTask({ Status: 'running' })] }).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopping' })] });
    await expect(cutover(clients, config, target, clock)).resolves.toMatchObject({ taskStatus: 'stopping' });
    expect(ssm).toHaveReceivedCommand(PutParameterCommand);
  });

  it('fails clearly when DMS will not stop a task that is not stopping', async () => {
    healthyMigration();
    dms.on(StopReplicationTaskCommand).rejects(new InvalidResourceStateFault({ message: 'Task is being modified', $metadata: {} }));
    dms.on(DescribeReplicationTasksCommand).resolvesOnce({ ReplicationTasks: [replicationTask({ Status: 'running' })] }).resolves({ ReplicationTasks: [replicationTask({ Status: 'modifying' })] });
    await expect(cutover(clients, config, target, clock)).rejects.toMatchObject({
      name: 'TaskInUnexpectedState',
      message: 'DMS would not stop the task (now "modifying"): Task is being modified',
    });
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('passes other errors from stop and parameter reads through', async () => {
    healthyMigration();
    dms.on(StopReplicationTaskCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedFault' }));
    await expect(cutover(clients, config, target, clock)).rejects.toMatchObject({ name: 'AccessDeniedFault' });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped' })] });
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(cutover(clients, config, target, clock)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('reports a missing replication instance', async () => {
    healthyMigration();
    dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [] });
    await expect(cutover(clients, config, target, clock)).rejects.toMatchObject({ name: 'ResourceNotFound' });
  });

  it('handler validates the target it is given', async () => {
    await expect(handler({ config, target: { writerEndpoint: '', port: 0 } })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/target\.writerEndpoint.*target\.port/),
    });
  });

  it('handler cuts over with real clients', async () => {
    healthyMigration();
    await expect(handler({ config, target })).resolves.toMatchObject({ alreadyCutOver: false, endpoint });
  });
});
