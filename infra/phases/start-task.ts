import { describeReplication, startReplication } from './replication-grants';
import type { OrchestratorContext, PhaseDefinition } from './phase';

export const startTask: PhaseDefinition<OrchestratorContext> = {
  folder: 'start-task',
  description: 'Starts or resumes the replication safely',
  grant(fn, { arns }) {
    fn.addToRolePolicy(describeReplication(arns.engine));
    fn.addToRolePolicy(startReplication(arns));
  },
};
