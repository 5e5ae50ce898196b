import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { MigrationLocked } from '../shared/errors';
import { logger } from '../shared/logger';
import { migrationSlug } from '../shared/migration-input';

/**
 * One run per migration: a lock item in the token table, `lock#<migration slug>`, held by the execution ARN.
 * A scheduled and a console start of the same migration can never run at once; the second stops before it
 * changes anything and names the holder.
 *
 * The state machine releases the lock on every path it controls (success, failure, timeout). An execution
 * stopped from the console (StopExecution) runs no more states, so its lock would stay behind: a lock whose
 * holder Step Functions no longer reports as RUNNING is therefore taken over, with a conditional write on
 * the stale holder so two newcomers cannot both take it.
 */
export interface RunLockClients {
  dynamoDb: DynamoDBClient;
  sfn: SFNClient;
}

export interface RunLock {
  lockKey: string;
  holder: string;
  acquiredAt: string;
  /** The execution whose lock was left behind and taken over (it had stopped without releasing it). */
  tookOverFrom?: string;
}

export function runLockKey(migrationName: string): string {
  return `lock#${migrationSlug(migrationName)}`;
}

/** DescribeExecution status values (Step Functions API); only RUNNING holds a lock. */
const LIVE_STATUSES: ReadonlySet<string> = new Set(['RUNNING']);

export async function acquireRunLock(
  clients: RunLockClients,
  tableName: string,
  migrationName: string,
  executionArn: string,
  now: () => Date = () => new Date(),
): Promise<RunLock> {
  const lockKey = runLockKey(migrationName);
  const put = async (condition: string, values?: Record<string, string>) => {
    const acquiredAt = now().toISOString();
    await clients.dynamoDb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ pk: lockKey, holder: executionArn, migrationName, acquiredAt }),
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: marshall(values) } : {}),
      }),
    );
    return acquiredAt;
  };

  // Three rounds cover a lock released or taken over between our reads; more would mean a live contender.
  for (let round = 0; round < 3; round++) {
    try {
      return { lockKey, holder: executionArn, acquiredAt: await put('attribute_not_exists(pk)') };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const current = await clients.dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: lockKey }), ConsistentRead: true }));
    if (!current.Item) continue;
    const { holder, acquiredAt } = unmarshall(current.Item) as { holder: string; acquiredAt: string };
    // A retried invocation of our own acquire step: we already hold it.
    if (holder === executionArn) return { lockKey, holder, acquiredAt };
    if (await isRunning(clients.sfn, holder)) throw new MigrationLocked(holder);
    try {
      const takenAt = await put('holder = :stale', { ':stale': holder });
      logger.warn('Took over a lock left by a stopped execution', { lockKey, staleHolder: holder });
      return { lockKey, holder: executionArn, acquiredAt: takenAt, tookOverFrom: holder };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  const current = await clients.dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: lockKey }), ConsistentRead: true }));
  throw new MigrationLocked(current.Item ? String(unmarshall(current.Item).holder) : 'another execution (it changed while we looked)');
}

async function isRunning(sfn: SFNClient, executionArn: string): Promise<boolean> {
  try {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return LIVE_STATUSES.has(execution.status ?? '');
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

/** Deletes the lock only if this execution holds it: a refused second run must not free the first run's lock. */
export async function releaseRunLock(dynamoDb: DynamoDBClient, tableName: string, migrationName: string, executionArn: string): Promise<{ released: boolean }> {
  try {
    await dynamoDb.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: marshall({ pk: runLockKey(migrationName) }),
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: marshall({ ':me': executionArn }),
      }),
    );
    return { released: true };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { released: false };
    throw error;
  }
}
