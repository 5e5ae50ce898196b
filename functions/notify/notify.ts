import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { renderNotification, type NotificationEvent } from './messages';

export interface PublishedNotification {
  messageId: string;
  kind: NotificationEvent['kind'];
  subject: string;
}

/** Publishes one notification; the `kind` and `migration` attributes let subscribers filter. */
export async function notify(sns: SNSClient, topicArn: string, event: NotificationEvent): Promise<PublishedNotification> {
  const { subject, body } = renderNotification(event);
  const response = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: subject,
      Message: body,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: event.kind },
        migration: { DataType: 'String', StringValue: event.migrationName },
      },
    }),
  );
  return { messageId: response.MessageId ?? '', kind: event.kind, subject };
}
