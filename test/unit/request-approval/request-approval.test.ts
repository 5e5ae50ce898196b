import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient, DescribeReplicationInstancesCommand } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { approvalDetails, approvalSummary, requestApproval } from '../../../functions/request-approval/request-approval';
import { approvalUrl, signApproval, verifyApprovalLink } from '../../../functions/shared/approval-link';
import { DATABASE_ACCESS, WAY_BACK, migrationConfig } from '../../support/migration';
import { setFunctionEnvironment } from '../../support/function-environment';

const KEY = 'k'.repeat(64);
const now = new Date('2026-11-24T12:00:00Z');
const link = { approvalId: '3f1c2a9e-0d4b-4a7e-9b61-2f8d5c7e1a00', expiresAt: new Date('2026-11-25T12:00:00Z') };

describe('approval links', () => {
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams.entries());
  const url = approvalUrl('https://approvals.example.com/review', KEY, link);

  it('carry the id, the expiry and a signature, never a task token', () => {
    expect(url).toBe(`https://approvals.example.com/review?id=${link.approvalId}&expires=${link.expiresAt.getTime() / 1000}&signature=${signApproval(KEY, link)}`);
    expect(verifyApprovalLink(KEY, query(url), now)).toEqual({ valid: true, link });
  });

  it.each<[string, (parameters: Record<string, string>) => Record<string, string | undefined>, string]>([
    ['a tampered id', (p) => ({ ...p, id: 'another-approval' }), 'tampered'],
    ['a tampered expiry', (p) => ({ ...p, expires: String(Number(p.expires) + 3600) }), 'tampered'],
    ['a signature made with another key', (p) => ({ ...p, signature: signApproval('other-key', link) }), 'tampered'],
    ['a truncated signature', (p) => ({ ...p, signature: p.signature.slice(0, 10) }), 'tampered'],
    ['a missing signature', (p) => ({ ...p, signature: undefined }), 'malformed'],
    ['a non-numeric expiry', (p) => ({ ...p, expires: 'tomorrow' }), 'malformed'],
  ])('reject %s', (_, change, reason) => {
    expect(verifyApprovalLink(KEY, change(query(url)), now)).toEqual({ valid: false, reason });
  });

  it('reject an expired link', () => {
    expect(verifyApprovalLink(KEY, query(url), new Date('2026-11-25T12:00:00Z'))).toEqual({ valid: false, reason: 'expired' });
  });
});

