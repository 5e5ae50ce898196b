import { testConnections as testConnectionGrants } from './replication-grants';
import type { OrchestratorContext, PhaseDefinition } from './phase';

export const testConnections: PhaseDefinition<OrchestratorContext> = {
  folder: 'test-connections',
  description: 'Tests the DMS source and target endpoints',
  grant(fn, { arns }) {
    for (const statement of testConnectionGrants(arns)) fn.addToRolePolicy(statement);
  },
};
