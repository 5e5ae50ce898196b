import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskDoesNotExist, InvalidToken, TaskTimedOut } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { decideApproval, identityProblem, nextApprovalStep, rejectionCause, type DecisionRequest } from '../../../functions/approval-page/decide';
import type { ApprovalRecord } from '../../../functions/shared/approval-record';
import { APPROVAL_ID, TABLE_NAME, TASK_TOKEN, pendingApproval, storeApproval } from '../../support/approval';
import { FakeTokenTable } from '../../support/token-table';

const now = new Date('2026-11-24T14:30:00Z');
const clients = { dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}) };
const settings = { tokenTableName: TABLE_NAME };
const approve: DecisionRequest = { approvalId: APPROVAL_ID, decision: 'approve', decidedBy: 'dba@example.com', verifiedBy: 'unverified' };
const reject: DecisionRequest = { approvalId: APPROVAL_ID, decision: 'reject', decidedBy: 'Jane Doe', verifiedBy: 'unverified', reason: 'Not before the Friday change window' };
const sdkError = (ErrorClass: typeof TaskTimedOut | typeof TaskDoesNotExist | typeof InvalidToken) => new ErrorClass({ message: 'Task does not exist anymore', $metadata: { httpStatusCode: 400 } });

let table: FakeTokenTable;
const sfn = mockClient(SFNClient);

beforeEach(() => {
  table = new FakeTokenTable();
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({}).on(SendTaskFailureCommand).resolves({});
  storeApproval(table, pendingApproval());
});
afterEach(() => table.restore());

