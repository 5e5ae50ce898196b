import { ENVIRONMENT } from '../../functions/shared/environment';
import { allow, grantPublish, type OrchestratorContext, type PhaseDefinition } from './phase';

/** The approval request. The approval API (infra/constructs/approval-api.ts) adds the page and reminder settings. */
export const requestApproval: PhaseDefinition<OrchestratorContext> = {
  folder: 'request-approval',
  description: 'Asks a person to approve the cutover',
  environment: ({ tokenTable, topic, approvalTimeout, approvalSigningKey }) => ({
    [ENVIRONMENT.tokenTableName]: tokenTable.tableName,
    [ENVIRONMENT.topicArn]: topic.topicArn,
    [ENVIRONMENT.approvalTimeoutSeconds]: String(approvalTimeout.toSeconds()),
    [ENVIRONMENT.approvalKeySecretArn]: approvalSigningKey.secretArn,
  }),
  grant(fn, { tokenTable, topic, approvalSigningKey }) {
    fn.addToRolePolicy(allow(['dynamodb:PutItem'], [tokenTable.tableArn]));
    grantPublish(fn, topic);
    approvalSigningKey.grantRead(fn);
  },
};
