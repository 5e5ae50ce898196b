import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { replicationOf } from '../shared/replication';
import { startTask } from './start-task';

const dms = new DatabaseMigrationServiceClient({});

export const handler = phaseHandler('start-task', configEventSchema, ({ config }) => startTask(replicationOf(dms, config).forward, config));
