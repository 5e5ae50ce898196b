import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { phaseHandler } from '../shared/handler';
import * as z from 'zod/mini';
import { configEventSchema } from '../shared/migration-input';
import { replicationOf } from '../shared/replication';
import { checkValidation } from './check-validation';

const dms = new DatabaseMigrationServiceClient({});

/** `waitingSince`: when the workflow started waiting for validation (Step Functions' State.EnteredTime). */
const eventSchema = z.extend(configEventSchema, { waitingSince: z.optional(z.iso.datetime({ offset: true })) });

export const handler = phaseHandler('check-validation', eventSchema, ({ config, waitingSince }) =>
  checkValidation(replicationOf(dms, config).forward, config, { waitingSince: waitingSince ? new Date(waitingSince) : undefined, now: new Date() }),
);