describe('decideApproval', () => {
  it('claims the pending request with a conditional write, then sends the approval to Step Functions', async () => {
    const result = await decideApproval(clients, settings, { ...approve, decidedBy: '  dba@example.com ' }, now);
    expect(result).toMatchObject({ outcome: 'decided', record: { status: 'approved', decision: 'approved', decidedBy: 'dba@example.com', decidedAt: now.toISOString(), verifiedBy: 'unverified' } });
    expect(table.stub).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE_NAME,
      Key: marshall({ pk: `approval#${APPROVAL_ID}` }),
      UpdateExpression: 'SET #status = :decision, #decision = :decision, #decidedBy = :decidedBy, #decidedAt = :decidedAt, #verifiedBy = :verifiedBy',
      ConditionExpression: '#status = :pending AND #expiresAt > :decidedAt',
      ExpressionAttributeNames: { '#status': 'status', '#decision': 'decision', '#decidedBy': 'decidedBy', '#decidedAt': 'decidedAt', '#expiresAt': 'expiresAt', '#verifiedBy': 'verifiedBy' },
      ExpressionAttributeValues: marshall({ ':decision': 'approved', ':decidedBy': 'dba@example.com', ':decidedAt': now.toISOString(), ':verifiedBy': 'unverified', ':pending': 'pending' }),
      ReturnValues: 'ALL_NEW',
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify({ decision: 'approved', decidedBy: 'dba@example.com', decidedAt: '2026-11-24T14:30:00.000Z', verifiedBy: 'unverified' }),
    });
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'approved', decidedBy: 'dba@example.com' });
  });

  it('sends a rejection as ApprovalRejected, with the reason and who rejected in the cause', async () => {
    const result = await decideApproval(clients, settings, reject, now);
    expect(result).toMatchObject({ outcome: 'decided', record: { status: 'rejected', reason: reject.reason } });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TASK_TOKEN,
      error: 'ApprovalRejected',
      cause: 'Rejected by Jane Doe at 2026-11-24 14:30:00 UTC. Their reason:\n  > Not before the Friday change window',
    });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('passes an approval reason on in the output', async () => {
    await decideApproval(clients, settings, { ...approve, reason: 'Change CHG-1234' }, now);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify({ decision: 'approved', decidedBy: 'dba@example.com', decidedAt: now.toISOString(), verifiedBy: 'unverified', reason: 'Change CHG-1234' }),
    });
  });

  it('decides once: a replay, or a second person, gets who decided and when, and nothing is sent again', async () => {
    await decideApproval(clients, settings, approve, now);
    const later = new Date('2026-11-24T14:31:00Z');
    await expect(decideApproval(clients, settings, reject, later)).resolves.toMatchObject({
      outcome: 'already-decided',
      record: { status: 'approved', decidedBy: 'dba@example.com', decidedAt: now.toISOString() },
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('refuses an expired request without sending anything', async () => {
    await expect(decideApproval(clients, settings, approve, new Date('2026-11-25T12:00:00Z'))).resolves.toMatchObject({ outcome: 'expired', record: { status: 'pending' } });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('reports a request that does not exist', async () => {
    await expect(decideApproval(clients, settings, { ...approve, approvalId: 'no-such-approval' }, now)).resolves.toEqual({ outcome: 'not-found' });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['TaskTimedOut', TaskTimedOut],
    ['TaskDoesNotExist', TaskDoesNotExist],
    ['InvalidToken', InvalidToken],
  ] as const)('records the request as closed when Step Functions answers %s: the workflow no longer waits', async (name, ErrorClass) => {
    sfn.on(SendTaskSuccessCommand).rejects(sdkError(ErrorClass));
    await expect(decideApproval(clients, settings, approve, now)).resolves.toMatchObject({ outcome: 'closed', record: { status: 'closed', closedBecause: name } });
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'closed', closedBecause: name, decision: 'approved', decidedBy: 'dba@example.com' });
    expect(table.stub).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET #status = :closed, #closedBecause = :because',
      ConditionExpression: '#decidedAt = :decidedAt',
    });
  });

  it('releases the claim when Step Functions fails for another reason, so the person can try again', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    sfn.on(SendTaskSuccessCommand).rejectsOnce(throttled);
    await expect(decideApproval(clients, settings, approve, now)).rejects.toBe(throttled);
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'pending' });
    expect(table.approval(APPROVAL_ID)).not.toHaveProperty('decidedBy');
    expect(table.stub).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET #status = :pending REMOVE #decision, #decidedBy, #decidedAt, #verifiedBy, #reason',
      ConditionExpression: '#decidedAt = :decidedAt',
    });
    await expect(decideApproval(clients, settings, approve, now)).resolves.toMatchObject({ outcome: 'decided' });
  });

  it('still reports the Step Functions failure when releasing the claim fails too', async () => {
    const unavailable = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    sfn.on(SendTaskSuccessCommand).rejects(unavailable);
    table.stub.on(UpdateItemCommand, { UpdateExpression: 'SET #status = :pending REMOVE #decision, #decidedBy, #decidedAt, #verifiedBy, #reason' }).rejects(new Error('DynamoDB unavailable'));
    await expect(decideApproval(clients, settings, approve, now)).rejects.toBe(unavailable);
  });

  it.each([
    ['no name', { ...approve, decidedBy: '   ' }, 'decidedBy: required: your name or e-mail address, so others can see who decided'],
    ['a name with a line break', { ...approve, decidedBy: 'Jane\nExecution: https://evil.example.com' }, 'decidedBy: a name on one line, without control characters'],
    ['a name with a terminal escape', { ...approve, decidedBy: 'Jane\u001b[2J' }, 'decidedBy: a name on one line, without control characters'],
    ['an unknown decision', { ...approve, decision: 'maybe' as 'approve' }, 'decision: expected "approve" or "reject"'],
    ['a name over 200 characters', { ...approve, decidedBy: 'x'.repeat(201) }, 'decidedBy: at most 200 characters'],
    ['a reason over 1000 characters', { ...reject, reason: 'x'.repeat(1001) }, 'reason: at most 1000 characters'],
  ])('refuses %s before touching anything', async (_, request, problem) => {
    const [field, text] = problem.split(/: (.*)/s);
    await expect(decideApproval(clients, settings, request, now)).rejects.toMatchObject({ name: 'InvalidDecision', problems: [{ field, problem: text }] });
    expect(table.stub).not.toHaveReceivedAnyCommand();
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('words the rejection cause for the notification, with or without a reason, and how the decider was identified', () => {
    expect(rejectionCause({ decidedBy: 'Jane', decidedAt: '2026-11-24T14:30:00.000Z' })).toBe('Rejected by Jane at 2026-11-24 14:30:00 UTC. No reason was given.');
    expect(rejectionCause({ decidedBy: 'Jane', decidedAt: '2026-11-24T14:30:00.000Z', reason: 'Not today.\nMigration: approved' })).toBe(
      'Rejected by Jane at 2026-11-24 14:30:00 UTC. Their reason:\n  > Not today.\n  > Migration: approved',
    );
    expect(rejectionCause({ decidedBy: 'ana@example.com', decidedAt: '2026-11-24T14:30:00.000Z', verifiedBy: 'one-time-code' })).toBe(
      'Rejected by ana@example.com (confirmed with a one-time code sent to that address) at 2026-11-24 14:30:00 UTC. No reason was given.',
    );
    expect(rejectionCause({ decidedBy: 'ops', decidedAt: '2026-11-24T14:30:00.000Z', verifiedBy: 'aws-credentials' })).toContain('Rejected by ops (with AWS credentials, at the terminal) at');
  });
});

