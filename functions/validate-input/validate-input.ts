import { parseEvent } from '../shared/handler';
import { migrationInputSchema, type MigrationConfig } from '../shared/migration-input';

/**
 * The first step: the execution input against the schema, with every default applied. One InvalidInput
 * error lists every bad field, so an operator fixes the input once rather than once per field.
 */
export function validateMigrationInput(input: unknown): MigrationConfig {
  return parseEvent(migrationInputSchema, input);
}
