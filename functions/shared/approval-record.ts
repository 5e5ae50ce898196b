import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Mode } from './migration-input';
import { expiresAfter, TOKEN_TABLE_TTL_ATTRIBUTE } from './token-table';

/**
 * One approval request (a cutover, a rollback, the removal of the way back) in the token table, under `approval#<approval id>`. The task token never
 * leaves this record: links carry only the id.
 *
 * status: `pending` until someone decides; `approved` / `rejected` once the decision was claimed (and then
 * sent to Step Functions); `closed` when the workflow had stopped waiting (its approval timed out or the
 * execution ended) by the time a decision arrived, so nothing was sent.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'closed';
export type ApprovalDecision = 'approved' | 'rejected';

/**
 * How a decider was identified: `one-time-code`, an approver on the request's allow-list who entered the code
 * the page sent to that address; `aws-credentials`, an operator at the terminal (`dms-orchestrator approve`),
 * authorized by IAM, under the name they gave; `unverified`, whoever held the link, under the name they typed.
 */
export type VerifiedBy = 'one-time-code' | 'aws-credentials' | 'unverified';

/** One approval of a request that needs two: who, when, how they were identified, and why. */
export interface ApprovalVote {
  by: string;
  /** `by` as approvers are compared (approverKey): two approvals need two different keys. */
  key: string;
  at: string;
  verifiedBy: VerifiedBy;
  reason?: string;
}

/**
 * The SNS message attribute naming the approver a one-time code is for: each approver's e-mail subscription
 * on the approver-code topic has a filter policy accepting only messages that carry their own address there.
 */
export const APPROVER_ATTRIBUTE = 'approver';

/** Where the migration stood when approval was requested: what the review page shows. */
export interface ApprovalDetails {
  /** What is asked for: the execution's mode (functions/shared/approval-purpose.ts); a cutover when absent. */
  mode?: Mode;
  /** The replication task's phase (`cdc`, `stopped`, ...), from the last progress check. */
  taskPhase?: string;
  migrationType?: string;
  tablesLoaded?: number;
  rowsLoaded?: number;
  validation?: { outcome: string; tableCount?: number; validated?: number; pending?: number; failed?: number; notEnabled?: number; keyless?: number };
  /** The latest CDCLatencySource/Target datapoints at request time, or why there are none. */
  cdcLatency?: { sourceSeconds: number; targetSeconds: number; measuredAt: string } | { unavailable: string };
  /** The independent data comparison after DMS validation, in words, or why it did not run. */
  comparison?: string;
  /** Readiness checks that warned, each with its remedy. */
  readinessWarnings?: string[];
  /** What the cutover will do, from the execution's config. */
  cutover?: {
    /** The SSM parameter the switch writes the target endpoint to. */
    endpointParameterName: string;
    snapshotBeforeCutover: boolean;
    /** Reverse replication is prepared before the freeze (rollback.enabled), and kept this long after the switch. */
    wayBack: { prepared: boolean; soakMinutes?: number };
  };
  /** A wave's request: the migrations ready for cutover, each with its evidence in words, and those not ready. */
  wave?: { waveName: string; candidates: Array<{ name: string; evidence: string[] }>; notReady: Array<{ name: string; error: string }> };
}

export interface ApprovalRecord {
  approvalId: string;
  taskToken: string;
  executionArn: string;
  migrationName: string;
  status: ApprovalStatus;
  summary: string;
  details?: ApprovalDetails;
  requestedAt: string;
  expiresAt: string;
  /** The allow-list (`approval.approvers`): when present, a decision on the page needs a one-time code. */
  approvers?: string[];
  /** 2: two different approvers must approve. Absent on requests made before the rule existed: 1. */
  approvalsRequired?: 1 | 2;
  /** The first of two approvals, while the second is awaited (and kept once the request is decided). */
  firstApproval?: ApprovalVote;
  decision?: ApprovalDecision;
  decidedBy?: string;
  decidedAt?: string;
  /** How `decidedBy` was identified. Absent on requests decided before this was recorded. */
  verifiedBy?: VerifiedBy;
  reason?: string;
  /** For `closed`: the Step Functions error that said the workflow no longer waits (TaskTimedOut, ...). */
  closedBecause?: string;
  reminderSentAt?: string;
  /** A wave's approval: the migrations the decision approved (functions/approval-page/decide.ts). */
  approvedMigrations?: string[];
}

const PREFIX = 'approval#';

export function approvalKey(approvalId: string): Record<string, AttributeValue> {
  return marshall({ pk: `${PREFIX}${approvalId}` });
}

export function approvalFromItem(item: Record<string, AttributeValue>): ApprovalRecord {
  const { pk, ttl: _ttl, ...fields } = unmarshall(item) as { pk: string; ttl?: number } & Omit<ApprovalRecord, 'approvalId'>;
  return { approvalId: pk.slice(PREFIX.length), ...fields };
}

/** Strongly consistent, so a page shown right after a decision shows that decision. */
export async function readApproval(dynamoDb: DynamoDBClient, tableName: string, approvalId: string): Promise<ApprovalRecord | undefined> {
  const response = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: approvalKey(approvalId), ConsistentRead: true }));
  return response.Item ? approvalFromItem(response.Item) : undefined;
}

/** Expiry is stored as an ISO-8601 UTC string, so comparing with `now` is a string comparison in DynamoDB too. */
export function hasExpired(record: Pick<ApprovalRecord, 'expiresAt'>, now: Date): boolean {
  return record.expiresAt <= now.toISOString();
}

/** A new request as its requester writes it: pending, nobody has decided. */
export type NewApprovalRequest = Pick<ApprovalRecord, 'approvalId' | 'taskToken' | 'executionArn' | 'migrationName' | 'summary' | 'details' | 'requestedAt' | 'expiresAt' | 'approvers' | 'approvalsRequired'>;

/**
 * Writes a new pending request under a fresh id (never over another), for a migration's approval and a wave's
 * alike. DynamoDB TTL removes the record a week after it could last be used.
 */
export async function putApprovalRequest(dynamoDb: DynamoDBClient, tableName: string, request: NewApprovalRequest): Promise<void> {
  const { approvalId, ...fields } = request;
  await dynamoDb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: marshall(
        { pk: `${PREFIX}${approvalId}`, ...fields, status: 'pending', [TOKEN_TABLE_TTL_ATTRIBUTE]: expiresAfter(new Date(request.expiresAt), 7 * 24 * 3600) },
        { removeUndefinedValues: true },
      ),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}
