import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENVIRONMENT, optionalString, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import * as z from 'zod/mini';
import { notificationEventSchema } from '../shared/notifications/messages';
import { leftToTheWave, publishNotification } from '../shared/notifications/publish';
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

/** The notification, and the run's config as the state machine holds it (only its `wave` is read). */
const eventSchema = z.intersection(notificationEventSchema, z.object({ run: z.optional(z.looseObject({ wave: z.optional(z.looseObject({ waveName: z.string() })) })) }));

export const handler = phaseHandler('notify', eventSchema, async ({ run, ...event }) => {
  if (leftToTheWave(event, run)) return { leftToTheWave: run?.wave?.waveName, kind: event.kind };
  return publishNotification(sns, topicArn, replication ? await withReplicationLog(dms, replication, event) : event);
});