describe('request-approval', () => {
  const dynamoDb = mockClient(DynamoDBClient);
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  const dms = mockClient(DatabaseMigrationServiceClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const scheduler = mockClient(SchedulerClient);
  const clients = { dynamoDb: new DynamoDBClient({}), sns: new SNSClient({}), dms: new DatabaseMigrationServiceClient({}), cloudWatch: new CloudWatchClient({}), scheduler: new SchedulerClient({}) };
  const reminder = {
    afterSeconds: 4 * 3600,
    scheduleGroupName: 'OrdersMigration-approval-reminders',
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:OrdersMigration-ApprovalReminder',
    roleArn: 'arn:aws:iam::123456789012:role/OrdersMigration-SchedulerRole',
  };
  const settings = {
    tokenTableName: 'tokens',
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:orders',
    approvalBaseUrl: 'https://approvals.example.com/review',
    timeoutSeconds: 86400,
    reminder,
    subscribedApprovers: [] as string[],
  };
  const event = {
    taskToken: 'AQCEAAAAKgAAAAMAAAAA-token',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration:run-1',
    config: migrationConfig(),
    progress: { phase: 'cdc', migrationType: 'full-load-and-cdc', tables: { loaded: 12, loading: 0, queued: 0, errored: 0 }, rowsLoaded: 1_234_567 },
    validation: { outcome: 'passed', tableCount: 12, counts: { validated: 11, pending: 0, failed: 0, notEnabled: 0, keyless: 1 } },
  };
  const storedItem = () => dynamoDb.commandCalls(PutItemCommand)[0].args[0].input.Item;

  beforeEach(() => {
    for (const stub of [dynamoDb, sns, secrets, dms, cloudWatch, scheduler]) stub.reset();
    dynamoDb.on(PutItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication', ReplicationInstanceArn: event.config.replicationInstanceArn }] });
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'source', Label: 'CDCLatencySource', Timestamps: [new Date('2026-11-24T11:58:00Z'), new Date('2026-11-24T11:59:00Z')], Values: [4, 2], StatusCode: 'Complete' },
        { Id: 'target', Label: 'CDCLatencyTarget', Timestamps: [new Date('2026-11-24T11:58:00Z'), new Date('2026-11-24T11:59:00Z')], Values: [6, 3], StatusCode: 'Complete' },
      ],
      Messages: [],
    });
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/${reminder.scheduleGroupName}/approval-reminder-${link.approvalId}` });
  });

  it('stores the token and the page details under a new approval id, schedules the reminder and e-mails only the signed link', async () => {
    await expect(requestApproval(clients, KEY, settings, event, now, () => link.approvalId)).resolves.toEqual({
      approvalId: link.approvalId,
      expiresAt: '2026-11-25T12:00:00.000Z',
      reminderAt: '2026-11-24T16:00:00.000Z',
    });
    expect(dynamoDb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'tokens',
      Item: marshall({
        pk: `approval#${link.approvalId}`,
        taskToken: event.taskToken,
        executionArn: event.executionArn,
        migrationName: 'Orders to Aurora',
        status: 'pending',
        summary: '12 tables loaded, 1,234,567 rows, DMS validation passed.',
        details: {
          mode: 'migrate',
          taskPhase: 'cdc',
          migrationType: 'full-load-and-cdc',
          tablesLoaded: 12,
          rowsLoaded: 1_234_567,
          validation: { outcome: 'passed', tableCount: 12, validated: 11, pending: 0, failed: 0, notEnabled: 0, keyless: 1 },
          cdcLatency: { sourceSeconds: 2, targetSeconds: 3, measuredAt: '2026-11-24T12:00:00.000Z' },
          comparison: 'not run (the input has no database block)',
          cutover: { endpointParameterName: '/dms-orchestrator/orders-to-aurora/endpoint', snapshotBeforeCutover: true, wayBack: { prepared: false } },
        },
        requestedAt: '2026-11-24T12:00:00.000Z',
        expiresAt: '2026-11-25T12:00:00.000Z',
        ttl: link.expiresAt.getTime() / 1000 + 7 * 24 * 3600,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(cloudWatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date('2026-11-24T11:55:00Z'),
      EndTime: now,
      ScanBy: 'TimestampAscending',
    });
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: `approval-reminder-${link.approvalId}`,
      GroupName: reminder.scheduleGroupName,
      Description: 'Reminds the approvers once if the cutover approval is still pending',
      ScheduleExpression: 'at(2026-11-24T16:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: reminder.functionArn,
        RoleArn: reminder.roleArn,
        Input: JSON.stringify({ approvalId: link.approvalId }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
      ClientToken: link.approvalId,
    });
    const message = sns.commandCalls(PublishCommand)[0].args[0].input.Message as string;
    expect(message).toContain(`Review and decide: ${approvalUrl(settings.approvalBaseUrl, KEY, link)}`);
    expect(message).not.toContain(event.taskToken);
    expect(message).toContain('Independent comparison: not run (the input has no database block)');
    expect(message).toContain('The request expires at 2026-11-25 12:00:00 UTC.');
  });

  it('with approvers, stores the allow-list and the approvals needed, and the e-mail says the link alone decides nothing', async () => {
    const approval = { approvers: ['Ana@example.com', 'ben@example.com'], approvals: 2 as const };
    const subscribed = { ...settings, subscribedApprovers: ['ana@example.com', 'ben@example.com', 'cho@example.com'] };
    await requestApproval(clients, KEY, subscribed, { ...event, config: migrationConfig({ approval }) }, now, () => link.approvalId);
    expect(storedItem()).toMatchObject(marshall({ approvers: approval.approvers, approvalsRequired: 2 }));
    const message = sns.commandCalls(PublishCommand)[0].args[0].input.Message as string;
    expect(message).toContain(
      'Who decides: two different approvers must approve of Ana@example.com, ben@example.com, each confirming on the page with a one-time code sent to their own address. The link alone decides nothing.',
    );
    expect(message).toContain('Until two approvers approve: Nothing is cut over; replication keeps running');
  });

  it('refuses an approver the deployment did not subscribe to its code topic, before parking anything', async () => {
    const config = migrationConfig({ approval: { approvers: ['ana@example.com', 'eve@example.com'] } });
    await expect(requestApproval(clients, KEY, { ...settings, subscribedApprovers: ['ana@example.com'] }, { ...event, config }, now, () => link.approvalId)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining("approval.approvers: not subscribed to this deployment's approver-code topic, so no code could reach them: eve@example.com."),
    });
    expect(dynamoDb).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('a rollback request says ROLLBACK and that the target is frozen, and reads nothing about the stopped forward task', async () => {
    const rollback = { taskToken: event.taskToken, executionArn: event.executionArn, config: migrationConfig({ mode: 'rollback', database: DATABASE_ACCESS, rollback: WAY_BACK }) };
    await requestApproval(clients, KEY, settings, rollback, now, () => link.approvalId);
    const stored = unmarshall(storedItem() ?? {});
    expect(stored.summary).toMatch(/^ROLLBACK: .*freezes TARGET writes \(read_only on the database the applications use now\)/);
    expect(stored.details).toMatchObject({ mode: 'rollback', cutover: { endpointParameterName: rollback.config.cutover.endpointParameterName } });
    expect(stored.details).not.toHaveProperty('cdcLatency');
    expect(cloudWatch).not.toHaveReceivedAnyCommand();
    const published = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(published.Subject).toBe('[DMS] Orders to Aurora: ROLLBACK approval needed: freezes the TARGET');
    expect(published.Message).toContain('Phase: waiting for ROLLBACK approval');
    expect(published.Message).toContain('Until someone approves: Nothing is frozen or switched: applications stay on the target');
    expect(published.Message).not.toContain('Independent comparison');
  });

  it('schedules no reminder that would come at or after the expiry', async () => {
    await expect(requestApproval(clients, KEY, { ...settings, timeoutSeconds: 4 * 3600 }, event, now, () => link.approvalId)).resolves.not.toHaveProperty('reminderAt');
    expect(scheduler).not.toHaveReceivedAnyCommand();
  });

  it('still asks for approval when the reminder cannot be scheduled: only the reminder is lost', async () => {
    scheduler.on(CreateScheduleCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(requestApproval(clients, KEY, settings, event, now, () => link.approvalId)).resolves.not.toHaveProperty('reminderAt');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it.each<[string, () => void, typeof event, string]>([
    ['a full-load-only task', () => undefined, { ...event, progress: { ...event.progress, migrationType: 'full-load' } }, 'a full-load-only task has no CDC'],
    ['no datapoints in the window', () => cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'source', Values: [] }, { Id: 'target', Values: [] }] }), event, 'DMS published no CDC latency in the last 5 minutes'],
    ['CloudWatch refusing', () => cloudWatch.on(GetMetricDataCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })), event, 'CloudWatch could not be read (AccessDeniedException)'],
    ['a missing replication instance', () => dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [] }), event, 'CloudWatch could not be read (ResourceNotFound)'],
  ])('shows CDC latency as unavailable for %s, and still asks for approval', async (_, arrange, requestEvent, unavailable) => {
    arrange();
    await requestApproval(clients, KEY, settings, requestEvent, now, () => link.approvalId);
    expect(storedItem()?.details.M?.cdcLatency).toEqual({ M: { unavailable: { S: unavailable } } });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('summarizes and details what it knows, ignoring fields of the wrong type', () => {
    expect(approvalSummary({})).toBe('Full load and validation finished.');
    expect(approvalSummary({ validation: { outcome: 'not-enabled' } })).toBe('DMS validation not-enabled.');
    expect(approvalDetails({ progress: { phase: 7, tables: { loaded: '12' } }, validation: { outcome: 3 } })).toEqual({
      taskPhase: undefined,
      migrationType: undefined,
      tablesLoaded: undefined,
      rowsLoaded: undefined,
      validation: undefined,
      comparison: 'not run',
      readinessWarnings: undefined,
    });
  });

  it('gives the approver the independent comparison, the readiness warnings and what the cutover will do', () => {
    const config = migrationConfig({ database: DATABASE_ACCESS, rollback: { ...WAY_BACK, soakMinutes: 120 } });
    const details = approvalDetails({
      config,
      comparison: { outcome: 'match', tableCount: 12, sourceRows: 120000, targetRows: 120000, weakerTables: ['shop.page_views'], report: 's3://plans/run-1/report.json' },
      readiness: { outcome: 'warn', checks: [{ side: 'source', name: 'binlog_row_image', status: 'warn', seen: 'MINIMAL', remedy: 'Set binlog_row_image=FULL.' }, { side: 'target', name: 'version', status: 'pass', seen: '8.0' }] },
    });
    expect(details.comparison).toBe('match (12 tables, 120,000 source rows, 120,000 target rows); compared by count and checksum only (no usable key): shop.page_views; report: s3://plans/run-1/report.json');
    expect(details.readinessWarnings).toEqual(['source: binlog_row_image: MINIMAL. Set binlog_row_image=FULL.']);
    expect(details.cutover).toEqual({ endpointParameterName: config.cutover.endpointParameterName, snapshotBeforeCutover: true, wayBack: { prepared: true, soakMinutes: 120 } });
    expect(approvalDetails({ config: migrationConfig() }).comparison).toBe('not run (the input has no database block)');
  });

  it('handler reads the signing key from Secrets Manager once, and retries a failed or empty read', async () => {
    setFunctionEnvironment({
      APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:approval-key-AbCdEf',
      TOKEN_TABLE_NAME: 'tokens',
      TOPIC_ARN: settings.topicArn,
      APPROVAL_BASE_URL: settings.approvalBaseUrl,
      APPROVAL_TIMEOUT_SECONDS: '86400',
      APPROVAL_REMINDER_AFTER_SECONDS: '14400',
      APPROVAL_REMINDER_SCHEDULE_GROUP: reminder.scheduleGroupName,
      APPROVAL_REMINDER_FUNCTION_ARN: reminder.functionArn,
      APPROVAL_REMINDER_ROLE_ARN: reminder.roleArn,
    });
    const { handler } = await import('../../../functions/request-approval/handler');
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }))
      .resolvesOnce({ SecretBinary: new Uint8Array([1]) })
      .resolves({ SecretString: KEY });
    await expect(handler(event)).rejects.toMatchObject({ name: 'AwsServiceUnavailable' });
    await expect(handler(event)).rejects.toMatchObject({ name: 'ConfigurationError' });
    await expect(handler(event)).resolves.toMatchObject({ approvalId: expect.any(String) });
    await expect(handler(event)).resolves.toMatchObject({ approvalId: expect.any(String) });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: process.env.APPROVAL_KEY_SECRET_ARN });
  });
});
