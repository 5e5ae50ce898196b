import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ENVIRONMENT, optionalString, requireString } from '../shared/environment';
import { logger } from '../shared/logger';
import { signingKeyLoader } from '../shared/signing-key';
import { serveApprovalPage } from './approval-page';
import { PAGE_HEADERS, messagePage } from './page';

const clients = { dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}), sns: new SNSClient({}) };
const approverCodesTopicArn = optionalString(ENVIRONMENT.approverCodesTopicArn);
const settings = { tokenTableName: requireString(ENVIRONMENT.tokenTableName), ...(approverCodesTopicArn ? { approverCodesTopicArn } : {}) };
const loadSigningKey = signingKeyLoader(new SecretsManagerClient({}), requireString(ENVIRONMENT.approvalKeySecretArn));

/**
 * API Gateway HTTP API, payload format 2.0. HTTP APIs base64-encode request bodies they do not treat as
 * text (form posts included), so the body is decoded here. The page always answers with a page: an
 * exception escaping to API Gateway would show the person a bare "Internal Server Error".
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  logger.appendKeys({ phase: 'approval-page' });
  let signingKey: string;
  try {
    signingKey = await loadSigningKey();
  } catch (error) {
    logger.error('Approval page could not load its signing key', { errorName: (error as Error).name });
    return {
      statusCode: 500,
      headers: PAGE_HEADERS,
      body: messagePage('bad', 'Something went wrong', ['The approval page is not working right now; nothing was decided. Try again in a few minutes.']),
    };
  }
  const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return serveApprovalPage(clients, settings, signingKey, { method: event.requestContext.http.method, query: event.queryStringParameters ?? {}, body }, new Date());
}
