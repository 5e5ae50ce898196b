import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { approvalFromItem, approvalKey, hasExpired, readApproval, type ApprovalDecision, type ApprovalRecord, type ApprovalVote, type VerifiedBy } from '../shared/approval-record';
import { WorkflowError } from '../shared/errors';
import { logger } from '../shared/logger';
import { approverKey } from '../shared/migration-input';
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
  /** Who decided: a name or e-mail address as they gave it, or the approver's address the page verified. */
  decidedBy: string;
  /** How `decidedBy` was identified: the page says `one-time-code` only after the code was accepted. */
  verifiedBy: VerifiedBy;
  reason?: string;
  /** A wave's approval: the migrations approved, a subset of the request's candidates. @default every candidate */
  migrations?: string[];
}

/**
 * - `decided`: this call decided, and Step Functions has the decision.
 * - `approval-recorded`: the first of two approvals is recorded; the request waits for a second approver.
 * - `already-approved-by-you`: this approver's approval is the one recorded; another approver must give the second.
 * - `already-decided`: someone decided earlier (the record says who and when); nothing was sent.
 * - `expired`: the request expired before this decision; nothing was sent.
 * - `closed`: the workflow had already stopped waiting (timed out or ended); the record now says so.
 * - `not-found`: no such request (never made, or removed by TTL a week after it expired).
 */
export type DecisionResult =
  | { outcome: 'decided' | 'approval-recorded' | 'already-approved-by-you' | 'already-decided' | 'expired' | 'closed'; record: ApprovalRecord }
  | { outcome: 'not-found' };

/**
 * A decision (from the review page, the CLI or the rehearsal) with fields the person must correct. Each
 * problem names the request's own field, so each front end can say it in its own words: the page by its
 * form's labels, the CLI by the flag the person typed. Never reaches the workflow: nothing was decided.
 */
export class InvalidDecision extends Error {
  override readonly name = 'InvalidDecision';
  constructor(readonly problems: Array<{ field: 'decision' | 'decidedBy' | 'reason' | 'migrations'; problem: string }>) {
    super(`Invalid decision: ${problems.map(({ field, problem }) => `${field}: ${problem}`).join('; ')}`);
  }
}

export const MAX_DECIDED_BY_LENGTH = 200;
export const MAX_REASON_LENGTH = 1000;

/** Every attribute goes through a name placeholder: `status` is a DynamoDB reserved word, and the rest follow suit so no expression depends on that list. */
const ATTRIBUTE_NAMES = { '#status': 'status', '#decision': 'decision', '#decidedBy': 'decidedBy', '#decidedAt': 'decidedAt' };

/** Step Functions' answers for a token nobody waits on any more: the state timed out, or the execution ended. */
const WORKFLOW_NO_LONGER_WAITING: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** A decision as the request's rules weigh it: who (compared as approverKey), approve or reject. */
export interface Vote {
  decision: ApprovalDecision;
  voterKey: string;
}

/**
 * What one decision does to a request, from the request as it stands (a pure function of the record):
 * - `decide`: it settles the request: a reject, an approval where one is enough, or the second approval
 *   from an approver other than the first;
 * - `record-first-approval`: the first of two approvals;
 * - `refuse`: nothing changes (already decided, expired, or the same approver approving twice).
 */
export type ApprovalStep = { kind: 'decide' | 'record-first-approval' } | { kind: 'refuse'; outcome: 'already-decided' | 'expired' | 'already-approved-by-you' };

export function nextApprovalStep(record: ApprovalRecord, vote: Vote, now: Date): ApprovalStep {
  if (record.status !== 'pending') return { kind: 'refuse', outcome: 'already-decided' };
  if (hasExpired(record, now)) return { kind: 'refuse', outcome: 'expired' };
  if (vote.decision === 'rejected' || (record.approvalsRequired ?? 1) === 1) return { kind: 'decide' };
  if (!record.firstApproval) return { kind: 'record-first-approval' };
  if (record.firstApproval.key === vote.voterKey) return { kind: 'refuse', outcome: 'already-approved-by-you' };
  return { kind: 'decide' };
}

