import { randomUUID } from 'node:crypto';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { notify } from '../notify/notify';
import { approvalUrl } from '../shared/approval-link';
import type { MigrationConfig } from '../shared/migration-input';

export interface ApprovalRequestSettings {
  tokenTableName: string;
  topicArn: string;
  /** The approval page's address (the approval API's review route). */
  approvalBaseUrl: string;
  /** Matches the workflow's timeout on the approval state, so the e-mail states the real deadline. */
  timeoutSeconds: number;
}

export interface ApprovalRequestEvent {
  taskToken: string;
  executionArn?: string;
  config: MigrationConfig;
  progress?: Record<string, unknown>;
  validation?: Record<string, unknown>;
}

export interface ApprovalRequestClients {
  dynamoDb: DynamoDBClient;
  sns: SNSClient;
}

/**
 * Parks the workflow on a person's decision: the task token goes into the token table under a fresh, opaque
 * approval id, and the e-mail carries only a signed link to the review page. Nothing in the e-mail can
 * decide anything by being fetched; the page asks for an explicit Approve or Reject.
 */
export async function requestApproval(
  clients: ApprovalRequestClients,
  signingKey: string,
  settings: ApprovalRequestSettings,
  event: ApprovalRequestEvent,
  now: Date,
  newApprovalId: () => string = randomUUID,
): Promise<{ approvalId: string; expiresAt: string }> {
  const approvalId = newApprovalId();
  const expiresAt = new Date(now.getTime() + settings.timeoutSeconds * 1000);
  const summary = approvalSummary(event);
  await clients.dynamoDb.send(
    new PutItemCommand({
      TableName: settings.tokenTableName,
      Item: marshall({
        pk: `approval#${approvalId}`,
        taskToken: event.taskToken,
        executionArn: event.executionArn ?? '',
        migrationName: event.config.migrationName,
        status: 'pending',
        summary,
        requestedAt: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
        // DynamoDB TTL removes the record a week after it could last be used.
        ttl: Math.floor(expiresAt.getTime() / 1000) + 7 * 24 * 3600,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  await notify(clients.sns, settings.topicArn, {
    kind: 'approval-request',
    migrationName: event.config.migrationName,
    executionArn: event.executionArn,
    details: {
      reviewUrl: approvalUrl(settings.approvalBaseUrl, signingKey, { approvalId, expiresAt }),
      expiresAt: expiresAt.toISOString(),
      summary,
    },
  });
  return { approvalId, expiresAt: expiresAt.toISOString() };
}

/** One line on where the migration stands, for the e-mail and the review page. */
export function approvalSummary(event: Pick<ApprovalRequestEvent, 'progress' | 'validation'>): string {
  const tables = (event.progress?.tables ?? {}) as Record<string, unknown>;
  const parts = [
    typeof tables.loaded === 'number' ? `${tables.loaded} tables loaded` : undefined,
    typeof event.progress?.rowsLoaded === 'number' ? `${event.progress.rowsLoaded.toLocaleString('en-US')} rows` : undefined,
    typeof event.validation?.outcome === 'string' ? `DMS validation ${event.validation.outcome}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join(', ')}.` : 'Full load and validation finished.';
}
