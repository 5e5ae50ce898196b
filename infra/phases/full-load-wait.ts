import { Stack } from 'aws-cdk-lib';
import { ENVIRONMENT, type FunctionEnvironment } from '../../functions/shared/environment';
import type { PhaseFunction } from '../constructs/phase-function';
import { describeReplication, describeTableStatistics } from './replication-grants';
import {
  allow,
  grantPublish,
  sendTaskResponse,
  type OrchestratorContext,
  type PhaseDefinition,
} from './phase';

/**
 * The event-driven full-load wait: one function parks the workflow's task token (and turns the minute checks
 * on), the other is woken by DMS events and those checks and hands it back (and turns them off). Both read the task, keep the wait's item and send
 * progress e-mails, so they share their settings and grants.
 */
function waitEnvironment({ tokenTable, topic, progressMilestonePercent, fullLoadCheckRuleName }: OrchestratorContext): FunctionEnvironment {
  return {
    [ENVIRONMENT.fullLoadCheckRuleName]: fullLoadCheckRuleName,
    [ENVIRONMENT.tokenTableName]: tokenTable.tableName,
    [ENVIRONMENT.topicArn]: topic.topicArn,
    [ENVIRONMENT.progressMilestonePercent]: String(progressMilestonePercent),
  };
}

function grantWait(fn: PhaseFunction, context: OrchestratorContext): void {
  fn.addToRolePolicy(describeReplication(context.arns.engine));
  fn.addToRolePolicy(describeTableStatistics(context.arns));
  fn.addToRolePolicy(allow(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [context.tokenTable.tableArn]));
  fn.addToRolePolicy(sendTaskResponse());
  const { partition, region, account } = Stack.of(fn);
  fn.addToRolePolicy(allow(['events:EnableRule', 'events:DisableRule'], [`arn:${partition}:events:${region}:${account}:rule/${context.fullLoadCheckRuleName}`]));
  grantPublish(fn, context.topic);
}

export const awaitFullLoad: PhaseDefinition<OrchestratorContext> = {
  folder: 'full-load-wait',
  handlerFile: 'await-handler',
  description: 'Parks the workflow until the full load ends',
  environment: waitEnvironment,
  grant: grantWait,
};

export const fullLoadWatcher: PhaseDefinition<OrchestratorContext> = {
  folder: 'full-load-wait',
  handlerFile: 'watch-handler',
  description: 'Ends the full-load wait on DMS events',
  environment: (context) => ({
    ...waitEnvironment(context),
    [context.arns.engine === 'task' ? ENVIRONMENT.replicationTaskArn : ENVIRONMENT.replicationConfigArn]: context.arns.replication,
  }),
  grant: grantWait,
};
