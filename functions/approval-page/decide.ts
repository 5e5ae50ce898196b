import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { approvalFromItem, approvalKey, hasExpired, type ApprovalDecision, type ApprovalRecord } from '../shared/approval-record';
import { WorkflowError } from '../shared/errors';
import { logger } from '../shared/logger';
import { CONTROL_CHARACTERS, quoted, readableTime } from '../shared/operator-text';

export interface DecisionClients {
  dynamoDb: DynamoDBClient;
  stepFunctions: SFNClient;
}

export interface DecisionSettings {
  tokenTableName: string;
}

export interface DecisionRequest {
  approvalId: string;
  decision: 'approve' | 'reject';
  /** Who decided: a name or e-mail address, as they gave it. */
  decidedBy: string;
  reason?: string;
}

/**
 * - `decided`: this call decided, and Step Functions has the decision.
 * - `already-decided`: someone decided earlier (the record says who and when); nothing was sent.
 * - `expired`: the request expired before this decision; nothing was sent.
 * - `closed`: the workflow had already stopped waiting (timed out or ended); the record now says so.
 * - `not-found`: no such request (never made, or removed by TTL a week after it expired).
 */
export type DecisionResult =
  | { outcome: 'decided' | 'already-decided' | 'expired' | 'closed'; record: ApprovalRecord }
  | { outcome: 'not-found' };

/**
 * A decision (from the review page, the CLI or the rehearsal) with fields the person must correct. Each
 * problem names the request's own field, so each front end can say it in its own words: the page by its
 * form's labels, the CLI by the flag the person typed. Never reaches the workflow: nothing was decided.
 */
export class InvalidDecision extends Error {
  override readonly name = 'InvalidDecision';
  constructor(readonly problems: Array<{ field: 'decision' | 'decidedBy' | 'reason'; problem: string }>) {
    super(`Invalid decision: ${problems.map(({ field, problem }) => `${field}: ${problem}`).join('; ')}`);
  }
}

export const MAX_DECIDED_BY_LENGTH = 200;
export const MAX_REASON_LENGTH = 1000;

/** Step Functions' answers for a token nobody waits on any more: the state timed out, or the execution ended. */
/** Every attribute goes through a name placeholder: `status` is a DynamoDB reserved word, and the rest follow suit so no expression depends on that list. */
const ATTRIBUTE_NAMES = { '#status': 'status', '#decision': 'decision', '#decidedBy': 'decidedBy', '#decidedAt': 'decidedAt' };

const WORKFLOW_NO_LONGER_WAITING: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Decides a pending approval once, whoever asks: the review page (after it checked the link and the form) or
 * an operator at the terminal (whose IAM credentials are the authorization).
 *
 * Order matters. The conditional write claims the request first (pending -> approved/rejected, with who and
 * when), so two clicks, two tabs or the page and the CLI at once can never both reach Step Functions. Then
 * the decision is sent. If Step Functions says the workflow no longer waits, the record says so (`closed`);
 * if the call fails for any other reason (throttling, a network error), the claim is released so the person
 * can simply try again, rather than leaving a record that claims a decision nobody received.
 */
export async function decideApproval(
  clients: DecisionClients,
  settings: DecisionSettings,
  request: DecisionRequest,
  now: Date,
): Promise<DecisionResult> {
  const { decidedBy, reason } = checkedRequest(request);
  const decision: ApprovalDecision = request.decision === 'approve' ? 'approved' : 'rejected';
  const decidedAt = now.toISOString();
  const key = approvalKey(request.approvalId);

  let record: ApprovalRecord;
  try {
    const claimed = await clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: settings.tokenTableName,
        Key: key,
        UpdateExpression: `SET #status = :decision, #decision = :decision, #decidedBy = :decidedBy, #decidedAt = :decidedAt${reason ? ', #reason = :reason' : ''}`,
        ConditionExpression: '#status = :pending AND #expiresAt > :decidedAt',
        ExpressionAttributeNames: { ...ATTRIBUTE_NAMES, '#expiresAt': 'expiresAt', ...(reason ? { '#reason': 'reason' } : {}) },
        ExpressionAttributeValues: marshall({ ':decision': decision, ':decidedBy': decidedBy, ':decidedAt': decidedAt, ':pending': 'pending', ...(reason ? { ':reason': reason } : {}) }),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    record = approvalFromItem(claimed.Attributes ?? {});
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (!error.Item) return { outcome: 'not-found' };
    const current = approvalFromItem(error.Item);
    return { outcome: current.status === 'pending' && hasExpired(current, now) ? 'expired' : 'already-decided', record: current };
  }

  try {
    if (decision === 'approved') {
      const output = { decision, decidedBy, decidedAt, ...(reason ? { reason } : {}) };
      await clients.stepFunctions.send(new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(output) }));
    } else {
      await clients.stepFunctions.send(new SendTaskFailureCommand({ taskToken: record.taskToken, error: WorkflowError.ApprovalRejected, cause: rejectionCause(record) }));
    }
  } catch (error) {
    const name = (error as Error).name;
    if (WORKFLOW_NO_LONGER_WAITING.has(name)) {
      logger.warn('The workflow no longer waits for this approval', { approvalId: request.approvalId, errorName: name });
      return { outcome: 'closed', record: await markClosed(clients.dynamoDb, settings, record, name) };
    }
    await releaseClaim(clients.dynamoDb, settings, record);
    throw error;
  }
  logger.info('Cutover approval decided', { approvalId: request.approvalId, decision });
  return { outcome: 'decided', record };
}

