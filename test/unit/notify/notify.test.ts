import { DatabaseMigrationServiceClient, DescribeReplicationTasksCommand } from '@aws-sdk/client-database-migration-service';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { renderNotification, type NotificationEvent } from '../../../functions/shared/notifications/messages';
import { TASK_ARN, replicationTask } from '../../support/migration';
import { setFunctionEnvironment } from '../../support/function-environment';
import { withReplicationLog } from '../../../functions/notify/notify';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:orders-migration';
const base = { migrationName: 'Orders to Aurora', executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration:run-42' };

describe('notify handler', () => {
  const sns = mockClient(SNSClient);
  const dms = mockClient(DatabaseMigrationServiceClient);
  let handler: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    setFunctionEnvironment({ TOPIC_ARN, REPLICATION_TASK_ARN: TASK_ARN });
    ({ handler } = await import('../../../functions/notify/handler'));
  });
  beforeEach(() => {
    sns.reset();
    dms.reset();
  });

  const failure: NotificationEvent = { ...base, kind: 'failure', details: { error: { Error: 'TablesErrored', Cause: 'orders errored' }, failedStep: { name: 'Wait for full load' } } };
  const settings = (logging: Record<string, unknown>) => JSON.stringify({ Logging: logging, ValidationSettings: { EnableValidation: true } });
  const published = () => String(sns.commandCalls(PublishCommand)[0].args[0].input.Message);

  it('names the task\'s log in a failure e-mail when the task logs, reading its settings as DMS filled them in', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ ReplicationTaskSettings: settings({ EnableLogging: true, CloudWatchLogGroup: 'dms-tasks-orders-replication', CloudWatchLogStream: 'dms-task-ABCDEFGHIJ' }) })],
    });
    await handler(failure);
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationTasksCommand, { Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }], WithoutSettings: false });
    expect(published()).toContain("The replication task's own log: CloudWatch Logs, log group dms-tasks-orders-replication, log stream dms-task-ABCDEFGHIJ.");
  });

  it('says nothing of a log when the task does not log, and still sends the failure e-mail when DMS cannot be read', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskSettings: settings({ EnableLogging: false }) })] });
    await handler(failure);
    expect(published()).toBe(renderNotification(failure).body);
    sns.resetHistory();
    dms.on(DescribeReplicationTasksCommand).rejects(Object.assign(new Error('User is not authorized to perform: dms:DescribeReplicationTasks'), { name: 'AccessDeniedException', $metadata: {} }));
    await handler(failure);
    expect(published()).toBe(renderNotification(failure).body);
  });

  it('names a serverless replication\'s log from its config ARN alone, in a failure e-mail only', async () => {
    const serverless = { engine: 'serverless' as const, arn: 'arn:aws:dms:eu-west-1:123456789012:replication-config:KLMNOPQRST' };
    const client = new DatabaseMigrationServiceClient({});
    const named = await withReplicationLog(client, serverless, failure);
    expect(renderNotification(named).body).toContain(
      "The serverless replication's own log (DMS creates it once the replication runs): CloudWatch Logs, log group dms-serverless-replication-KLMNOPQRST, log stream dms-serverless-replication-orchestrator-KLMNOPQRST.",
    );
    const timeout: NotificationEvent = { ...base, kind: 'approval-timeout', details: {} };
    await expect(withReplicationLog(client, serverless, timeout)).resolves.toBe(timeout);
    expect(dms).not.toHaveReceivedAnyCommand();
  });

  it('leaves a wave\'s migration\'s routine e-mails to the wave, and sends its failure at once', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask()] });
    const run = { migrationName: base.migrationName, mode: 'cutover', wave: { waveName: 'Friday wave', waveExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:ShopWave-wave:friday' } };
    await expect(handler({ ...base, kind: 'approval-timeout', details: {}, run })).resolves.toEqual({ leftToTheWave: 'Friday wave', kind: 'approval-timeout' });
    expect(sns).not.toHaveReceivedAnyCommand();
    await handler({ ...failure, run });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    await handler({ ...base, kind: 'approval-timeout', details: {}, run: { migrationName: base.migrationName, mode: 'migrate' } });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
  });

  it('reads the task only for a failure', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await handler({ ...base, kind: 'approval-timeout', details: {} });
    expect(dms).not.toHaveReceivedAnyCommand();
  });

  it('publishes the rendered message with filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'f2b8e0c4-1111-2222-3333-444455556666' });
    const event: NotificationEvent = { ...base, kind: 'approval-timeout', details: {} };
    await expect(handler(event)).resolves.toEqual({
      messageId: 'f2b8e0c4-1111-2222-3333-444455556666',
      kind: 'approval-timeout',
      subject: '[DMS] Orders to Aurora: cutover not approved in time',
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: '[DMS] Orders to Aurora: cutover not approved in time',
      Message: renderNotification(event).body,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'approval-timeout' },
        migration: { DataType: 'String', StringValue: 'Orders to Aurora' },
      },
    });
  });

  it('rejects an unknown kind without publishing', async () => {
    await expect(handler({ ...base, kind: 'party', details: {} })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('kind') });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('turns SNS throttling into a retryable error', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    await expect(handler({ ...base, kind: 'approval-timeout', details: {} })).rejects.toMatchObject({ name: 'AwsServiceUnavailable' });
  });

  it('refuses to load without its topic', async () => {
    await jest.isolateModulesAsync(async () => {
      delete process.env.TOPIC_ARN;
      await expect(import('../../../functions/notify/handler')).rejects.toMatchObject({ name: 'ConfigurationError', message: 'Environment variable TOPIC_ARN is not set' });
      setFunctionEnvironment({ TOPIC_ARN });
    });
  });
});
