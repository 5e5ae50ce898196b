import { describeReplication, describeTableStatistics } from './replication-grants';
import type { OrchestratorContext, PhaseDefinition } from './phase';

export const checkProgress: PhaseDefinition<OrchestratorContext> = {
  folder: 'check-progress',
  description: 'Reports full-load progress',
  grant(fn, { arns }) {
    fn.addToRolePolicy(describeReplication(arns.engine));
    fn.addToRolePolicy(describeTableStatistics(arns));
  },
};
