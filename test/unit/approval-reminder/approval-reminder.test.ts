import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { remindApprovers } from '../../../functions/approval-reminder/approval-reminder';
import { renderNotification } from '../../../functions/shared/notifications/messages';
import { approvalUrl } from '../../../functions/shared/approval-link';
import { APPROVAL_ID, SIGNING_KEY, TABLE_NAME, pendingApproval, storeApproval } from '../../support/approval';
import { FakeTokenTable } from '../../support/token-table';
import { setFunctionEnvironment } from '../../support/function-environment';

const now = new Date('2026-11-24T16:00:00Z');
const clients = { dynamoDb: new DynamoDBClient({}), sns: new SNSClient({}) };
const settings = { tokenTableName: TABLE_NAME, topicArn: 'arn:aws:sns:eu-west-1:123456789012:orders', approvalBaseUrl: 'https://approvals.example.com/review' };
const remind = (at: Date = now) => remindApprovers(clients, settings, SIGNING_KEY, APPROVAL_ID, at);

let table: FakeTokenTable;
const sns = mockClient(SNSClient);

beforeEach(() => {
  table = new FakeTokenTable();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  storeApproval(table, pendingApproval());
});
afterEach(() => table.restore());

describe('approval reminder', () => {
  it('reminds once while the request is pending, with the same signed link as the request', async () => {
    await expect(remind()).resolves.toBe('reminded');
    expect(table.stub).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE_NAME,
      Key: marshall({ pk: `approval#${APPROVAL_ID}` }),
      UpdateExpression: 'SET #reminderSentAt = :now',
      ConditionExpression: '#status = :pending AND attribute_not_exists(#reminderSentAt)',
      ExpressionAttributeNames: { '#status': 'status', '#reminderSentAt': 'reminderSentAt' },
      ExpressionAttributeValues: marshall({ ':now': now.toISOString(), ':pending': 'pending' }),
    });
    const published = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(published).toMatchObject({ Subject: '[DMS] Orders to Aurora: cutover approval still waiting', MessageAttributes: { kind: { DataType: 'String', StringValue: 'approval-reminder' } } });
    const link = approvalUrl(settings.approvalBaseUrl, SIGNING_KEY, { approvalId: APPROVAL_ID, expiresAt: new Date('2026-11-25T12:00:00.000Z') });
    expect(published.Message).toContain(`Review and decide: ${link}`);
    expect(published.Message).toContain('Nobody has decided on the cutover requested at 2026-11-24 12:00:00 UTC.');
    await expect(remind()).resolves.toBe('already-reminded');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it.each<[string, () => void, string]>([
    ['a decided request', () => storeApproval(table, pendingApproval({ status: 'approved', decidedBy: 'dba@example.com' })), 'decided'],
    ['a request nobody can find', () => table.items.clear(), 'not-found'],
    ['an expired request', () => storeApproval(table, pendingApproval({ expiresAt: now.toISOString() })), 'expired'],
  ])('never reminds about %s', async (_, arrange, outcome) => {
    arrange();
    await expect(remind()).resolves.toBe(outcome);
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('does not remind when the decision lands between its read and its write', async () => {
    const pending = table.items.get(`approval#${APPROVAL_ID}`);
    storeApproval(table, pendingApproval({ status: 'rejected', decidedBy: 'dba@example.com' }));
    table.stub.on(GetItemCommand).resolvesOnce({ Item: pending });
    await expect(remind()).resolves.toBe('already-reminded');
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('gives the reminder back when publishing fails, so the scheduler retry sends it', async () => {
    sns.on(PublishCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })).resolves({ MessageId: 'm-2' });
    await expect(remind()).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(table.approval(APPROVAL_ID)).not.toHaveProperty('reminderSentAt');
    await expect(remind()).resolves.toBe('reminded');
    expect(table.approval(APPROVAL_ID)).toMatchObject({ reminderSentAt: now.toISOString() });
  });

  it('handler takes the approval id the schedule was created with', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    setFunctionEnvironment({
      TOKEN_TABLE_NAME: TABLE_NAME,
      TOPIC_ARN: settings.topicArn,
      APPROVAL_BASE_URL: settings.approvalBaseUrl,
      APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:approval-key-AbCdEf',
    });
    storeApproval(table, pendingApproval({ expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
    const { handler } = await import('../../../functions/approval-reminder/handler');
    await expect(handler({ approvalId: APPROVAL_ID })).resolves.toEqual({ approvalId: APPROVAL_ID, outcome: 'reminded' });
    await expect(handler({})).rejects.toMatchObject({ name: 'InvalidInput' });
    secrets.restore();
  });

  it('renders the reminder without a console link when the execution is unknown', () => {
    const rendered = renderNotification({
      kind: 'approval-reminder',
      migrationName: 'Orders to Aurora',
      details: { reviewUrl: 'https://approvals.example.com/review?id=1', requestedAt: '2026-11-24T12:00:00.000Z', expiresAt: '2026-11-25T12:00:00.000Z' },
    });
    expect(rendered.body).toContain('The request expires at 2026-11-25 12:00:00 UTC; then the workflow ends. Nothing is cut over; replication keeps running, so no data is lost.');
    expect(rendered.body).not.toContain('Execution:');
  });
});