const APPROVERS = ['Ana@example.com', 'ben@example.com', 'cho@example.com'];
const byCode = (decidedBy: string, decision: 'approve' | 'reject' = 'approve', reason?: string): DecisionRequest => ({
  approvalId: APPROVAL_ID,
  decision,
  decidedBy,
  verifiedBy: 'one-time-code',
  ...(reason ? { reason } : {}),
});

describe('the two-person rule (pure)', () => {
  const record = (overrides: Partial<ApprovalRecord> = {}) => pendingApproval({ approvers: APPROVERS, approvalsRequired: 2, ...overrides });
  const first = { by: 'Ana@example.com', key: 'ana@example.com', at: '2026-11-24T14:00:00.000Z', verifiedBy: 'one-time-code' as const };

  it.each<[string, Partial<ApprovalRecord>, 'approved' | 'rejected', string, ReturnType<typeof nextApprovalStep>]>([
    ['a first approval', {}, 'approved', 'ana@example.com', { kind: 'record-first-approval' }],
    ['a second approval by another approver', { firstApproval: first }, 'approved', 'ben@example.com', { kind: 'decide' }],
    ['a second approval by the same approver', { firstApproval: first }, 'approved', 'ana@example.com', { kind: 'refuse', outcome: 'already-approved-by-you' }],
    ['a reject before any approval', {}, 'rejected', 'ben@example.com', { kind: 'decide' }],
    ['a reject after the first approval, by its approver', { firstApproval: first }, 'rejected', 'ana@example.com', { kind: 'decide' }],
    ['an approval where one is enough', { approvalsRequired: 1 }, 'approved', 'ana@example.com', { kind: 'decide' }],
    ['an approval of a request made before the rule (no count)', { approvalsRequired: undefined }, 'approved', 'ana@example.com', { kind: 'decide' }],
    ['any decision on a decided request', { status: 'rejected' }, 'approved', 'ben@example.com', { kind: 'refuse', outcome: 'already-decided' }],
    ['any decision on an expired request', { expiresAt: '2026-11-24T14:29:59.000Z' }, 'rejected', 'ben@example.com', { kind: 'refuse', outcome: 'expired' }],
  ])('%s', (_, overrides, decision, voterKey, step) => {
    expect(nextApprovalStep(record(overrides), { decision, voterKey }, now)).toEqual(step);
  });

  it('with an allow-list, accepts only a code-verified listed approver, or AWS credentials; without one, anyone named', () => {
    expect(identityProblem({ approvers: APPROVERS }, { decidedBy: 'ANA@example.com', verifiedBy: 'one-time-code' })).toBeUndefined();
    expect(identityProblem({ approvers: APPROVERS }, { decidedBy: 'ops', verifiedBy: 'aws-credentials' })).toBeUndefined();
    expect(identityProblem({ approvers: APPROVERS }, { decidedBy: 'ana@example.com', verifiedBy: 'unverified' })).toMatch(/one-time code/);
    expect(identityProblem({ approvers: APPROVERS }, { decidedBy: 'eve@example.com', verifiedBy: 'one-time-code' })).toBe("eve@example.com is not one of this request's approvers");
    expect(identityProblem({}, { decidedBy: 'Jane', verifiedBy: 'unverified' })).toBeUndefined();
  });
});

