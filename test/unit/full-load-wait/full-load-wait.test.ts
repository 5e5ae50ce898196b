import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
} from '@aws-sdk/client-database-migration-service';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { crossedMilestone } from '../../../functions/full-load-wait/full-load-wait';
import { TOKEN_TABLE_TTL_ATTRIBUTE } from '../../../functions/shared/token-table';
import { TASK_ARN, migrationConfig, replicationTask, tableStatistics } from '../../support/migration';
import { validateExpressions } from '../../../local/emulator/dynamodb';
import { setFunctionEnvironment } from '../../support/function-environment';

const TABLE = 'orders-migration-tokens';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:orders-migration';
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration:run-1';
const config = migrationConfig();
const dms = mockClient(DatabaseMigrationServiceClient);
const dynamoDb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);
const eventBridge = mockClient(EventBridgeClient);
const CHECK_RULE = 'OrdersMigration-full-load-checks';

function storedWait(lastMilestonePercent = 0, taskToken = 'token-1', waitingConfig: object = config) {
  return {
    Item: marshall({
      pk: `full-load#${TASK_ARN}`,
      taskToken,
      config: JSON.stringify(waitingConfig),
      executionArn: EXECUTION_ARN,
      registeredAt: '2026-11-24T09:00:00.000Z',
      ttl: 1_800_000_000,
      lastMilestonePercent,
    }),
  };
}
const loaded = { FullLoadProgressPercent: 100, TablesLoaded: 2, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0, ElapsedTimeMillis: 1000 };

let awaitFullLoad: (event: unknown) => Promise<{ outcome: string }>;
let watcher: (event: unknown) => Promise<{ outcome: string }>;

beforeAll(async () => {
  setFunctionEnvironment({
    TOKEN_TABLE_NAME: TABLE,
    TOPIC_ARN,
    PROGRESS_MILESTONE_PERCENT: '25',
    REPLICATION_TASK_ARN: TASK_ARN,
    FULL_LOAD_CHECK_RULE_NAME: CHECK_RULE,
  });
  ({ handler: awaitFullLoad } = await import('../../../functions/full-load-wait/await-handler'));
  ({ handler: watcher } = await import('../../../functions/full-load-wait/watch-handler'));
});

beforeEach(() => {
  for (const client of [dms, dynamoDb, sfn, sns, eventBridge]) client.reset();
  eventBridge.on(EnableRuleCommand).resolves({});
  eventBridge.on(DisableRuleCommand).resolves({});
  dynamoDb.on(UpdateItemCommand).resolves({});
  dynamoDb.on(DeleteItemCommand).resolves({});
  dynamoDb.on(GetItemCommand).resolves(storedWait());
  dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ FullLoadRows: 5000 })] });
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('crossedMilestone', () => {
  it.each`
    percent | last  | step  | crossed
    ${10}   | ${0}  | ${25} | ${undefined}
    ${25}   | ${0}  | ${25} | ${25}
    ${74}   | ${25} | ${25} | ${50}
    ${74}   | ${50} | ${25} | ${undefined}
    ${100}  | ${75} | ${25} | ${undefined}
    ${33}   | ${0}  | ${10} | ${30}
  `('$percent % after $last % in steps of $step -> $crossed', ({ percent, last, step, crossed }) => {
    expect(crossedMilestone(percent, last, step)).toBe(crossed);
  });
});

