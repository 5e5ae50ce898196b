import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { dynamoDbService, type Item } from '../../local/emulator/dynamodb';
import { answeredByEmulator } from './emulator-operations';

/** The name the one table is kept under, whatever table a request names. */
const ONE_TABLE = 'table';

/**
 * One DynamoDB table (the token table, whatever a request calls it) at the SDK boundary, answered by the local
 * emulator's DynamoDB: items by `pk` in `items`, condition and update expressions evaluated as DynamoDB does
 * (anything the emulator does not understand is refused, so a test cannot pass on a guessed expression),
 * ReturnValues and a failed condition's item riding on ConditionalCheckFailedException.
 */
export function fakeDynamoDbTable(items: Map<string, Item>): AwsClientStub<DynamoDBClient> {
  const stub = mockClient(DynamoDBClient);
  const { operations } = dynamoDbService(new Map([[ONE_TABLE, items]]));
  const answer = (operation: string) => answeredByEmulator((input: Record<string, unknown>) => operations[operation]({ ...input, TableName: ONE_TABLE }), { ConditionalCheckFailedException });
  stub.on(GetItemCommand).callsFake(answer('GetItem'));
  stub.on(PutItemCommand).callsFake(answer('PutItem'));
  stub.on(UpdateItemCommand).callsFake(answer('UpdateItem'));
  stub.on(DeleteItemCommand).callsFake(answer('DeleteItem'));
  return stub;
}
