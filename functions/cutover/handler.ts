import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { RDSClient } from '@aws-sdk/client-rds';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { cutover } from './cutover';

const clients = {
  dms: new DatabaseMigrationServiceClient({}),
  cloudWatch: new CloudWatchClient({}),
  rds: new RDSClient({}),
  ssm: new SSMClient({}),
};

const eventSchema = z.extend(configEventSchema, {
  target: z.object({
    writerEndpoint: z.string().check(z.minLength(1)),
    port: z.int().check(z.minimum(1), z.maximum(65535)),
  }),
});

export const handler = phaseHandler('cutover', eventSchema, ({ config, target }) => cutover(clients, config, target));
