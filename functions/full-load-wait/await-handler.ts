import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { readFullLoadWait, registerFullLoadWait, settleFullLoadWait } from './full-load-wait';
import { ENVIRONMENT, requireNumber, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';

const clients = {
  dms: new DatabaseMigrationServiceClient({}),
  dynamoDb: new DynamoDBClient({}),
  stepFunctions: new SFNClient({}),
  sns: new SNSClient({}),
};
const settings = {
  tokenTableName: requireString(ENVIRONMENT.tokenTableName),
  topicArn: requireString(ENVIRONMENT.topicArn),
  milestonePercent: requireNumber(ENVIRONMENT.progressMilestonePercent),
};

const eventSchema = z.extend(configEventSchema, { taskToken: z.string().check(z.minLength(1)), executionArn: z.optional(z.string()) });

/**
 * Parks the workflow: stores its task token for the watcher, then checks the task once itself, because the
 * full load may have finished (and its DMS event gone by) before the token was stored.
 */
export const handler = phaseHandler('await-full-load', eventSchema, async ({ config, taskToken, executionArn }) => {
  await registerFullLoadWait(clients.dynamoDb, settings.tokenTableName, { replicationTaskArn: config.replicationTaskArn, taskToken, config, executionArn }, new Date());
  // Read back what is stored: it carries the milestones already announced before this token.
  const wait = await readFullLoadWait(clients.dynamoDb, settings.tokenTableName, config.replicationTaskArn);
  return { outcome: wait ? await settleFullLoadWait(clients, settings, wait) : ('stale' as const) };
});
