import { ENVIRONMENT } from '../../functions/shared/environment';
import { grantPublish, type OrchestratorContext, type PhaseDefinition } from './phase';
import { describeReplication } from './replication-grants';

export const notify: PhaseDefinition<OrchestratorContext> = {
  folder: 'notify',
  description: 'Publishes migration notifications',
  // A failure notification names where DMS logs the replication: a task's settings say it, a serverless config's ARN does.
  environment: ({ topic, migration }) => ({
    [ENVIRONMENT.topicArn]: topic.topicArn,
    ...(migration.replicationTaskArn !== undefined ? { [ENVIRONMENT.replicationTaskArn]: migration.replicationTaskArn } : {}),
    ...(migration.replicationConfigArn !== undefined ? { [ENVIRONMENT.replicationConfigArn]: migration.replicationConfigArn } : {}),
  }),
  grant(fn, { topic, arns }) {
    grantPublish(fn, topic);
    if (arns.engine === 'task') fn.addToRolePolicy(describeReplication('task'));
  },
};
