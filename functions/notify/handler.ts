import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENVIRONMENT, optionalString, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { notificationEventSchema } from '../shared/notifications/messages';
import { publishNotification } from '../shared/notifications/publish';
import { withReplicationLog } from './notify';

const sns = new SNSClient({});
const dms = new DatabaseMigrationServiceClient({});
const topicArn = requireString(ENVIRONMENT.topicArn);
const replicationTaskArn = optionalString(ENVIRONMENT.replicationTaskArn);
const replicationConfigArn = optionalString(ENVIRONMENT.replicationConfigArn);
/** Absent when the stack does not know its replication (it is named only in each execution's input). */
const replication = replicationTaskArn
  ? { engine: 'task' as const, arn: replicationTaskArn }
  : replicationConfigArn
    ? { engine: 'serverless' as const, arn: replicationConfigArn }
    : undefined;

export const handler = phaseHandler('notify', notificationEventSchema, async (event) =>
  publishNotification(sns, topicArn, replication ? await withReplicationLog(dms, replication, event) : event),
);
