import { ENVIRONMENT } from '../../functions/shared/environment';
import { describeReplicationTasks, grantPublish, type OrchestratorContext, type PhaseDefinition } from './phase';

export const notify: PhaseDefinition<OrchestratorContext> = {
  folder: 'notify',
  description: 'Publishes migration notifications',
  // The task's settings say where it logs, which a failure notification names.
  environment: ({ topic, migration }) => ({ [ENVIRONMENT.topicArn]: topic.topicArn, [ENVIRONMENT.replicationTaskArn]: migration.replicationTaskArn }),
  grant(fn, { topic }) {
    grantPublish(fn, topic);
    fn.addToRolePolicy(describeReplicationTasks());
  },
};
