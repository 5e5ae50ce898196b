import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { requireEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { requestApproval } from './request-approval';

const clients = { dynamoDb: new DynamoDBClient({}), sns: new SNSClient({}) };
const secrets = new SecretsManagerClient({});
const signingKeySecretArn = requireEnv('APPROVAL_KEY_SECRET_ARN');
const settings = {
  tokenTableName: requireEnv('TOKEN_TABLE_NAME'),
  topicArn: requireEnv('TOPIC_ARN'),
  approvalBaseUrl: requireEnv('APPROVAL_BASE_URL'),
  timeoutSeconds: Number(requireEnv('APPROVAL_TIMEOUT_SECONDS')),
};

// Read once per container: the key only changes when the secret is rotated, and a rotation invalidates
// pending links, which then simply ask for a new request.
let signingKey: Promise<string> | undefined;
function loadSigningKey(): Promise<string> {
  signingKey ??= secrets
    .send(new GetSecretValueCommand({ SecretId: signingKeySecretArn }))
    .then((secret) => {
      if (!secret.SecretString) throw new ConfigurationError('The approval signing key secret has no string value');
      return secret.SecretString;
    })
    .catch((error: unknown) => {
      signingKey = undefined; // a failed read is retried on the next invocation, not cached
      throw error;
    });
  return signingKey;
}

const eventSchema = z.extend(configEventSchema, {
  taskToken: z.string().check(z.minLength(1)),
  executionArn: z.optional(z.string()),
  progress: z.optional(z.record(z.string(), z.unknown())),
  validation: z.optional(z.record(z.string(), z.unknown())),
});

export const handler = phaseHandler('request-approval', eventSchema, async (event) =>
  requestApproval(clients, await loadSigningKey(), settings, event, new Date()),
);