describe('decideApproval under the two-person rule', () => {
  beforeEach(() => storeApproval(table, pendingApproval({ approvers: APPROVERS, approvalsRequired: 2 })));

  it('records the first approval and sends nothing; a second, different approver decides, and the workflow gets both', async () => {
    await expect(decideApproval(clients, settings, byCode('Ana@example.com', 'approve', 'Change CHG-1234'), now)).resolves.toMatchObject({
      outcome: 'approval-recorded',
      record: { status: 'pending', firstApproval: { by: 'Ana@example.com', key: 'ana@example.com', verifiedBy: 'one-time-code', reason: 'Change CHG-1234' } },
    });
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(table.stub).toHaveReceivedCommandWith(UpdateItemCommand, { ConditionExpression: '#status = :pending AND #expiresAt > :at AND attribute_not_exists(#firstApproval)' });

    const later = new Date('2026-11-24T14:40:00Z');
    await expect(decideApproval(clients, settings, byCode('ben@example.com'), later)).resolves.toMatchObject({ outcome: 'decided', record: { status: 'approved', decidedBy: 'ben@example.com' } });
    expect(table.stub).toHaveReceivedCommandWith(UpdateItemCommand, {
      ConditionExpression: '#status = :pending AND #expiresAt > :decidedAt AND #firstApproval.#key <> :voterKey',
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify({
        decision: 'approved',
        decidedBy: 'ben@example.com',
        decidedAt: later.toISOString(),
        verifiedBy: 'one-time-code',
        approvals: [
          { by: 'Ana@example.com', at: now.toISOString(), verifiedBy: 'one-time-code', reason: 'Change CHG-1234' },
          { by: 'ben@example.com', at: later.toISOString(), verifiedBy: 'one-time-code' },
        ],
      }),
    });
  });

  it('counts an approver once, however the address is spelt: the same approver approving again changes nothing', async () => {
    await decideApproval(clients, settings, byCode('Ana@example.com'), now);
    await expect(decideApproval(clients, settings, { ...byCode('ana@example.com'), verifiedBy: 'aws-credentials' }, now)).resolves.toMatchObject({
      outcome: 'already-approved-by-you',
      record: { status: 'pending' },
    });
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'pending', firstApproval: { by: 'Ana@example.com' } });
  });

  it('a reject by either approver rejects, also after the first approval', async () => {
    await decideApproval(clients, settings, byCode('Ana@example.com'), now);
    await expect(decideApproval(clients, settings, byCode('cho@example.com', 'reject', 'Not this week'), now)).resolves.toMatchObject({ outcome: 'decided', record: { status: 'rejected' } });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      error: 'ApprovalRejected',
      cause: 'Rejected by cho@example.com (confirmed with a one-time code sent to that address) at 2026-11-24 14:30:00 UTC. Their reason:\n  > Not this week',
    });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('two approvers approving at the same moment: one becomes the first approval, the other decides', async () => {
    const results = await Promise.all([decideApproval(clients, settings, byCode('Ana@example.com'), now), decideApproval(clients, settings, byCode('ben@example.com'), now)]);
    expect(results.map((result) => result.outcome).sort()).toEqual(['approval-recorded', 'decided']);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('an approval the AWS credentials vouch for counts as one, under the name given', async () => {
    await expect(decideApproval(clients, settings, { ...approve, decidedBy: 'ops-oncall', verifiedBy: 'aws-credentials' }, now)).resolves.toMatchObject({ outcome: 'approval-recorded' });
    await expect(decideApproval(clients, settings, byCode('ben@example.com'), now)).resolves.toMatchObject({ outcome: 'decided' });
  });

  it('refuses a decision by whoever holds the link without a code, before writing anything', async () => {
    await expect(decideApproval(clients, settings, { ...approve, decidedBy: 'Ana@example.com' }, now)).rejects.toMatchObject({ name: 'InvalidDecision', problems: [{ field: 'decidedBy' }] });
    expect(table.stub).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});
