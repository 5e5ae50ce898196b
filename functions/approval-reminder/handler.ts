import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { signingKeyLoader } from '../shared/signing-key';
import { remindApprovers } from './approval-reminder';

const clients = { dynamoDb: new DynamoDBClient({}), sns: new SNSClient({}) };
const loadSigningKey = signingKeyLoader(new SecretsManagerClient({}), requireString(ENVIRONMENT.approvalKeySecretArn));
const settings = {
  tokenTableName: requireString(ENVIRONMENT.tokenTableName),
  topicArn: requireString(ENVIRONMENT.topicArn),
  approvalBaseUrl: requireString(ENVIRONMENT.approvalBaseUrl),
};

/** The input the reminder schedule was created with (see request-approval). */
const eventSchema = z.object({ approvalId: z.string().check(z.minLength(1)) });

export const handler = phaseHandler('approval-reminder', eventSchema, async (event) => ({
  approvalId: event.approvalId,
  outcome: await remindApprovers(clients, settings, await loadSigningKey(), event.approvalId, new Date()),
}));
