import { ENVIRONMENT } from '../../functions/shared/environment';
import { grantPublish, type OrchestratorContext, type PhaseDefinition } from './phase';
import { describeReplication } from './replication-grants';

export const notify: PhaseDefinition<OrchestratorContext> = {
  folder: 'notify',
  description: 'Publishes migration notifications',
  // A task's settings say where it logs, which a failure notification names; a serverless replication has no task log.
  environment: ({ topic, migration }) => ({
    [ENVIRONMENT.topicArn]: topic.topicArn,
    ...(migration.replicationTaskArn !== undefined ? { [ENVIRONMENT.replicationTaskArn]: migration.replicationTaskArn } : {}),
  }),
  grant(fn, { topic, arns }) {
    grantPublish(fn, topic);
    if (arns.engine === 'task') fn.addToRolePolicy(describeReplication('task'));
  },
};