/** The Cause the workflow's rejection notification quotes: who and when, then the reason quoted, line by line. */
export function rejectionCause(record: Pick<ApprovalRecord, 'reason' | 'decidedBy' | 'decidedAt'>): string {
  return `Rejected by ${record.decidedBy} at ${readableTime(record.decidedAt)}. ${record.reason ? `Their reason:\n${quoted(record.reason)}` : 'No reason was given.'}`;
}

function checkedRequest(request: DecisionRequest): { decidedBy: string; reason?: string } {
  const decidedBy = request.decidedBy.trim();
  const reason = request.reason?.trim() || undefined;
  const problems: ConstructorParameters<typeof InvalidDecision>[0] = [
    ...(request.decision === 'approve' || request.decision === 'reject' ? [] : [{ field: 'decision' as const, problem: 'expected "approve" or "reject"' }]),
    ...(decidedBy ? [] : [{ field: 'decidedBy' as const, problem: 'required: your name or e-mail address, so others can see who decided' }]),
    ...(decidedBy.length > MAX_DECIDED_BY_LENGTH ? [{ field: 'decidedBy' as const, problem: `at most ${MAX_DECIDED_BY_LENGTH} characters` }] : []),
    ...(CONTROL_CHARACTERS.test(decidedBy) ? [{ field: 'decidedBy' as const, problem: 'a name on one line, without control characters' }] : []),
    ...((reason?.length ?? 0) > MAX_REASON_LENGTH ? [{ field: 'reason' as const, problem: `at most ${MAX_REASON_LENGTH} characters` }] : []),
  ];
  if (problems.length > 0) throw new InvalidDecision(problems);
  return { decidedBy, reason };
}

async function markClosed(dynamoDb: DynamoDBClient, settings: DecisionSettings, record: ApprovalRecord, closedBecause: string): Promise<ApprovalRecord> {
  await dynamoDb.send(
    new UpdateItemCommand({
      TableName: settings.tokenTableName,
      Key: approvalKey(record.approvalId),
      UpdateExpression: 'SET #status = :closed, #closedBecause = :because',
      ConditionExpression: '#decidedAt = :decidedAt',
      ExpressionAttributeNames: { '#status': 'status', '#closedBecause': 'closedBecause', '#decidedAt': 'decidedAt' },
      ExpressionAttributeValues: marshall({ ':closed': 'closed', ':because': closedBecause, ':decidedAt': record.decidedAt }),
    }),
  );
  return { ...record, status: 'closed', closedBecause };
}

/** Back to pending, but only if the record still holds this claim. */
async function releaseClaim(dynamoDb: DynamoDBClient, settings: DecisionSettings, record: ApprovalRecord): Promise<void> {
  try {
    await dynamoDb.send(
      new UpdateItemCommand({
        TableName: settings.tokenTableName,
        Key: approvalKey(record.approvalId),
        UpdateExpression: 'SET #status = :pending REMOVE #decision, #decidedBy, #decidedAt, #reason',
        ConditionExpression: '#decidedAt = :decidedAt',
        ExpressionAttributeNames: { ...ATTRIBUTE_NAMES, '#reason': 'reason' },
        ExpressionAttributeValues: marshall({ ':pending': 'pending', ':decidedAt': record.decidedAt }),
      }),
    );
  } catch (error) {
    // The original failure is what the person needs to see; this one only goes to the log.
    logger.error('Could not release the approval claim', { approvalId: record.approvalId, errorName: (error as Error).name });
  }
}
