import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ENVIRONMENT } from '../../functions/shared/environment';
import { ownItems, type OrchestratorContext, type PhaseDefinition } from './phase';

export const runLock: PhaseDefinition<OrchestratorContext> = {
  folder: 'run-lock',
  description: 'One run per migration: takes and releases the run lock',
  environment: ({ tokenTable }) => ({ [ENVIRONMENT.tokenTableName]: tokenTable.tableName }),
  grant(fn, { tokenTable, arns, stateMachineName }) {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'], resources: [tokenTable.tableArn], conditions: ownItems('lock') }),
    );
    const executions = `arn:${arns.partition}:states:${arns.region}:${arns.account}:execution:${stateMachineName}:*`;
    fn.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${executions}]`,
        reason: 'The lock holder can be any execution of this migration’s own state machine; DescribeExecution only reads whether it still runs.',
      });
    }
  },
};