describe('await-full-load', () => {
  it('stores the token, keeping announced milestones, and leaves the workflow waiting', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { FullLoadProgressPercent: 10 } })] });
    await expect(awaitFullLoad({ config, taskToken: 'token-1', executionArn: EXECUTION_ARN })).resolves.toEqual({ outcome: 'waiting' });
    expect(dynamoDb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: marshall({ pk: `full-load#${TASK_ARN}` }),
      UpdateExpression: expect.stringContaining('lastMilestonePercent = if_not_exists(lastMilestonePercent, :zero)'),
      ExpressionAttributeValues: expect.objectContaining({ ':token': { S: 'token-1' }, ':config': { S: JSON.stringify(config) } }),
    });
    expect(sfn).not.toHaveReceivedAnyCommand();
    // The minute checks start once the wait is stored, and stay on while it is parked.
    expect(eventBridge).toHaveReceivedCommandWith(EnableRuleCommand, { Name: CHECK_RULE });
    expect(eventBridge).not.toHaveReceivedCommand(DisableRuleCommand);
    expect(dynamoDb.commandCalls(UpdateItemCommand)[0].calledBefore(eventBridge.commandCalls(EnableRuleCommand)[0])).toBe(true);
  });

  it('lets the wait expire from the table through its TTL attribute, two weeks on', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { FullLoadProgressPercent: 10 } })] });
    const before = Math.floor(Date.now() / 1000);
    await awaitFullLoad({ config, taskToken: 'token-1', executionArn: EXECUTION_ARN });
    const [update] = dynamoDb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    // "ttl" is a DynamoDB reserved word: named through a placeholder, which DynamoDB accepts.
    expect(update.UpdateExpression).toContain('#expiry = :expires');
    expect(update.ExpressionAttributeNames).toEqual({ '#expiry': TOKEN_TABLE_TTL_ATTRIBUTE });
    expect(() => validateExpressions(update)).not.toThrow();
    expect(Number(update.ExpressionAttributeValues?.[':expires'].N)).toBeGreaterThanOrEqual(before + 14 * 24 * 3600);
  });

  it('completes at once when the full load finished before the token was stored', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: loaded })] });
    dynamoDb.on(GetItemCommand).resolvesOnce(storedWait()).resolves({});
    await expect(awaitFullLoad({ config, taskToken: 'token-1' })).resolves.toEqual({ outcome: 'completed' });
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output as string);
    expect(output).toMatchObject({ fullLoadComplete: true, rowsLoaded: 5000, phase: 'cdc' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
    expect(dynamoDb).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: marshall({ pk: `full-load#${TASK_ARN}` }),
      ConditionExpression: 'taskToken = :token',
      ExpressionAttributeValues: { ':token': { S: 'token-1' } },
    });
    // Nothing is parked any more: the checks it started are stopped again.
    expect(eventBridge.commandCalls(DisableRuleCommand).map((call) => call.args[0].input)).toEqual([{ Name: CHECK_RULE }]);
    expect(eventBridge.commandCalls(EnableRuleCommand)).toHaveLength(1);
  });

  it('requires a task token', async () => {
    await expect(awaitFullLoad({ config })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('taskToken') });
  });
});

