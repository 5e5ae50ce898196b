import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENVIRONMENT, requireNumber, requireString } from '../shared/environment';

/**
 * What both full-load-wait handlers build once, at module load: their SDK clients and the settings the stack
 * gives them both (infra/phases/full-load-wait.ts declares one environment for the pair).
 */
export const clients = {
  dms: new DatabaseMigrationServiceClient({}),
  dynamoDb: new DynamoDBClient({}),
  eventBridge: new EventBridgeClient({}),
  stepFunctions: new SFNClient({}),
  sns: new SNSClient({}),
};

export const settings = {
  tokenTableName: requireString(ENVIRONMENT.tokenTableName),
  topicArn: requireString(ENVIRONMENT.topicArn),
  milestonePercent: requireNumber(ENVIRONMENT.progressMilestonePercent),
  checkRuleName: requireString(ENVIRONMENT.fullLoadCheckRuleName),
};
