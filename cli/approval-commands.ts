import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ApprovalNotDecidable, decideApprovalThroughTokenTable } from './approval-decision';
import { UsageError, type CommandContext } from './context';

export const APPROVE_HELP = approvalHelp('approve', 'Approves a pending cutover: the workflow goes on to cut over.');
export const REJECT_HELP = approvalHelp('reject', 'Rejects a pending cutover (needs --reason): the workflow ends without cutover; replication keeps running.');

function approvalHelp(command: string, what: string): string {
  return `Usage: dms-orchestrator ${command} APPROVAL --token-table NAME [options]

${what}
APPROVAL is the approval id, or the whole review link from the approval e-mail.

Options:
  --token-table NAME   the orchestrator's token table (stack output / Lambda environment TOKEN_TABLE_NAME)
  --region REGION      the stack's region (default: AWS_REGION)
  --by NAME            who decides (default: your user name), recorded and notified${command === 'reject' ? '\n  --reason TEXT        why (required), sent to everyone notified' : ''}
  --json               print the result as JSON`;
}

/** The review link (`...?id=<approval id>&expires=...&signature=...`) or the bare id. */
export function approvalIdFrom(argument: string): string {
  if (!/^https?:\/\//.test(argument)) return argument;
  const id = new URL(argument).searchParams.get('id');
  if (!id) throw new UsageError(`The link ${argument} carries no approval id (?id=...)`);
  return id;
}

export function approvalCommand(decision: 'approve' | 'reject') {
  return async (args: string[], context: CommandContext): Promise<number> => {
    const { values, positionals } = parseArgs({
      args,
      options: {
        'token-table': { type: 'string' },
        region: { type: 'string' },
        by: { type: 'string' },
        reason: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError(`${decision} takes one approval id or review link`);
    const tokenTableName = values['token-table'];
    if (!tokenTableName) throw new UsageError('--token-table NAME is required');
    if (decision === 'reject' && !values.reason) throw new UsageError('reject needs --reason TEXT, for the people who read the notification');
    const region = values.region ?? process.env.AWS_REGION;
    if (!region) throw new UsageError('--region is required (or set AWS_REGION)');
    const approvalId = approvalIdFrom(positionals[0]);
    const decidedBy = values.by ?? userInfo().username;
    const clients = { dynamoDb: new DynamoDBClient({ region }), stepFunctions: new SFNClient({ region }) };
    try {
      const result = await decideApprovalThroughTokenTable(clients, tokenTableName, { approvalId, decision, decidedBy, reason: values.reason });
      context.stdout.write(
        values.json ? `${JSON.stringify({ approvalId, ...result, decidedBy })}\n` : `Cutover of "${result.migrationName}" ${result.status} by ${decidedBy}.\n`,
      );
      return 0;
    } catch (error) {
      if (!(error instanceof ApprovalNotDecidable)) throw error;
      context.stderr.write(values.json ? `${JSON.stringify({ approvalId, error: error.message })}\n` : `${error.message}\n`);
      return 1;
    }
  };
}