describe('full-load-watcher', () => {
  const dmsEvent = { source: 'aws.dms', 'detail-type': 'DMS Replication Task State Change', resources: [TASK_ARN], detail: { eventType: 'REPLICATION_TASK_STOPPED' } };

  it('does nothing when no workflow is waiting', async () => {
    dynamoDb.on(GetItemCommand).resolves({});
    await expect(watcher(dmsEvent)).resolves.toEqual({ outcome: 'nothing-waiting' });
    expect(dms).not.toHaveReceivedAnyCommand();
    // A check with nothing parked turns the checks off.
    expect(eventBridge).toHaveReceivedCommandWith(DisableRuleCommand, { Name: CHECK_RULE });
    expect(eventBridge).not.toHaveReceivedCommand(EnableRuleCommand);
  });

  it('ends the wait at a minute check when the load is over, and turns the checks off', async () => {
    dynamoDb.on(GetItemCommand).resolvesOnce(storedWait()).resolves({});
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'running', ReplicationTaskStats: loaded })] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableState: 'Table completed' })] });
    await expect(watcher({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).resolves.toEqual({ outcome: 'completed' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
    expect(eventBridge).toHaveReceivedCommandWith(DisableRuleCommand, { Name: CHECK_RULE });
    expect(eventBridge).not.toHaveReceivedCommand(EnableRuleCommand);
  });

  it('keeps the checks on when a new wait was parked while it turned them off', async () => {
    // The safety net parked the workflow again with a fresh token just as this check ended the old wait.
    dynamoDb.on(GetItemCommand).resolvesOnce(storedWait()).resolves(storedWait(0, 'token-2'));
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'running', ReplicationTaskStats: loaded })] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableState: 'Table completed' })] });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    await expect(watcher({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).resolves.toEqual({ outcome: 'stale' });
    const [disable] = eventBridge.commandCalls(DisableRuleCommand);
    const [enable] = eventBridge.commandCalls(EnableRuleCommand);
    expect(disable.calledBefore(enable)).toBe(true);
    // Turned off first, then the table read: a wait stored before that read is seen, one stored after it turns them on itself.
    expect(disable.calledBefore(dynamoDb.commandCalls(GetItemCommand)[1])).toBe(true);
  });

  it('hands the token back with the progress when a full-load task finished', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ MigrationType: 'full-load', Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED', ReplicationTaskStats: loaded })],
    });
    await expect(watcher(dmsEvent)).resolves.toEqual({ outcome: 'completed' });
    expect(dynamoDb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: marshall({ pk: `full-load#${TASK_ARN}` }), ConsistentRead: true });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
  });

  it('hands the token back when a full-load-and-cdc task stopped after its load (StopTaskCachedChanges settings), instead of parking again', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ MigrationType: 'full-load-and-cdc', Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED', ReplicationTaskStats: loaded })],
    });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableState: 'Table completed' })] });
    await expect(watcher(dmsEvent)).resolves.toEqual({ outcome: 'completed' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
  });

  it('fails the wait with the error name when tables errored', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { ...loaded, TablesErrored: 1 } })] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics({ TableState: 'Table error' })] });
    await expect(watcher(dmsEvent)).resolves.toEqual({ outcome: 'failed' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-1', error: 'TablesErrored', cause: expect.stringContaining('orders.order_lines') });
    expect(dynamoDb).toHaveReceivedCommand(DeleteItemCommand);
  });

  it('announces each milestone once', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { FullLoadProgressPercent: 52, TablesLoaded: 3 } })] });
    dynamoDb.on(GetItemCommand).resolves(storedWait(25));
    await expect(watcher({ source: 'aws.scheduler' })).resolves.toEqual({ outcome: 'waiting' });
    expect(dynamoDb).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET lastMilestonePercent = :milestone',
      ConditionExpression: 'lastMilestonePercent = :previous',
      ExpressionAttributeValues: { ':milestone': { N: '50' }, ':previous': { N: '25' } },
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN, Subject: '[DMS] Orders to Aurora: full load 52 %' });
  });

  it('leaves the progress of a wave\'s migration to the wave\'s own e-mails', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { FullLoadProgressPercent: 52, TablesLoaded: 3 } })] });
    const wave = { waveName: 'Friday wave', waveExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:ShopWave-wave:friday' };
    dynamoDb.on(GetItemCommand).resolves(storedWait(25, 'token-1', { ...config, mode: 'prepare', wave }));
    await expect(watcher({ source: 'aws.scheduler' })).resolves.toEqual({ outcome: 'waiting' });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('stays quiet when another watcher already announced the milestone', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { FullLoadProgressPercent: 52 } })] });
    dynamoDb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(watcher(dmsEvent)).resolves.toEqual({ outcome: 'waiting' });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('drops a stale token once the workflow moved on by itself', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: loaded })] });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    dynamoDb.on(DeleteItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(watcher(dmsEvent)).resolves.toEqual({ outcome: 'stale' });
  });

  it('lets unexpected errors through', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: loaded })] });
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(watcher(dmsEvent)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    dms.on(DescribeReplicationTasksCommand).rejects(Object.assign(new Error('boom'), { name: 'AccessDeniedFault' }));
    await expect(watcher(dmsEvent)).rejects.toMatchObject({ name: 'AccessDeniedFault' });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: { FullLoadProgressPercent: 52 } })] });
    dynamoDb.on(UpdateItemCommand).rejects(Object.assign(new Error('throughput'), { name: 'ValidationException' }));
    await expect(watcher(dmsEvent)).rejects.toMatchObject({ name: 'ValidationException' });
    dynamoDb.on(GetItemCommand).resolves(storedWait());
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskStats: loaded })] });
    sfn.on(SendTaskSuccessCommand).resolves({});
    dynamoDb.on(DeleteItemCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(watcher(dmsEvent)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
