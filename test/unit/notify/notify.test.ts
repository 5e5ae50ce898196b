import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { renderNotification, type NotificationEvent } from '../../../functions/shared/notifications/messages';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:orders-migration';
const base = { migrationName: 'Orders to Aurora', executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration:run-42' };

describe('notify handler', () => {
  const sns = mockClient(SNSClient);
  let handler: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    process.env.TOPIC_ARN = TOPIC_ARN;
    ({ handler } = await import('../../../functions/notify/handler'));
  });
  beforeEach(() => sns.reset());

  it('publishes the rendered message with filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'f2b8e0c4-1111-2222-3333-444455556666' });
    const event: NotificationEvent = { ...base, kind: 'approval-timeout', details: {} };
    await expect(handler(event)).resolves.toEqual({
      messageId: 'f2b8e0c4-1111-2222-3333-444455556666',
      kind: 'approval-timeout',
      subject: '[DMS] Orders to Aurora: cutover not approved in time',
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: '[DMS] Orders to Aurora: cutover not approved in time',
      Message: renderNotification(event).body,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'approval-timeout' },
        migration: { DataType: 'String', StringValue: 'Orders to Aurora' },
      },
    });
  });

  it('rejects an unknown kind without publishing', async () => {
    await expect(handler({ ...base, kind: 'party', details: {} })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('kind') });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('turns SNS throttling into a retryable error', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    await expect(handler({ ...base, kind: 'approval-timeout', details: {} })).rejects.toMatchObject({ name: 'AwsServiceUnavailable' });
  });

  it('refuses to load without its topic', async () => {
    await jest.isolateModulesAsync(async () => {
      delete process.env.TOPIC_ARN;
      await expect(import('../../../functions/notify/handler')).rejects.toMatchObject({ name: 'ConfigurationError', message: 'Environment variable TOPIC_ARN is not set' });
      process.env.TOPIC_ARN = TOPIC_ARN;
    });
  });
});
