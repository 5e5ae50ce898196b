import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { publishNotification } from '../shared/notifications/publish';
import { approvalUrl } from '../shared/approval-link';
import { approvalKey, hasExpired, readApproval } from '../shared/approval-record';
import { logger } from '../shared/logger';

export interface ReminderClients {
  dynamoDb: DynamoDBClient;
  sns: SNSClient;
}

export interface ReminderSettings {
  tokenTableName: string;
  topicArn: string;
  approvalBaseUrl: string;
}

export type ReminderOutcome = 'reminded' | 'not-found' | 'decided' | 'expired' | 'already-reminded';

/**
 * Runs once, when the one-time schedule request-approval created fires. Reminds only a request that is still
 * pending and unexpired, and claims the reminder with a conditional write before sending it: a decision that
 * lands between the read and the write makes the write fail, so nobody is reminded of a decided cutover,
 * and a retried invocation never sends a second reminder. The e-mail carries the same signed link (same id
 * and expiry, so the same signature) as the original request.
 */
export async function remindApprovers(
  clients: ReminderClients,
  settings: ReminderSettings,
  signingKey: string,
  approvalId: string,
  now: Date,
): Promise<ReminderOutcome> {
  const record = await readApproval(clients.dynamoDb, settings.tokenTableName, approvalId);
  if (!record) return 'not-found';
  if (record.status !== 'pending') return 'decided';
  if (hasExpired(record, now)) return 'expired';
  const remindedAt = now.toISOString();
  try {
    await clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: settings.tokenTableName,
        Key: approvalKey(approvalId),
        UpdateExpression: 'SET #reminderSentAt = :now',
        ConditionExpression: '#status = :pending AND attribute_not_exists(#reminderSentAt)',
        ExpressionAttributeNames: { '#status': 'status', '#reminderSentAt': 'reminderSentAt' },
        ExpressionAttributeValues: marshall({ ':now': remindedAt, ':pending': 'pending' }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return 'already-reminded';
  }
  try {
    await publishNotification(clients.sns, settings.topicArn, {
      kind: 'approval-reminder',
      migrationName: record.migrationName,
      executionArn: record.executionArn || undefined,
      details: {
        reviewUrl: approvalUrl(settings.approvalBaseUrl, signingKey, { approvalId, expiresAt: new Date(record.expiresAt) }),
        requestedAt: record.requestedAt,
        expiresAt: record.expiresAt,
        ...(record.details?.mode ? { mode: record.details.mode } : {}),
        summary: record.summary,
      },
    });
  } catch (error) {
    // Give the reminder back, so Scheduler's retry can send it.
    await clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: settings.tokenTableName,
        Key: approvalKey(approvalId),
        UpdateExpression: 'REMOVE #reminderSentAt',
        ConditionExpression: '#reminderSentAt = :now',
        ExpressionAttributeNames: { '#reminderSentAt': 'reminderSentAt' },
        ExpressionAttributeValues: marshall({ ':now': remindedAt }),
      }),
    );
    throw error;
  }
  logger.info('Reminded the approvers', { approvalId });
  return 'reminded';
}
