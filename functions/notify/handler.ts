import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENVIRONMENT, optionalString, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { notificationEventSchema } from '../shared/notifications/messages';
import { publishNotification } from '../shared/notifications/publish';
import { withTaskLog } from './notify';

const sns = new SNSClient({});
const dms = new DatabaseMigrationServiceClient({});
const topicArn = requireString(ENVIRONMENT.topicArn);
/** Set for a task only: a serverless replication's log is not a task log (docs/dms-serverless-facts.md). */
const replicationTaskArn = optionalString(ENVIRONMENT.replicationTaskArn);

export const handler = phaseHandler('notify', notificationEventSchema, async (event) =>
  publishNotification(sns, topicArn, replicationTaskArn ? await withTaskLog(dms, replicationTaskArn, event) : event),
);
