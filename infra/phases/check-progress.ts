import { describeReplicationTasks, describeTableStatistics, type OrchestratorContext, type PhaseDefinition } from './phase';

export const checkProgress: PhaseDefinition<OrchestratorContext> = {
  folder: 'check-progress',
  description: 'Reports full-load progress',
  grant(fn, { arns }) {
    fn.addToRolePolicy(describeReplicationTasks());
    fn.addToRolePolicy(describeTableStatistics(arns));
  },
};
