import { allow, type OrchestratorContext, type PhaseDefinition } from './phase';

export const testConnections: PhaseDefinition<OrchestratorContext> = {
  folder: 'test-connections',
  description: 'Tests the DMS source and target endpoints',
  grant(fn, { arns }) {
    fn.addToRolePolicy(allow(['dms:TestConnection'], [arns.sourceEndpoint, arns.targetEndpoint, arns.replicationInstance]));
    fn.addToRolePolicy(allow(['dms:DescribeConnections'], ['*']));
  },
};
