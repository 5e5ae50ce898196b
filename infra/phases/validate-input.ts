import type { OrchestratorContext, PhaseDefinition } from './phase';

/** Checks the input before anything is touched: no AWS calls, no settings. */
export const validateInput: PhaseDefinition<OrchestratorContext> = {
  folder: 'validate-input',
  description: 'Validates the migration input',
};
