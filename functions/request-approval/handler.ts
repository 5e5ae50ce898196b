import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { ENVIRONMENT, optionalString, requireNumber, requireString } from '../shared/environment';
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
const loadSigningKey = signingKeyLoader(new SecretsManagerClient({}), requireString(ENVIRONMENT.approvalKeySecretArn));
const settings = {
  tokenTableName: requireString(ENVIRONMENT.tokenTableName),
  topicArn: requireString(ENVIRONMENT.topicArn),
  approvalBaseUrl: requireString(ENVIRONMENT.approvalBaseUrl),
  timeoutSeconds: requireNumber(ENVIRONMENT.approvalTimeoutSeconds),
  reminder: {
    afterSeconds: requireNumber(ENVIRONMENT.approvalReminderAfterSeconds),
    scheduleGroupName: requireString(ENVIRONMENT.approvalReminderScheduleGroup),
    functionArn: requireString(ENVIRONMENT.approvalReminderFunctionArn),
    roleArn: requireString(ENVIRONMENT.approvalReminderRoleArn),
  },
  subscribedApprovers: (optionalString(ENVIRONMENT.subscribedApprovers) ?? '').split(',').filter(Boolean),
};

const eventSchema = z.extend(configEventSchema, {
  taskToken: z.string().check(z.minLength(1)),
  executionArn: z.optional(z.string()),
  progress: z.optional(z.record(z.string(), z.unknown())),
  validation: z.optional(z.record(z.string(), z.unknown())),
  /**
   * The workflow's whole state ($), for the results that exist only on some runs (the readiness report and the
   * independent comparison need the input's database block): a path to a missing field would fail the state.
   */
  run: z.optional(z.looseObject({ readiness: z.optional(z.record(z.string(), z.unknown())), dataComparison: z.optional(z.record(z.string(), z.unknown())) })),
});

export const handler = phaseHandler('request-approval', eventSchema, async ({ run, ...event }) =>
  requestApproval(clients, await loadSigningKey(), settings, { ...event, readiness: run?.readiness, comparison: run?.dataComparison }, new Date()),
);
