import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { checkProgress } from '../shared/full-load-progress';
import { replicationOf } from '../shared/replication';

const dms = new DatabaseMigrationServiceClient({});

export const handler = phaseHandler('check-progress', configEventSchema, ({ config }) => checkProgress(replicationOf(dms, config).forward));
