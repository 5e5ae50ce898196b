import { SNSClient } from '@aws-sdk/client-sns';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { notificationEventSchema } from './messages';
import { notify } from './notify';

const sns = new SNSClient({});
const topicArn = requireString(ENVIRONMENT.topicArn);

export const handler = phaseHandler('notify', notificationEventSchema, (event) => notify(sns, topicArn, event));
