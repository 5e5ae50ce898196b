import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { requireEnv } from '../shared/env';
import { phaseHandler } from '../shared/handler';
import { signingKeyLoader } from '../shared/signing-key';
import { remindApprovers } from './approval-reminder';

const clients = { dynamoDb: new DynamoDBClient({}), sns: new SNSClient({}) };
const loadSigningKey = signingKeyLoader(new SecretsManagerClient({}), requireEnv('APPROVAL_KEY_SECRET_ARN'));
const settings = {
  tokenTableName: requireEnv('TOKEN_TABLE_NAME'),
  topicArn: requireEnv('TOPIC_ARN'),
  approvalBaseUrl: requireEnv('APPROVAL_BASE_URL'),
};

/** The input the reminder schedule was created with (see request-approval). */
const eventSchema = z.object({ approvalId: z.string().check(z.minLength(1)) });

export const handler = phaseHandler('approval-reminder', eventSchema, async (event) => ({
  approvalId: event.approvalId,
  outcome: await remindApprovers(clients, settings, await loadSigningKey(), event.approvalId, new Date()),
}));
