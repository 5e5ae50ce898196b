import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { acquireRunLock, releaseRunLock } from './run-lock';

const clients = { dynamoDb: new DynamoDBClient({}), sfn: new SFNClient({}) };
const tableName = requireString(ENVIRONMENT.tokenTableName);

const eventSchema = z.object({
  action: z.enum(['acquire', 'release']),
  migrationName: z.string().check(z.minLength(1)),
  executionArn: z.string().check(z.minLength(1)),
});

export const handler = phaseHandler('run-lock', eventSchema, ({ action, migrationName, executionArn }): Promise<unknown> =>
  action === 'acquire'
    ? acquireRunLock(clients, tableName, migrationName, executionArn)
    : releaseRunLock(clients.dynamoDb, tableName, migrationName, executionArn),
);
