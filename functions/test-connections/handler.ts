import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import * as z from 'zod/mini';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { replicationOf } from '../shared/replication';

const dms = new DatabaseMigrationServiceClient({});

const eventSchema = z.extend(configEventSchema, { startTests: z.boolean() });

export const handler = phaseHandler('test-connections', eventSchema, ({ config, startTests }) =>
  replicationOf(dms, config).forward.testConnections(config, startTests),
);
