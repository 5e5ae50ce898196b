import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, type ExecutionStatus } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { acquireRunLock, releaseRunLock, runLockKey } from '../../../functions/run-lock/run-lock';

const TABLE = 'orders-migration-tokens';
const ME = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:console-start';
const OTHER = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:scheduled-start';
const LOCK_KEY = 'lock#orders-to-aurora';
const NOW = () => new Date('2026-11-25T02:00:00Z');

const dynamoDb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const clients = { dynamoDb: new DynamoDBClient({}), sfn: new SFNClient({}) };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const heldBy = (holder: string) => ({ Item: marshall({ pk: LOCK_KEY, holder, migrationName: 'Orders to Aurora', acquiredAt: '2026-11-25T01:00:00.000Z' }) });
const execution = (status: ExecutionStatus) => ({
  executionArn: OTHER,
  stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrdersMigration-migration',
  name: 'scheduled-start',
  status,
  startDate: new Date('2026-11-25T01:00:00Z'),
});

beforeEach(() => {
  dynamoDb.reset();
  sfn.reset();
});
afterAll(() => {
  dynamoDb.restore();
  sfn.restore();
});

describe('run lock', () => {
  it('is keyed by the migration slug, apart from tokens and approvals', () => {
    expect(runLockKey('Orders to Aurora')).toBe(LOCK_KEY);
  });

  it('takes a free lock with a conditional put naming this execution', async () => {
    dynamoDb.on(PutItemCommand).resolves({});
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).resolves.toEqual({ lockKey: LOCK_KEY, holder: ME, acquiredAt: '2026-11-25T02:00:00.000Z' });
    expect(dynamoDb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: marshall({ pk: LOCK_KEY, holder: ME, migrationName: 'Orders to Aurora', acquiredAt: '2026-11-25T02:00:00.000Z' }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('refuses a second execution while the holder runs, naming the holder', async () => {
    dynamoDb.on(PutItemCommand).rejects(conditionFailed());
    dynamoDb.on(GetItemCommand).resolves(heldBy(OTHER));
    sfn.on(DescribeExecutionCommand, { executionArn: OTHER }).resolves(execution('RUNNING'));
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).rejects.toMatchObject({
      name: 'MigrationLocked',
      holder: OTHER,
      message: `Another execution is already running this migration: ${OTHER}. This one stopped before changing anything.`,
    });
    expect(dynamoDb).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('is idempotent for its own holder (a retried acquire step)', async () => {
    dynamoDb.on(PutItemCommand).rejects(conditionFailed());
    dynamoDb.on(GetItemCommand).resolves(heldBy(ME));
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).resolves.toMatchObject({ holder: ME, acquiredAt: '2026-11-25T01:00:00.000Z' });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it.each<[ExecutionStatus]>([['ABORTED'], ['FAILED'], ['SUCCEEDED'], ['TIMED_OUT']])('takes over a lock left by an execution that is %s', async (status) => {
    dynamoDb.on(PutItemCommand, { ConditionExpression: 'attribute_not_exists(pk)' }).rejects(conditionFailed());
    dynamoDb.on(PutItemCommand, { ConditionExpression: 'holder = :stale' }).resolves({});
    dynamoDb.on(GetItemCommand).resolves(heldBy(OTHER));
    sfn.on(DescribeExecutionCommand).resolves(execution(status));
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).resolves.toMatchObject({ holder: ME, tookOverFrom: OTHER });
    expect(dynamoDb).toHaveReceivedCommandWith(PutItemCommand, { ConditionExpression: 'holder = :stale', ExpressionAttributeValues: marshall({ ':stale': OTHER }) });
  });

  it('takes over a lock whose holder Step Functions no longer knows', async () => {
    dynamoDb.on(PutItemCommand, { ConditionExpression: 'attribute_not_exists(pk)' }).rejects(conditionFailed());
    dynamoDb.on(PutItemCommand, { ConditionExpression: 'holder = :stale' }).resolves({});
    dynamoDb.on(GetItemCommand).resolves(heldBy(OTHER));
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).resolves.toMatchObject({ tookOverFrom: OTHER });
  });

  it('retries when the lock vanished between the put and the read', async () => {
    dynamoDb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    dynamoDb.on(GetItemCommand).resolves({});
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).resolves.toMatchObject({ holder: ME });
    expect(dynamoDb).toHaveReceivedCommandTimes(PutItemCommand, 2);
  });

  it('gives up, naming the holder, when another newcomer keeps winning the takeover', async () => {
    dynamoDb.on(PutItemCommand).rejects(conditionFailed());
    dynamoDb.on(GetItemCommand).resolves(heldBy(OTHER));
    sfn.on(DescribeExecutionCommand).resolves(execution('ABORTED'));
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).rejects.toMatchObject({ name: 'MigrationLocked', holder: OTHER });
  });

  it('passes on errors other than a failed condition', async () => {
    dynamoDb.on(PutItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    dynamoDb.on(PutItemCommand).rejects(conditionFailed());
    dynamoDb.on(GetItemCommand).resolves(heldBy(OTHER));
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(acquireRunLock(clients, TABLE, 'Orders to Aurora', ME, NOW)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('releases only its own lock', async () => {
    dynamoDb.on(DeleteItemCommand).resolves({});
    await expect(releaseRunLock(clients.dynamoDb, TABLE, 'Orders to Aurora', ME)).resolves.toEqual({ released: true });
    expect(dynamoDb).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: marshall({ pk: LOCK_KEY }),
      ConditionExpression: 'holder = :me',
      ExpressionAttributeValues: marshall({ ':me': ME }),
    });
    dynamoDb.on(DeleteItemCommand).rejects(conditionFailed());
    await expect(releaseRunLock(clients.dynamoDb, TABLE, 'Orders to Aurora', ME)).resolves.toEqual({ released: false });
    dynamoDb.on(DeleteItemCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    await expect(releaseRunLock(clients.dynamoDb, TABLE, 'Orders to Aurora', ME)).rejects.toMatchObject({ name: 'InternalServerError' });
  });
});
