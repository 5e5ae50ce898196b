import { SNSClient } from '@aws-sdk/client-sns';
import { requireEnv } from '../shared/env';
import { phaseHandler } from '../shared/handler';
import { notificationEventSchema } from './messages';
import { notify } from './notify';

const sns = new SNSClient({});
const topicArn = requireEnv('TOPIC_ARN');

export const handler = phaseHandler('notify', notificationEventSchema, (event) => notify(sns, topicArn, event));
