import { allow, describeReplicationTasks, type OrchestratorContext, type PhaseDefinition } from './phase';

export const startTask: PhaseDefinition<OrchestratorContext> = {
  folder: 'start-task',
  description: 'Starts or resumes the replication task safely',
  grant(fn, { arns }) {
    fn.addToRolePolicy(describeReplicationTasks());
    fn.addToRolePolicy(allow(['dms:StartReplicationTask'], [arns.replicationTask]));
  },
};
