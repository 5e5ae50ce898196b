import { allow, type OrchestratorContext, type PhaseDefinition } from './phase';

export const checkTarget: PhaseDefinition<OrchestratorContext> = {
  folder: 'check-target',
  description: 'Checks the target Aurora/RDS database is available',
  grant(fn, { arns }) {
    fn.addToRolePolicy(allow(['rds:DescribeDBClusters', 'rds:DescribeDBInstances'], [arns.target]));
  },
};
