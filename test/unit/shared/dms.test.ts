import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  ResourceNotFoundFault,
} from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import {
  STOP_REASONS,
  describeAllTableStatistics,
  describeReplicationTask,
  dmsResourceId,
  serverlessReplicationLogOf,
  taskLogOf,
} from '../../../functions/shared/dms';
import { hasFailed, isFullLoadComplete, replicationPhase } from '../../../functions/shared/replication';
import { taskState } from '../../../functions/shared/replication/task';
import { ResourceNotFound } from '../../../functions/shared/errors';
import { TASK_ARN, replicationTask, tableStatistics } from '../../support/migration';

const loaded = { FullLoadProgressPercent: 100, TablesLoaded: 5, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 };
const loading = { FullLoadProgressPercent: 60, TablesLoaded: 3, TablesLoading: 1, TablesQueued: 1, TablesErrored: 0 };

describe('isFullLoadComplete and replicationPhase of a task', () => {
  it.each`
    migrationType          | status       | stopReason                              | stats      | complete | phase
    ${'full-load'}         | ${'running'} | ${undefined}                            | ${loading} | ${false} | ${'full-load'}
    ${'full-load'}         | ${'running'} | ${undefined}                            | ${loaded}  | ${false} | ${'full-load'}
    ${'full-load'}         | ${'stopped'} | ${STOP_REASONS.fullLoadOnlyFinished}    | ${loaded}  | ${true}  | ${'stopped'}
    ${'full-load'}         | ${'stopped'} | ${STOP_REASONS.normal}                  | ${loading} | ${false} | ${'stopped'}
    ${'full-load'}         | ${'stopped'} | ${STOP_REASONS.fatalError}              | ${loading} | ${false} | ${'failed'}
    ${'full-load-and-cdc'} | ${'running'} | ${undefined}                            | ${loading} | ${false} | ${'full-load'}
    ${'full-load-and-cdc'} | ${'running'} | ${undefined}                            | ${loaded}  | ${true}  | ${'cdc'}
    ${'full-load-and-cdc'} | ${'running'} | ${undefined}                            | ${{ ...loaded, TablesQueued: 1 }} | ${false} | ${'full-load'}
    ${'full-load-and-cdc'} | ${'stopped'} | ${STOP_REASONS.stoppedAfterFullLoad}    | ${loaded}  | ${true}  | ${'stopped'}
    ${'full-load-and-cdc'} | ${'stopped'} | ${STOP_REASONS.stoppedAfterCachedEvents} | ${loaded} | ${true}  | ${'stopped'}
    ${'full-load-and-cdc'} | ${'stopped'} | ${STOP_REASONS.fullLoadOnlyFinished}    | ${loaded}  | ${true}  | ${'stopped'}
    ${'full-load-and-cdc'} | ${'stopped'} | ${STOP_REASONS.normal}                  | ${loaded}  | ${false} | ${'stopped'}
    ${'full-load-and-cdc'} | ${'stopped'} | ${STOP_REASONS.stoppedDueToLowDisk}     | ${loading} | ${false} | ${'failed'}
    ${'full-load-and-cdc'} | ${'failed'}  | ${undefined}                            | ${loading} | ${false} | ${'failed'}
    ${'full-load-and-cdc'} | ${'starting'} | ${undefined}                           | ${{}}      | ${false} | ${'starting'}
    ${'full-load-and-cdc'} | ${'ready'}   | ${undefined}                            | ${undefined} | ${false} | ${'starting'}
    ${'cdc'}               | ${'running'} | ${undefined}                            | ${{}}      | ${true}  | ${'cdc'}
  `(
    '$migrationType task $status ($stopReason): complete=$complete, phase=$phase',
    ({ migrationType, status, stopReason, stats, complete, phase }) => {
      const task = taskState(replicationTask({ MigrationType: migrationType, Status: status, StopReason: stopReason, ReplicationTaskStats: stats }));
      expect(isFullLoadComplete(task)).toBe(complete);
      expect(replicationPhase(task)).toBe(phase);
    },
  );

  it('never calls an unknown migration type complete', () => {
    expect(isFullLoadComplete(taskState(replicationTask({ MigrationType: 'something-new' as never, Status: 'stopped' })))).toBe(false);
  });
});

describe('hasFailed', () => {
  it.each`
    status           | stopReason                                    | failed
    ${'failed'}      | ${undefined}                                  | ${true}
    ${'failed-move'} | ${undefined}                                  | ${true}
    ${'stopped'}     | ${STOP_REASONS.recoverableError}              | ${true}
    ${'stopped'}     | ${STOP_REASONS.stoppedDueToLowMemory}         | ${true}
    ${'stopped'}     | ${STOP_REASONS.expressLicenseLimitsReached}   | ${true}
    ${'stopped'}     | ${STOP_REASONS.normal}                        | ${false}
    ${'stopped'}     | ${undefined}                                  | ${false}
    ${'running'}     | ${undefined}                                  | ${false}
  `('$status / $stopReason -> $failed', ({ status, stopReason, failed }) => {
    expect(hasFailed(taskState(replicationTask({ Status: status, StopReason: stopReason })))).toBe(failed);
  });
});

