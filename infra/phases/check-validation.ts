import { describeTableStatistics } from './replication-grants';
import type { OrchestratorContext, PhaseDefinition } from './phase';

export const checkValidation: PhaseDefinition<OrchestratorContext> = {
  folder: 'check-validation',
  description: 'Summarizes DMS data validation',
  grant(fn, { arns }) {
    fn.addToRolePolicy(describeTableStatistics(arns));
  },
};
