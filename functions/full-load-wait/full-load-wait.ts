import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DisableRuleCommand, EnableRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { replicationOf } from '../shared/replication';
import { checkProgress, type FullLoadProgress } from '../shared/full-load-progress';
import { leftToTheWave, publishNotification } from '../shared/notifications/publish';
import { MigrationError } from '../shared/errors';
import { logger } from '../shared/logger';
import { expiresAfter, TOKEN_TABLE_TTL_ATTRIBUTE } from '../shared/token-table';
import type { MigrationConfig } from '../shared/migration-input';

/**
 * The event-driven full-load wait. The workflow parks on a Step Functions task token stored here, keyed by
 * replication's ARN (task or serverless replication config); whoever next sees the replication (the DMS
 * event, the periodic check, or the registration itself) reads it and, once the full load is over or has
 * failed, hands the token back. Polling from
 * inside the workflow would cost history events for every check; this costs none while the load runs.
 *
 * A full-load-and-cdc replication stays `running` when its load ends, and no DMS event marks that moment: only a
 * check notices it. So while a wait is parked, an EventBridge rule wakes the watcher every minute (the end is
 * noticed within a minute, and nothing of it lands in the execution's history); with no wait parked the rule
 * is disabled, and an idle migration costs nothing.
 */
export interface FullLoadWait {
  replicationArn: string;
  taskToken: string;
  config: MigrationConfig;
  executionArn?: string;
  /** The last progress milestone notified, in percent. */
  lastMilestonePercent: number;
}

export interface FullLoadWaitClients {
  dms: DatabaseMigrationServiceClient;
  dynamoDb: DynamoDBClient;
  eventBridge: EventBridgeClient;
  stepFunctions: SFNClient;
  sns: SNSClient;
}

export interface FullLoadWaitSettings {
  tokenTableName: string;
  topicArn: string;
  /** Notify progress each time the full load crosses a multiple of this percentage. */
  milestonePercent: number;
  /** The rule that wakes the watcher every minute while a wait is parked. */
  checkRuleName: string;
}

export type SettleOutcome = 'completed' | 'failed' | 'waiting' | 'stale';

const key = (replicationArn: string) => marshall({ pk: `full-load#${replicationArn}` });

/** Waits expire from the table a week after their timeout would have fired anyway. */
const WAIT_RETENTION_SECONDS = 14 * 24 * 3600;

export async function registerFullLoadWait(
  dynamoDb: DynamoDBClient,
  tableName: string,
  wait: Omit<FullLoadWait, 'lastMilestonePercent'>,
  now: Date,
): Promise<void> {
  // A new token replaces the previous one (the safety net parks the workflow again with a fresh token),
  // but the milestones already announced are kept so nobody is told "25 %" twice.
  await dynamoDb.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: key(wait.replicationArn),
      UpdateExpression:
        'SET taskToken = :token, config = :config, executionArn = :execution, registeredAt = :now, #expiry = :expires, lastMilestonePercent = if_not_exists(lastMilestonePercent, :zero)',
      // The TTL attribute's name, "ttl", is a DynamoDB reserved word: an expression names it through a placeholder.
      ExpressionAttributeNames: { '#expiry': TOKEN_TABLE_TTL_ATTRIBUTE },
      ExpressionAttributeValues: marshall({
        ':token': wait.taskToken,
        ':config': JSON.stringify(wait.config),
        ':execution': wait.executionArn ?? '',
        ':now': now.toISOString(),
        ':expires': expiresAfter(now, WAIT_RETENTION_SECONDS),
        ':zero': 0,
      }),
    }),
  );
}

export async function readFullLoadWait(dynamoDb: DynamoDBClient, tableName: string, replicationArn: string): Promise<FullLoadWait | undefined> {
  const response = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: key(replicationArn), ConsistentRead: true }));
  if (!response.Item) return undefined;
  const item = unmarshall(response.Item);
  return {
    replicationArn,
    taskToken: String(item.taskToken),
    config: JSON.parse(String(item.config)) as MigrationConfig,
    executionArn: item.executionArn ? String(item.executionArn) : undefined,
    lastMilestonePercent: Number(item.lastMilestonePercent ?? 0),
  };
}

/** Starts the minute checks: called once the wait is registered, so the first check finds it. */
export async function startChecks(clients: Pick<FullLoadWaitClients, 'eventBridge'>, settings: Pick<FullLoadWaitSettings, 'checkRuleName'>): Promise<void> {
  await clients.eventBridge.send(new EnableRuleCommand({ Name: settings.checkRuleName }));
}

