import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { checkValidation } from './check-validation';

const dms = new DatabaseMigrationServiceClient({});

export const handler = phaseHandler('check-validation', configEventSchema, ({ config }) => checkValidation(dms, config));
