import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { renderNotification, type NotificationEvent, type NotificationKind } from './messages';

export interface PublishedNotification {
  messageId: string;
  kind: NotificationKind;
  subject: string;
}

/**
 * Publishes one notification to the migration's topic: from the notify function, or from a phase that reports
 * by itself (the full-load wait, the approval request). The `kind` and `migration` attributes let subscribers
 * filter; `attributes` adds more (the approver a one-time code is for, which its topic's subscriptions filter on).
 */
export async function publishNotification(sns: SNSClient, topicArn: string, event: NotificationEvent, attributes: Record<string, string> = {}): Promise<PublishedNotification> {
  const { subject, body } = renderNotification(event);
  const response = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: subject,
      Message: body,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: event.kind },
        migration: { DataType: 'String', StringValue: event.migrationName },
        ...Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
      },
    }),
  );
  return { messageId: response.MessageId ?? '', kind: event.kind, subject };
}

/**
 * A migration a wave runs e-mails only its failures: its routine messages (started, loaded, validated, each
 * cutover step, cut over) would reach the team once per migration, and the wave says the same in one e-mail per
 * milestone (its approval request, its summary). A failure still goes out at once, with its own remedy.
 */
export function leftToTheWave(event: Pick<NotificationEvent, 'kind'>, run: { wave?: { waveName: string } } | undefined): boolean {
  return run?.wave !== undefined && event.kind !== 'failure';
}