/**
 * Stops the minute checks once no wait is parked. The rule is disabled first and the table read after: a wait
 * registered meanwhile (its registration starts the checks only after storing it) is then either seen here,
 * and the checks start again, or stored after this read, and its own start comes after this stop. No order of
 * the two leaves a parked wait unchecked. Returns whether the checks go on.
 */
export async function stopChecksUnlessWaiting(clients: Pick<FullLoadWaitClients, 'dynamoDb' | 'eventBridge'>, settings: FullLoadWaitSettings, replicationArn: string): Promise<boolean> {
  await clients.eventBridge.send(new DisableRuleCommand({ Name: settings.checkRuleName }));
  if (!(await readFullLoadWait(clients.dynamoDb, settings.tokenTableName, replicationArn))) return false;
  await startChecks(clients, settings);
  return true;
}

/**
 * Reads the replication and, when the wait is over, returns the token: success with the progress when the
 * full load is complete, failure with our error's name and message when the replication or a table failed. Otherwise announces
 * a newly crossed progress milestone and leaves the workflow waiting.
 */
export async function settleFullLoadWait(
  clients: FullLoadWaitClients,
  settings: FullLoadWaitSettings,
  wait: FullLoadWait,
): Promise<SettleOutcome> {
  let progress: FullLoadProgress;
  try {
    progress = await checkProgress(replicationOf(clients.dms, wait.config).forward);
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error;
    return handBack(clients, settings, wait, new SendTaskFailureCommand({ taskToken: wait.taskToken, error: error.name, cause: error.message }), 'failed');
  }
  if (progress.fullLoadComplete) {
    return handBack(clients, settings, wait, new SendTaskSuccessCommand({ taskToken: wait.taskToken, output: JSON.stringify(progress) }), 'completed');
  }
  await announceMilestone(clients, settings, wait, progress);
  return 'waiting';
}

async function handBack(
  clients: FullLoadWaitClients,
  settings: FullLoadWaitSettings,
  wait: FullLoadWait,
  command: SendTaskSuccessCommand | SendTaskFailureCommand,
  outcome: SettleOutcome,
): Promise<SettleOutcome> {
  let result = outcome;
  try {
    await clients.stepFunctions.send(command as SendTaskSuccessCommand);
  } catch (error) {
    // The workflow stopped waiting on this token (its safety-net timeout fired, or the execution ended):
    // the token is stale, and the workflow has already moved on by itself.
    if (!(error instanceof Error && ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(error.name))) throw error;
    logger.info('Full-load wait token is stale', { errorName: error.name });
    result = 'stale';
  }
  await forgetWait(clients.dynamoDb, settings.tokenTableName, wait);
  return result;
}

/** Deletes the wait only if it still holds this token: a newer registration must survive. */
async function forgetWait(dynamoDb: DynamoDBClient, tableName: string, wait: FullLoadWait): Promise<void> {
  try {
    await dynamoDb.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: key(wait.replicationArn),
        ConditionExpression: 'taskToken = :token',
        ExpressionAttributeValues: marshall({ ':token': wait.taskToken }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export function crossedMilestone(progressPercent: number, lastMilestonePercent: number, milestonePercent: number): number | undefined {
  const milestone = Math.floor(progressPercent / milestonePercent) * milestonePercent;
  return milestone > lastMilestonePercent && milestone < 100 ? milestone : undefined;
}

async function announceMilestone(
  clients: FullLoadWaitClients,
  settings: FullLoadWaitSettings,
  wait: FullLoadWait,
  progress: FullLoadProgress,
): Promise<void> {
  const milestone = crossedMilestone(progress.fullLoadProgressPercent, wait.lastMilestonePercent, settings.milestonePercent);
  if (milestone === undefined || leftToTheWave({ kind: 'full-load-progress' }, wait.config)) return;
  // Claim the milestone first: of two watchers racing (event and periodic check), one notifies.
  try {
    await clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: settings.tokenTableName,
        Key: key(wait.replicationArn),
        UpdateExpression: 'SET lastMilestonePercent = :milestone',
        ConditionExpression: 'lastMilestonePercent = :previous',
        ExpressionAttributeValues: marshall({ ':milestone': milestone, ':previous': wait.lastMilestonePercent }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    throw error;
  }
  await publishNotification(clients.sns, settings.topicArn, {
    kind: 'full-load-progress',
    migrationName: wait.config.migrationName,
    executionArn: wait.executionArn,
    details: { progress: { ...progress, tables: { ...progress.tables } } },
  });
}
