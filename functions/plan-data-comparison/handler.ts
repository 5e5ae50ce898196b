import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { runIdSchema } from '../shared/data-comparison/comparison-run';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { InvalidInput } from '../shared/errors';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { planDataComparison } from './plan-data-comparison';
import { databaseNetworkClient } from '../shared/network-clients';

const clients = { secretsManager: databaseNetworkClient(SecretsManagerClient), s3: databaseNetworkClient(S3Client) };
const bucket = requireString(ENVIRONMENT.plansBucket);

const eventSchema = z.extend(configEventSchema, { runId: runIdSchema });

export const handler = phaseHandler('plan-data-comparison', eventSchema, ({ config, runId }) => {
  const { database } = config;
  if (!database) throw new InvalidInput(['database: the data comparison needs the database block (secret ARNs and schemas)']);
  return planDataComparison(clients, bucket, { ...config, database }, runId);
});