describe('DMS reads', () => {
  const dms = mockClient(DatabaseMigrationServiceClient);
  beforeEach(() => dms.reset());

  it('describes one task by ARN, without its settings', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask()] });
    const task = await describeReplicationTask(new DatabaseMigrationServiceClient({}), TASK_ARN);
    expect(task.ReplicationTaskArn).toBe(TASK_ARN);
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationTasksCommand, {
      Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }],
      WithoutSettings: true,
    });
  });

  it('reports a missing task as ResourceNotFound, whether DMS faults or answers empty', async () => {
    const client = new DatabaseMigrationServiceClient({});
    dms.on(DescribeReplicationTasksCommand).rejects(new ResourceNotFoundFault({ message: 'No Tasks found', $metadata: {} }));
    await expect(describeReplicationTask(client, TASK_ARN)).rejects.toThrow(ResourceNotFound);
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [] });
    await expect(describeReplicationTask(client, TASK_ARN)).rejects.toThrow(`Replication task ${TASK_ARN} was not found`);
  });

  it('passes other DMS errors through unchanged', async () => {
    dms.on(DescribeReplicationTasksCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedFault' }));
    await expect(describeReplicationTask(new DatabaseMigrationServiceClient({}), TASK_ARN)).rejects.toMatchObject({
      name: 'AccessDeniedFault',
    });
  });

  it('follows the Marker through every page of table statistics', async () => {
    dms
      .on(DescribeTableStatisticsCommand, { ReplicationTaskArn: TASK_ARN, MaxRecords: 500, Marker: undefined })
      .resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableName: 'a' })], Marker: 'page-2' })
      .on(DescribeTableStatisticsCommand, { ReplicationTaskArn: TASK_ARN, MaxRecords: 500, Marker: 'page-2' })
      .resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableName: 'b' })] });
    const tables = await describeAllTableStatistics(new DatabaseMigrationServiceClient({}), TASK_ARN);
    expect(tables.map((table) => table.TableName)).toEqual(['a', 'b']);
    expect(dms).toHaveReceivedCommandTimes(DescribeTableStatisticsCommand, 2);
  });

  it('reads the resource id at the end of a DMS ARN', () => {
    expect(dmsResourceId(TASK_ARN)).toBe('ORDERSTASKABCDEFGHIJKLMNOP');
  });
});

describe('taskLogOf', () => {
  const withSettings = (settings: unknown) => replicationTask({ ReplicationTaskArn: 'arn:aws:dms:eu-west-1:123456789012:task:ABCDEFGHIJ', ReplicationTaskSettings: typeof settings === 'string' ? settings : JSON.stringify(settings) });
  it.each<[string, unknown, ReturnType<typeof taskLogOf>]>([
    ['logging on, names filled in by DMS', { Logging: { EnableLogging: true, CloudWatchLogGroup: 'dms-tasks-orders-replication', CloudWatchLogStream: 'dms-task-ABCDEFGHIJ' } }, { engine: 'task', logGroup: 'dms-tasks-orders-replication', logStream: 'dms-task-ABCDEFGHIJ' }],
    ['logging on, names not filled in yet: the stream from the task ARN', { Logging: { EnableLogging: true } }, { engine: 'task', logStream: 'dms-task-ABCDEFGHIJ' }],
    ['logging off', { Logging: { EnableLogging: false, CloudWatchLogGroup: 'dms-tasks-orders-replication', CloudWatchLogStream: 'dms-task-ABCDEFGHIJ' } }, undefined],
    ['no logging settings (DMS\'s default: off)', { ValidationSettings: { EnableValidation: true } }, undefined],
    ['settings that are not JSON', '{"Logging": ', undefined],
  ])('%s', (_, settings, taskLog) => {
    expect(taskLogOf(withSettings(settings))).toEqual(taskLog);
  });

  it('knows nothing of a task described without its settings', () => {
    expect(taskLogOf(replicationTask({ ReplicationTaskSettings: undefined }))).toBeUndefined();
  });
});

describe('serverlessReplicationLogOf', () => {
  it('names the group and stream DMS creates after the replication config\'s resource ID', () => {
    expect(serverlessReplicationLogOf('arn:aws:dms:eu-west-1:123456789012:replication-config:KLMNOPQRST')).toEqual({
      engine: 'serverless',
      logGroup: 'dms-serverless-replication-KLMNOPQRST',
      logStream: 'dms-serverless-replication-orchestrator-KLMNOPQRST',
    });
  });
});
