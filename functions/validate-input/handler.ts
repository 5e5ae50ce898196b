import * as z from 'zod/mini';
import { phaseHandler } from '../shared/handler';
import { logger } from '../shared/logger';
import { validateMigrationInput } from './validate-input';

// The event is the raw execution input; the core validates it so the error lists every field at once.
export const handler = phaseHandler('validate-input', z.unknown(), async (input) => {
  const config = validateMigrationInput(input);
  logger.info('Migration input valid', { migrationName: config.migrationName, replicationTaskArn: config.replicationTaskArn });
  return config;
});
