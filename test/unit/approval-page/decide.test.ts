import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskDoesNotExist, InvalidToken, TaskTimedOut } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { decideApproval, rejectionCause } from '../../../functions/approval-page/decide';
import { APPROVAL_ID, TABLE_NAME, TASK_TOKEN, pendingApproval, storeApproval } from '../../support/approval';
import { FakeTokenTable } from '../../support/token-table';

const now = new Date('2026-11-24T14:30:00Z');
const clients = { dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}) };
const settings = { tokenTableName: TABLE_NAME };
const approve = { approvalId: APPROVAL_ID, decision: 'approve' as const, decidedBy: 'dba@example.com' };
const reject = { approvalId: APPROVAL_ID, decision: 'reject' as const, decidedBy: 'Jane Doe', reason: 'Not before the Friday change window' };
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
    expect(result).toMatchObject({ outcome: 'decided', record: { status: 'approved', decision: 'approved', decidedBy: 'dba@example.com', decidedAt: now.toISOString() } });
    expect(table.stub).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE_NAME,
      Key: marshall({ pk: `approval#${APPROVAL_ID}` }),
      UpdateExpression: 'SET #status = :decision, #decision = :decision, #decidedBy = :decidedBy, #decidedAt = :decidedAt',
      ConditionExpression: '#status = :pending AND #expiresAt > :decidedAt',
      ExpressionAttributeNames: { '#status': 'status', '#decision': 'decision', '#decidedBy': 'decidedBy', '#decidedAt': 'decidedAt', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: marshall({ ':decision': 'approved', ':decidedBy': 'dba@example.com', ':decidedAt': now.toISOString(), ':pending': 'pending' }),
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify({ decision: 'approved', decidedBy: 'dba@example.com', decidedAt: '2026-11-24T14:30:00.000Z' }),
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
      output: JSON.stringify({ decision: 'approved', decidedBy: 'dba@example.com', decidedAt: now.toISOString(), reason: 'Change CHG-1234' }),
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
      UpdateExpression: 'SET #status = :pending REMOVE #decision, #decidedBy, #decidedAt, #reason',
      ConditionExpression: '#decidedAt = :decidedAt',
    });
    await expect(decideApproval(clients, settings, approve, now)).resolves.toMatchObject({ outcome: 'decided' });
  });

  it('still reports the Step Functions failure when releasing the claim fails too', async () => {
    const unavailable = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    sfn.on(SendTaskSuccessCommand).rejects(unavailable);
    table.stub.on(UpdateItemCommand, { UpdateExpression: 'SET #status = :pending REMOVE #decision, #decidedBy, #decidedAt, #reason' }).rejects(new Error('DynamoDB unavailable'));
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

  it('words the rejection cause for the notification, with or without a reason', () => {
    expect(rejectionCause({ decidedBy: 'Jane', decidedAt: '2026-11-24T14:30:00.000Z' })).toBe('Rejected by Jane at 2026-11-24 14:30:00 UTC. No reason was given.');
    expect(rejectionCause({ decidedBy: 'Jane', decidedAt: '2026-11-24T14:30:00.000Z', reason: 'Not today.\nMigration: approved' })).toBe(
      'Rejected by Jane at 2026-11-24 14:30:00 UTC. Their reason:\n  > Not today.\n  > Migration: approved',
    );
  });
});
