import { DatabaseMigrationServiceClient, DescribeTableStatisticsCommand } from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/check-validation/handler';
import { DATABASE_ACCESS, TASK_ARN, migrationConfig, tableStatistics } from '../../support/migration';

const validated = (TableName: string) => tableStatistics({ TableName, ValidationState: 'Validated' });

describe('check-validation handler', () => {
  const dms = mockClient(DatabaseMigrationServiceClient);
  beforeEach(() => dms.reset());

  it('reads every page of table statistics and returns a passed summary', async () => {
    dms
      .on(DescribeTableStatisticsCommand, { Marker: undefined })
      .resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [validated('a')], Marker: 'next' })
      .on(DescribeTableStatisticsCommand, { Marker: 'next' })
      .resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [validated('b')] });
    await expect(handler({ config: migrationConfig() })).resolves.toMatchObject({ outcome: 'passed', tableCount: 2 });
    expect(dms).toHaveReceivedNthCommandWith(1, DescribeTableStatisticsCommand, { ReplicationTaskArn: TASK_ARN, MaxRecords: 500 });
    expect(dms).toHaveReceivedNthCommandWith(2, DescribeTableStatisticsCommand, { ReplicationTaskArn: TASK_ARN, MaxRecords: 500, Marker: 'next' });
  });

  it('fails with the offending tables and their counts', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: [
        tableStatistics({ TableName: 'order_lines', ValidationState: 'Mismatched records', ValidationFailedRecords: 17, ValidationSuspendedRecords: 2 }),
        validated('customers'),
      ],
    });
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({
      name: 'ValidationMismatch',
      message: 'DMS validation failed for 1 of 2 table(s): orders.order_lines (Mismatched records: 17 failed, 2 suspended).',
    });
  });

  it('without direct database access a keyless table fails DMS validation, saying how to check it instead', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: [tableStatistics({ TableName: 'page_views', ValidationState: 'No primary key' }), validated('customers')],
    });
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({
      name: 'ValidationMismatch',
      message: expect.stringContaining('orders.page_views (No primary key: 0 failed, 0 suspended). DMS cannot validate a table without a primary key: add a database block'),
    });
  });

  it('with direct database access a keyless table passes on to the independent comparison', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves({
      ReplicationTaskArn: TASK_ARN,
      TableStatistics: [tableStatistics({ TableName: 'page_views', ValidationState: 'No primary key' }), validated('customers')],
    });
    await expect(handler({ config: migrationConfig({ database: DATABASE_ACCESS }) })).resolves.toMatchObject({ outcome: 'passed', keylessTables: ['orders.page_views'] });
  });

  it('says how many more tables failed than it lists', async () => {
    const tables = Array.from({ length: 30 }, (_, index) => tableStatistics({ TableName: `t${index}`, ValidationState: 'Table error' }));
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: tables });
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({ message: expect.stringMatching(/ and 5 more\.$/) });
  });

  it('refuses a task without validation when validation is required', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ ValidationState: 'Not enabled' })] });
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({
      name: 'ValidationNotEnabled',
      message: expect.stringContaining('ValidationSettings.EnableValidation'),
    });
  });

  it('reports not-enabled when validation is not required', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ ValidationState: 'Not enabled' })] });
    await expect(handler({ config: migrationConfig({ validation: { requireDmsValidation: false } }) })).resolves.toMatchObject({ outcome: 'not-enabled' });
  });
});

describe('bounded validation wait', () => {
  const dms = mockClient(DatabaseMigrationServiceClient);
  const pending = { ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ ValidationState: 'Pending records', ValidationPendingRecords: 12 })] };
  beforeEach(() => dms.reset());

  it('keeps waiting within validation.maxWaitMinutes', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves(pending);
    const config = migrationConfig({ validation: { maxWaitMinutes: 60 } });
    await expect(handler({ config, waitingSince: new Date(Date.now() - 30 * 60_000).toISOString() })).resolves.toMatchObject({ outcome: 'pending' });
  });

  it('gives up with the pending tables once the wait runs out', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves(pending);
    const config = migrationConfig({ validation: { maxWaitMinutes: 60 } });
    await expect(handler({ config, waitingSince: new Date(Date.now() - 90 * 60_000).toISOString() })).rejects.toMatchObject({
      name: 'ValidationTimedOut',
      message: expect.stringMatching(/still pending after 9\d minutes .*orders\.order_lines \(12 pending\)/),
    });
  });

  it('says so when no table reported yet', async () => {
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [] });
    const config = migrationConfig({ validation: { maxWaitMinutes: 1 } });
    await expect(handler({ config, waitingSince: '2026-01-01T00:00:00.000Z' })).rejects.toMatchObject({ message: expect.stringContaining('no table reported yet') });
  });

  it('rejects a waitingSince that is not a timestamp', async () => {
    await expect(handler({ config: migrationConfig(), waitingSince: 'yesterday' })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('waitingSince') });
  });
});