/**
 * Whether this way of identifying the decider is enough for the request: with an allow-list the page must
 * have verified an approver on it (the CLI's IAM credentials are an authorization of their own).
 */
export function identityProblem(record: Pick<ApprovalRecord, 'approvers'>, request: Pick<DecisionRequest, 'decidedBy' | 'verifiedBy'>): string | undefined {
  if (!record.approvers) return undefined;
  if (request.verifiedBy === 'unverified') return 'this request is decided by one of its approvers, each confirming with a one-time code sent to their own address';
  if (request.verifiedBy === 'one-time-code' && !record.approvers.some((approver) => approverKey(approver) === approverKey(request.decidedBy))) {
    return `${request.decidedBy} is not one of this request's approvers`;
  }
  return undefined;
}

/** How many times a decision re-reads the request when another decision changed it in between. */
const DECISION_ATTEMPTS = 3;

/**
 * Decides a pending approval, whoever asks: the review page (after it checked the link, the form and, with an
 * allow-list, the approver's one-time code) or an operator at the terminal (whose IAM credentials are the
 * authorization).
 *
 * Order matters. The request is read, and what the decision does to it (nextApprovalStep) is written with a
 * condition that the request is still as read: a first approval only while there is none, a decision only
 * while the request is pending (and, as a second approval, while the first is someone else's). So two
 * clicks, two tabs or the page and the CLI at once can never both reach Step Functions, and two approvals
 * always come from two approvers; a write that lost such a race reads the request again. Then the decision
 * is sent. If Step Functions says the workflow no longer waits, the record says so (`closed`); if the call
 * fails for any other reason (throttling, a network error), the claim is released so the person can simply
 * try again, rather than leaving a record that claims a decision nobody received.
 */
export async function decideApproval(
  clients: DecisionClients,
  settings: DecisionSettings,
  request: DecisionRequest,
  now: Date,
): Promise<DecisionResult> {
  const { decidedBy, reason } = checkDecision(request);
  const decision: ApprovalDecision = request.decision === 'approve' ? 'approved' : 'rejected';
  const vote = { decision, voterKey: approverKey(decidedBy) };
  for (let attempt = 1; ; attempt++) {
    const current = await readApproval(clients.dynamoDb, settings.tokenTableName, request.approvalId);
    if (!current) return { outcome: 'not-found' };
    const problem = identityProblem(current, { decidedBy, verifiedBy: request.verifiedBy });
    if (problem) throw new InvalidDecision([{ field: 'decidedBy', problem }]);
    const approvedMigrations = waveSubset(current, request.migrations);
    const step = nextApprovalStep(current, vote, now);
    if (step.kind === 'refuse') return { outcome: step.outcome, record: current };
    const ballot: ApprovalVote = { by: decidedBy, key: vote.voterKey, at: now.toISOString(), verifiedBy: request.verifiedBy, ...(reason ? { reason } : {}) };
    const written =
      step.kind === 'record-first-approval'
        ? await recordFirstApproval(clients.dynamoDb, settings, current, ballot)
        : await claim(clients.dynamoDb, settings, current, decision, ballot, decision === 'approved' ? approvedMigrations : undefined);
    if (written) {
      return step.kind === 'record-first-approval' ? { outcome: 'approval-recorded', record: written } : sendDecision(clients, settings, written);
    }
    // Another decision came in between: weigh this one against the request as it is now.
    if (attempt >= DECISION_ATTEMPTS) return { outcome: 'already-decided', record: current };
  }
}

