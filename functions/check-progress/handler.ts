import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { checkProgress } from '../shared/full-load-progress';

const dms = new DatabaseMigrationServiceClient({});

export const handler = phaseHandler('check-progress', configEventSchema, ({ config }) => checkProgress(dms, config));
