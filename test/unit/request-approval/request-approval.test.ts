import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { approvalSummary, requestApproval } from '../../../functions/request-approval/request-approval';
import { approvalUrl, signApproval, verifyApprovalLink } from '../../../functions/shared/approval-link';
import { migrationConfig } from '../../fixtures/migration';

const KEY = 'k'.repeat(64);
const now = new Date('2026-11-24T12:00:00Z');
const link = { approvalId: '3f1c2a9e-0d4b-4a7e-9b61-2f8d5c7e1a00', expiresAt: new Date('2026-11-25T12:00:00Z') };

describe('approval links', () => {
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams.entries());
  const url = approvalUrl('https://approvals.example.com/review', KEY, link);

  it('carry the id, the expiry and a signature, never a task token', () => {
    expect(url).toBe(`https://approvals.example.com/review?id=${link.approvalId}&expires=${link.expiresAt.getTime() / 1000}&signature=${signApproval(KEY, link)}`);
    expect(verifyApprovalLink(KEY, query(url), now)).toEqual({ valid: true, link });
  });

  it.each<[string, (parameters: Record<string, string>) => Record<string, string | undefined>, string]>([
    ['a tampered id', (p) => ({ ...p, id: 'another-approval' }), 'tampered'],
    ['a tampered expiry', (p) => ({ ...p, expires: String(Number(p.expires) + 3600) }), 'tampered'],
    ['a signature made with another key', (p) => ({ ...p, signature: signApproval('other-key', link) }), 'tampered'],
    ['a truncated signature', (p) => ({ ...p, signature: p.signature.slice(0, 10) }), 'tampered'],
    ['a missing signature', (p) => ({ ...p, signature: undefined }), 'malformed'],
    ['a non-numeric expiry', (p) => ({ ...p, expires: 'tomorrow' }), 'malformed'],
  ])('reject %s', (_, change, reason) => {
    expect(verifyApprovalLink(KEY, change(query(url)), now)).toEqual({ valid: false, reason });
  });

  it('reject an expired link', () => {
    expect(verifyApprovalLink(KEY, query(url), new Date('2026-11-25T12:00:00Z'))).toEqual({ valid: false, reason: 'expired' });
  });
});

describe('request-approval', () => {
  const dynamoDb = mockClient(DynamoDBClient);
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  const settings = { tokenTableName: 'tokens', topicArn: 'arn:aws:sns:eu-west-1:123456789012:orders', approvalBaseUrl: 'https://approvals.example.com/review', timeoutSeconds: 86400 };
  const event = {
    taskToken: 'AQCEAAAAKgAAAAMAAAAA-token',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration:run-1',
    config: migrationConfig(),
    progress: { tables: { loaded: 12 }, rowsLoaded: 1_234_567 },
    validation: { outcome: 'passed' },
  };

  beforeEach(() => {
    dynamoDb.reset();
    sns.reset();
    secrets.reset();
    dynamoDb.on(PutItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('stores the token under a new approval id and e-mails only the signed link', async () => {
    const clients = { dynamoDb: new DynamoDBClient({}), sns: new SNSClient({}) };
    await expect(requestApproval(clients, KEY, settings, event, now, () => link.approvalId)).resolves.toEqual({
      approvalId: link.approvalId,
      expiresAt: '2026-11-25T12:00:00.000Z',
    });
    expect(dynamoDb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'tokens',
      Item: marshall({
        pk: `approval#${link.approvalId}`,
        taskToken: event.taskToken,
        executionArn: event.executionArn,
        migrationName: 'Orders to Aurora',
        status: 'pending',
        summary: '12 tables loaded, 1,234,567 rows, DMS validation passed.',
        requestedAt: '2026-11-24T12:00:00.000Z',
        expiresAt: '2026-11-25T12:00:00.000Z',
        ttl: link.expiresAt.getTime() / 1000 + 7 * 24 * 3600,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const message = sns.commandCalls(PublishCommand)[0].args[0].input.Message as string;
    expect(message).toContain(`Review and decide: ${approvalUrl(settings.approvalBaseUrl, KEY, link)}`);
    expect(message).not.toContain(event.taskToken);
  });

  it('summarizes what it knows', () => {
    expect(approvalSummary({})).toBe('Full load and validation finished.');
    expect(approvalSummary({ validation: { outcome: 'not-enabled' } })).toBe('DMS validation not-enabled.');
  });

  it('handler reads the signing key from Secrets Manager once, and retries a failed or empty read', async () => {
    Object.assign(process.env, {
      APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:approval-key-AbCdEf',
      TOKEN_TABLE_NAME: 'tokens',
      TOPIC_ARN: settings.topicArn,
      APPROVAL_BASE_URL: settings.approvalBaseUrl,
      APPROVAL_TIMEOUT_SECONDS: '86400',
    });
    const { handler } = await import('../../../functions/request-approval/handler');
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }))
      .resolvesOnce({ SecretBinary: new Uint8Array([1]) })
      .resolves({ SecretString: KEY });
    await expect(handler(event)).rejects.toMatchObject({ name: 'AwsServiceUnavailable' });
    await expect(handler(event)).rejects.toMatchObject({ name: 'ConfigurationError' });
    await expect(handler(event)).resolves.toMatchObject({ approvalId: expect.any(String) });
    await expect(handler(event)).resolves.toMatchObject({ approvalId: expect.any(String) });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: process.env.APPROVAL_KEY_SECRET_ARN });
  });
});
