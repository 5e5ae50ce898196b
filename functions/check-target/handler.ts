import { RDSClient } from '@aws-sdk/client-rds';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import { checkTarget } from './check-target';

const rds = new RDSClient({});

export const handler = phaseHandler('check-target', configEventSchema, ({ config }) => checkTarget(rds, config.target));
