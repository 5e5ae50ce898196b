import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Decides a pending cutover approval from a terminal: the approval record in the token table (written by
 * request-approval under `approval#<id>`) is claimed with a conditional update, so of two people deciding
 * at once exactly one wins, then its task token is handed back to the workflow.
 *
 * Stand-in for the approval page's core (`decideApproval`, functions/approval-page): when that lands, the
 * CLI and the rehearsal call it instead, and this file goes.
 */
export interface ApprovalDecision {
  approvalId: string;
  decision: 'approve' | 'reject';
  decidedBy: string;
  /** Why it was rejected: reaches the workflow as the ApprovalRejected cause and the notification. */
  reason?: string;
}

export interface ApprovalDecisionClients {
  dynamoDb: DynamoDBClient;
  stepFunctions: SFNClient;
}

export class ApprovalNotDecidable extends Error {
  override readonly name = 'ApprovalNotDecidable';
}

export async function decideApprovalThroughTokenTable(
  clients: ApprovalDecisionClients,
  tokenTableName: string,
  decision: ApprovalDecision,
  now: Date = new Date(),
): Promise<{ migrationName: string; executionArn: string; status: 'approved' | 'rejected' }> {
  const key = marshall({ pk: `approval#${decision.approvalId}` });
  const response = await clients.dynamoDb.send(new GetItemCommand({ TableName: tokenTableName, Key: key, ConsistentRead: true }));
  if (!response.Item) throw new ApprovalNotDecidable(`No approval request ${decision.approvalId} in ${tokenTableName}: check the id in the approval e-mail`);
  const record = unmarshall(response.Item) as { taskToken: string; status: string; expiresAt: string; migrationName: string; executionArn: string };
  if (record.status !== 'pending') throw new ApprovalNotDecidable(`Approval ${decision.approvalId} was already ${record.status}`);
  if (new Date(record.expiresAt).getTime() <= now.getTime()) {
    throw new ApprovalNotDecidable(`Approval ${decision.approvalId} expired at ${record.expiresAt}: the workflow ended without cutover`);
  }
  if (decision.decision === 'reject' && !decision.reason) throw new ApprovalNotDecidable('A rejection needs a reason (--reason), for the people who read the notification');

  const status = decision.decision === 'approve' ? 'approved' : 'rejected';
  try {
    await clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: tokenTableName,
        Key: key,
        UpdateExpression: 'SET #status = :decided, decidedBy = :by, decidedAt = :at',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':decided': status, ':by': decision.decidedBy, ':at': now.toISOString(), ':pending': 'pending' }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new ApprovalNotDecidable(`Approval ${decision.approvalId} was decided by someone else just now`);
    throw error;
  }
  if (status === 'approved') {
    const output = JSON.stringify({ decision: 'approved', decidedBy: decision.decidedBy, decidedAt: now.toISOString() });
    await clients.stepFunctions.send(new SendTaskSuccessCommand({ taskToken: record.taskToken, output }));
  } else {
    await clients.stepFunctions.send(
      new SendTaskFailureCommand({ taskToken: record.taskToken, error: 'ApprovalRejected', cause: `Rejected by ${decision.decidedBy}: ${decision.reason}` }),
    );
  }
  return { migrationName: record.migrationName, executionArn: record.executionArn, status };
}
