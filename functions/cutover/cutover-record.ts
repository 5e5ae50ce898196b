import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { NothingToRollBack } from '../shared/errors';
import { migrationSlug } from '../shared/migration-input';
import type { ReadOnlySettings } from './write-freeze';

/**
 * What a later `rollback` or `complete` execution needs from the cutover, kept in the token table under
 * `cutover#<migration slug>` (beside the lock and the parked tokens): when the switch happened, the endpoint
 * to publish again on the way back, and the source's read_only settings from before the freeze, which a
 * rollback gives back.
 */
export interface CutoverRecord {
  migrationName: string;
  switchedAt: string;
  endpoint: string;
  previousEndpoint?: string;
  sourceReadOnlyBeforeFreeze?: ReadOnlySettings;
  reverseTaskArn?: string;
  reverseStartPosition?: string;
  rolledBackAt?: string;
  completedAt?: string;
}

export function cutoverRecordKey(migrationName: string): string {
  return `cutover#${migrationSlug(migrationName)}`;
}

export async function saveCutoverRecord(dynamoDb: DynamoDBClient, tableName: string, record: CutoverRecord): Promise<void> {
  await dynamoDb.send(
    new PutItemCommand({ TableName: tableName, Item: marshall({ pk: cutoverRecordKey(record.migrationName), ...record }, { removeUndefinedValues: true }) }),
  );
}

export async function loadCutoverRecord(dynamoDb: DynamoDBClient, tableName: string, migrationName: string): Promise<CutoverRecord> {
  const response = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: cutoverRecordKey(migrationName) }), ConsistentRead: true }));
  if (!response.Item) throw new NothingToRollBack(`No cutover of ${migrationName} is on record: there is nothing to roll back or complete`);
  const { pk: _key, ...record } = unmarshall(response.Item);
  return record as CutoverRecord;
}
