import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
} from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/check-progress/handler';
import { STOP_REASONS } from '../../../functions/shared/dms';
import { TASK_ARN, migrationConfig, replicationTask, tableStatistics } from '../../support/migration';

const dms = mockClient(DatabaseMigrationServiceClient);
const config = migrationConfig();
const fullLoadDone = {
  FullLoadProgressPercent: 100,
  ElapsedTimeMillis: 7_200_000,
  TablesLoaded: 2,
  TablesLoading: 0,
  TablesQueued: 0,
  TablesErrored: 0,
  FullLoadStartDate: new Date('2026-11-24T09:00:00Z'),
  FullLoadFinishDate: new Date('2026-11-24T10:30:00Z'),
};

beforeEach(() => dms.reset());

describe('check-progress', () => {
  it('reports a full load in progress without reading table statistics', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask()] });
    await expect(handler({ config })).resolves.toEqual({
      status: 'running',
      phase: 'full-load',
      migrationType: 'full-load-and-cdc',
      fullLoadProgressPercent: 40,
      tables: { loaded: 2, loading: 2, queued: 1, errored: 0 },
      elapsedSeconds: 3600,
      fullLoadComplete: false,
      fullLoadStartedAt: '2026-11-24T09:00:05.000Z',
    });
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationTasksCommand, {
      Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }],
      WithoutSettings: true,
    });
    expect(dms).not.toHaveReceivedCommand(DescribeTableStatisticsCommand);
  });

  it('sees a full-load-and-cdc task in CDC as complete, with rows and duration', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: fullLoadDone })] });
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: [tableStatistics({ FullLoadRows: 120_000 }), tableStatistics({ TableName: 'customers', FullLoadRows: 5_000 })],
    });
    await expect(handler({ config })).resolves.toMatchObject({
      phase: 'cdc',
      fullLoadComplete: true,
      rowsLoaded: 125_000,
      fullLoadFinishedAt: '2026-11-24T10:30:00.000Z',
      fullLoadDurationSeconds: 5400,
    });
    expect(dms).toHaveReceivedCommandWith(DescribeTableStatisticsCommand, { ReplicationTaskArn: TASK_ARN, MaxRecords: 500 });
  });

  it('names the first errored tables and counts the rest', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { ...fullLoadDone, TablesErrored: 30 } })] });
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: Array.from({ length: 30 }, (_, index) => tableStatistics({ TableName: `t${index}`, TableState: 'Table error' })),
    });
    const error = (await handler({ config }).catch((caught: unknown) => caught)) as Error;
    expect(error.name).toBe('TablesErrored');
    expect(error.message).toContain('Full load failed for orders.t0, orders.t1, orders.t2, orders.t3, orders.t4, orders.t5, orders.t6, orders.t7, orders.t8, orders.t9 and 20 more on replication task');
  });

  it('keeps waiting while DMS reloads a table, although the task’s statistics say 100 %', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: fullLoadDone })] });
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: [tableStatistics(), tableStatistics({ TableName: 'customers', TableState: 'Table is being reloaded' })],
    });
    await expect(handler({ config })).resolves.toMatchObject({ phase: 'full-load', fullLoadComplete: false, reloadingTables: ['orders.customers'] });
  });

  it('sees a full-load task stopped with FULL_LOAD_ONLY_FINISHED as complete', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [
        replicationTask({ MigrationType: 'full-load', Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished, ReplicationTaskStats: fullLoadDone }),
      ],
    });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics()] });
    await expect(handler({ config })).resolves.toMatchObject({
      status: 'stopped',
      phase: 'stopped',
      fullLoadComplete: true,
      rowsLoaded: 1000,
      stopReason: STOP_REASONS.fullLoadOnlyFinished,
    });
  });

  it('names the errored tables and quotes DMS', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [
        replicationTask({
          ReplicationTaskStats: { ...fullLoadDone, FullLoadProgressPercent: 80, TablesErrored: 1 },
          LastFailureMessage: 'Failed to load table orders.order_lines: duplicate key',
        }),
      ],
    });
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: [tableStatistics({ TableState: 'Table error' }), tableStatistics({ TableName: 'customers' })],
    });
    const error = await handler({ config }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'TablesErrored', tables: ['orders.order_lines'] });
    expect((error as Error).message).toContain('orders.order_lines');
    expect((error as Error).message).toContain('DMS says: Failed to load table orders.order_lines: duplicate key');
  });

  it('counts errored tables DMS has not yet marked in the table statistics', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ ReplicationTaskStats: { ...fullLoadDone, TablesErrored: 2 } })],
    });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics()] });
    await expect(handler({ config })).rejects.toMatchObject({ name: 'TablesErrored', message: expect.stringContaining('2 table(s)') });
  });

  it('fails on a failed task with DMS message and what to do', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ Status: 'failed', LastFailureMessage: 'Error reading binary log' })],
    });
    await expect(handler({ config })).rejects.toMatchObject({
      name: 'TaskInUnexpectedState',
      message: expect.stringMatching(/orders-full-load-and-cdc is failed: Error reading binary log\. Fix the cause/),
    });
  });

  it('fails on a task stopped by an error stop reason', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.stoppedDueToLowMemory })],
    });
    await expect(handler({ config })).rejects.toMatchObject({
      name: 'TaskInUnexpectedState',
      message: expect.stringContaining('(Stop Reason STOPPED_DUE_TO_LOW_MEMORY)'),
    });
  });

  it('rejects an event without a valid config before calling DMS', async () => {
    await expect(handler({ config: { migrationName: 'x' } })).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(dms).not.toHaveReceivedAnyCommand();
  });
});
