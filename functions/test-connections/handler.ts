import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { z } from 'zod';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { testConnections } from './test-connections';

const dms = new DatabaseMigrationServiceClient({});

const eventSchema = configEventSchema.extend({ startTests: z.boolean() });

export const handler = phaseHandler('test-connections', eventSchema, ({ config, startTests }) =>
  testConnections(dms, config, startTests),
);
