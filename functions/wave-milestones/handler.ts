import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { ENVIRONMENT, requireNumber, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { signingKeyLoader } from '../shared/signing-key';
import { publishWaveSummary, requestWaveApproval } from './wave-milestones';

const clients = { dynamoDb: new DynamoDBClient({}), sns: new SNSClient({}) };
const settings = {
  tokenTableName: requireString(ENVIRONMENT.tokenTableName),
  topicArn: requireString(ENVIRONMENT.topicArn),
  timeoutSeconds: requireNumber(ENVIRONMENT.approvalTimeoutSeconds),
  approvalBaseUrl: requireString(ENVIRONMENT.approvalBaseUrl),
};
const loadSigningKey = signingKeyLoader(new SecretsManagerClient({}), requireString(ENVIRONMENT.approvalKeySecretArn));

const prepared = z.object({
  name: z.string(),
  progress: z.optional(z.looseObject({ fullLoadComplete: z.optional(z.boolean()), tables: z.optional(z.looseObject({ loaded: z.optional(z.number()), errored: z.optional(z.number()) })) })),
  validation: z.optional(z.looseObject({ outcome: z.optional(z.string()), tableCount: z.optional(z.number()) })),
});
const eventSchema = z.discriminatedUnion('milestone', [
  z.object({
    milestone: z.literal('approval-needed'),
    taskToken: z.string().check(z.minLength(1)),
    executionArn: z.string(),
    waveName: z.string(),
    mode: z.enum(['migrate', 'rollback']),
    candidates: z.array(prepared),
    notReady: z.array(z.object({ name: z.string(), error: z.string() })),
  }),
  z.object({ milestone: z.literal('summary'), executionArn: z.string(), waveName: z.string(), lines: z.array(z.string()), because: z.string() }),
]);

/** The wave's e-mails, one per milestone: its approval request (parking the wave on the token) and its summary. */
export const handler = phaseHandler('wave-milestones', eventSchema, async (event) =>
  event.milestone === 'approval-needed'
    ? requestWaveApproval(clients, await loadSigningKey(), settings, event, new Date())
    : publishWaveSummary(clients.sns, settings.topicArn, event),
);
