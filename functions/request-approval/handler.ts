import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { requireEnv } from '../shared/env';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { signingKeyLoader } from '../shared/signing-key';
import { requestApproval } from './request-approval';

const clients = {
  dynamoDb: new DynamoDBClient({}),
  sns: new SNSClient({}),
  dms: new DatabaseMigrationServiceClient({}),
  cloudWatch: new CloudWatchClient({}),
  scheduler: new SchedulerClient({}),
};
const loadSigningKey = signingKeyLoader(new SecretsManagerClient({}), requireEnv('APPROVAL_KEY_SECRET_ARN'));
const settings = {
  tokenTableName: requireEnv('TOKEN_TABLE_NAME'),
  topicArn: requireEnv('TOPIC_ARN'),
  approvalBaseUrl: requireEnv('APPROVAL_BASE_URL'),
  timeoutSeconds: Number(requireEnv('APPROVAL_TIMEOUT_SECONDS')),
  reminder: {
    afterSeconds: Number(requireEnv('APPROVAL_REMINDER_AFTER_SECONDS')),
    scheduleGroupName: requireEnv('APPROVAL_REMINDER_SCHEDULE_GROUP'),
    functionArn: requireEnv('APPROVAL_REMINDER_FUNCTION_ARN'),
    roleArn: requireEnv('APPROVAL_REMINDER_ROLE_ARN'),
  },
};

const eventSchema = z.extend(configEventSchema, {
  taskToken: z.string().check(z.minLength(1)),
  executionArn: z.optional(z.string()),
  progress: z.optional(z.record(z.string(), z.unknown())),
  validation: z.optional(z.record(z.string(), z.unknown())),
});

export const handler = phaseHandler('request-approval', eventSchema, async (event) =>
  requestApproval(clients, await loadSigningKey(), settings, event, new Date()),
);
