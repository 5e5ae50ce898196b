import { ENVIRONMENT } from '../../functions/shared/environment';
import { grantPublish, type OrchestratorContext, type PhaseDefinition } from './phase';

export const notify: PhaseDefinition<OrchestratorContext> = {
  folder: 'notify',
  description: 'Publishes migration notifications',
  environment: ({ topic }) => ({ [ENVIRONMENT.topicArn]: topic.topicArn }),
  grant(fn, { topic }) {
    grantPublish(fn, topic);
  },
};
