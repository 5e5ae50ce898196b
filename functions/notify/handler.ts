import { SNSClient } from '@aws-sdk/client-sns';
import { requireEnv } from '../shared/env';
import { phaseHandler } from '../shared/handler';
import { notificationEventSchema } from '../shared/notifications/messages';
import { publishNotification } from '../shared/notifications/publish';

const sns = new SNSClient({});
const topicArn = requireEnv('TOPIC_ARN');

export const handler = phaseHandler('notify', notificationEventSchema, (event) => publishNotification(sns, topicArn, event));
