import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CutoverClients } from '../../functions/cutover/effects';

/** Every client the cutover's steps hold; a test mocks the ones its steps reach (aws-sdk-client-mock). */
export function cutoverClients(): CutoverClients {
  return {
    dms: new DatabaseMigrationServiceClient({}),
    cloudWatch: new CloudWatchClient({}),
    rds: new RDSClient({}),
    ssm: new SSMClient({}),
    secretsManager: new SecretsManagerClient({}),
    dynamoDb: new DynamoDBClient({}),
  };
}
