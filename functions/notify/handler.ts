import { SNSClient } from '@aws-sdk/client-sns';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { notificationEventSchema } from '../shared/notifications/messages';
import { publishNotification } from '../shared/notifications/publish';

const sns = new SNSClient({});
const topicArn = requireString(ENVIRONMENT.topicArn);

export const handler = phaseHandler('notify', notificationEventSchema, (event) => publishNotification(sns, topicArn, event));