/** The first of two approvals, on the condition that there is none yet; undefined when there already is one. */
async function recordFirstApproval(dynamoDb: DynamoDBClient, settings: DecisionSettings, current: ApprovalRecord, ballot: ApprovalVote): Promise<ApprovalRecord | undefined> {
  try {
    const response = await dynamoDb.send(
      new UpdateItemCommand({
        TableName: settings.tokenTableName,
        Key: approvalKey(current.approvalId),
        UpdateExpression: 'SET #firstApproval = :ballot',
        ConditionExpression: '#status = :pending AND #expiresAt > :at AND attribute_not_exists(#firstApproval)',
        ExpressionAttributeNames: { '#status': 'status', '#expiresAt': 'expiresAt', '#firstApproval': 'firstApproval' },
        ExpressionAttributeValues: marshall({ ':ballot': ballot, ':pending': 'pending', ':at': ballot.at }, { removeUndefinedValues: true }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return approvalFromItem(response.Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/**
 * Claims the request for the decision (pending -> approved/rejected, with who, when and how they were
 * identified), on the condition that it is still pending and unexpired and, for a second approval, that the
 * first is another approver's; undefined when the condition no longer holds.
 */
async function claim(
  dynamoDb: DynamoDBClient,
  settings: DecisionSettings,
  current: ApprovalRecord,
  decision: ApprovalDecision,
  ballot: ApprovalVote,
  approvedMigrations?: string[],
): Promise<ApprovalRecord | undefined> {
  const secondApproval = decision === 'approved' && current.firstApproval !== undefined;
  const subset = approvedMigrations ? ', #approvedMigrations = :approvedMigrations' : '';
  try {
    const response = await dynamoDb.send(
      new UpdateItemCommand({
        TableName: settings.tokenTableName,
        Key: approvalKey(current.approvalId),
        UpdateExpression: `SET #status = :decision, #decision = :decision, #decidedBy = :decidedBy, #decidedAt = :decidedAt, #verifiedBy = :verifiedBy${ballot.reason ? ', #reason = :reason' : ''}${subset}`,
        ConditionExpression: `#status = :pending AND #expiresAt > :decidedAt${secondApproval ? ' AND #firstApproval.#key <> :voterKey' : ''}`,
        ExpressionAttributeNames: {
          ...ATTRIBUTE_NAMES,
          '#expiresAt': 'expiresAt',
          '#verifiedBy': 'verifiedBy',
          ...(ballot.reason ? { '#reason': 'reason' } : {}),
          ...(secondApproval ? { '#firstApproval': 'firstApproval', '#key': 'key' } : {}),
          ...(approvedMigrations ? { '#approvedMigrations': 'approvedMigrations' } : {}),
        },
        ExpressionAttributeValues: marshall({
          ':decision': decision,
          ':decidedBy': ballot.by,
          ':decidedAt': ballot.at,
          ':verifiedBy': ballot.verifiedBy,
          ':pending': 'pending',
          ...(ballot.reason ? { ':reason': ballot.reason } : {}),
          ...(secondApproval ? { ':voterKey': ballot.key } : {}),
          ...(approvedMigrations ? { ':approvedMigrations': approvedMigrations } : {}),
        }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return approvalFromItem(response.Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Hands the claimed decision to Step Functions. */
async function sendDecision(clients: DecisionClients, settings: DecisionSettings, record: ApprovalRecord): Promise<DecisionResult> {
  try {
    if (record.decision === 'approved') {
      await clients.stepFunctions.send(new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(approvalOutput(record)) }));
    } else {
      await clients.stepFunctions.send(new SendTaskFailureCommand({ taskToken: record.taskToken, error: WorkflowError.ApprovalRejected, cause: rejectionCause(record) }));
    }
  } catch (error) {
    const name = (error as Error).name;
    if (WORKFLOW_NO_LONGER_WAITING.has(name)) {
      logger.warn('The workflow no longer waits for this approval', { approvalId: record.approvalId, errorName: name });
      return { outcome: 'closed', record: await markClosed(clients.dynamoDb, settings, record, name) };
    }
    await releaseClaim(clients.dynamoDb, settings, record);
    throw error;
  }
  logger.info('Cutover approval decided', { approvalId: record.approvalId, decision: record.decision });
  return { outcome: 'decided', record };
}

/**
 * What the workflow receives at `$.approval`: the deciding approval, how its author was identified, and with
 * two approvals both of them, in order.
 */
export function approvalOutput(record: ApprovalRecord): Record<string, unknown> {
  const { decision, decidedBy, decidedAt, verifiedBy, reason, firstApproval, approvedMigrations } = record;
  const deciding = { by: decidedBy, at: decidedAt, verifiedBy, ...(reason ? { reason } : {}) };
  const approvals = firstApproval ? [{ by: firstApproval.by, at: firstApproval.at, verifiedBy: firstApproval.verifiedBy, ...(firstApproval.reason ? { reason: firstApproval.reason } : {}) }, deciding] : undefined;
  return {
    decision,
    decidedBy,
    decidedAt,
    verifiedBy,
    ...(reason ? { reason } : {}),
    ...(approvals ? { approvals } : {}),
    // A wave passes its approval on to each migration it starts, by id.
    ...(approvedMigrations ? { approvalId: record.approvalId, approvedMigrations } : {}),
  };
}

/**
 * The migrations a wave's approval approves: those asked for, each one of the request's candidates (the
 * migrations its preparation left ready), or every candidate when none are named. Only a wave's request has
 * candidates: naming migrations for one migration's request is a mistake to correct, not to ignore.
 */
export function waveSubset(record: Pick<ApprovalRecord, 'details'>, requested: string[] | undefined): string[] | undefined {
  const candidates = record.details?.wave?.candidates.map((candidate) => candidate.name);
  if (!candidates) {
    if (requested) throw new InvalidDecision([{ field: 'migrations', problem: 'this request is for one migration, not a wave: leave the migrations out' }]);
    return undefined;
  }
  if (!requested) return candidates;
  const unknown = requested.filter((name) => !candidates.includes(name));
  if (unknown.length > 0) throw new InvalidDecision([{ field: 'migrations', problem: `not ready for cutover in this wave: ${unknown.join(', ')} (the candidates are ${candidates.join(', ')})` }]);
  if (requested.length === 0) throw new InvalidDecision([{ field: 'migrations', problem: 'choose at least one migration to approve, or reject the wave' }]);
  return candidates.filter((name) => requested.includes(name));
}

/** The Cause the workflow's rejection notification quotes: who and when, then the reason quoted, line by line. */
export function rejectionCause(record: Pick<ApprovalRecord, 'reason' | 'decidedBy' | 'decidedAt' | 'verifiedBy'>): string {
  return `Rejected by ${record.decidedBy}${identifiedAs(record.verifiedBy)} at ${readableTime(record.decidedAt)}. ${record.reason ? `Their reason:\n${quoted(record.reason)}` : 'No reason was given.'}`;
}

/** How a decider was identified, as words after their name; nothing for the link holder who typed a name (as before). */
export function identifiedAs(verifiedBy: VerifiedBy | undefined): string {
  switch (verifiedBy) {
    case 'one-time-code':
      return ' (confirmed with a one-time code sent to that address)';
    case 'aws-credentials':
      return ' (with AWS credentials, at the terminal)';
    default:
      return '';
  }
}

/** The request's name and reason as recorded (trimmed), or InvalidDecision naming every field to correct. */
export function checkDecision(request: DecisionRequest): { decidedBy: string; reason?: string } {
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
        UpdateExpression: 'SET #status = :pending REMOVE #decision, #decidedBy, #decidedAt, #verifiedBy, #reason',
        ConditionExpression: '#decidedAt = :decidedAt',
        ExpressionAttributeNames: { ...ATTRIBUTE_NAMES, '#verifiedBy': 'verifiedBy', '#reason': 'reason' },
        ExpressionAttributeValues: marshall({ ':pending': 'pending', ':decidedAt': record.decidedAt }),
      }),
    );
  } catch (error) {
    // The original failure is what the person needs to see; this one only goes to the log.
    logger.error('Could not release the approval claim', { approvalId: record.approvalId, errorName: (error as Error).name });
  }
}
