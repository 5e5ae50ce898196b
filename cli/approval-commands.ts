import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { InvalidDecision, decideApproval, type DecisionResult } from '../functions/approval-page/decide';
import { readableTime } from '../functions/shared/operator-text';
import { UsageError, type CommandContext } from './context';

export const APPROVE_HELP = approvalHelp('approve', 'Approves a pending cutover: the workflow goes on to cut over.');
export const REJECT_HELP = approvalHelp('reject', 'Rejects a pending cutover: the workflow ends without cutover; replication keeps running.');

function approvalHelp(command: string, what: string): string {
  return `Usage: dms-orchestrator ${command} APPROVAL --token-table NAME [options]

${what}
APPROVAL is the approval id, or the whole review link from the approval e-mail. Your AWS credentials are the
authorization (dynamodb:UpdateItem on the token table, states:SendTask* on the state machine); no one-time code
is asked, even when the request has approvers. Where two approvals are needed, this counts as one, under the
name given with --by; another approver (on the review page, or with another name) gives the other.

Options:
  --token-table NAME   the orchestrator's token table (stack output TokenTableName)
  --region REGION      the stack's region (default: AWS_REGION)
  --by NAME            who decides (default: your user name), recorded and notified
  --reason TEXT        why; sent to everyone notified${command === 'reject' ? ' (please give one)' : ''}${command === 'approve' ? "\n  --migrations A,B     a wave's approval: approve only these of its migrations ready for cutover (default: all)" : ''}
  --json               print the result as JSON`;
}

/** The review link (`...?id=<approval id>&expires=...&signature=...`) or the bare id. */
export function approvalIdFrom(argument: string): string {
  if (!/^https?:\/\//.test(argument)) return argument;
  const id = new URL(argument).searchParams.get('id');
  if (!id) throw new UsageError(`The link ${argument} carries no approval id (?id=...)`);
  return id;
}

/** What each outcome of the approval core means to the person at the terminal. */
export function describeDecision(approvalId: string, result: DecisionResult): { exitCode: number; message: string } {
  if (result.outcome === 'not-found') return { exitCode: 1, message: `No approval request ${approvalId}: check the id, or the request expired more than a week ago.` };
  const { record } = result;
  switch (result.outcome) {
    case 'decided':
      return { exitCode: 0, message: `Cutover of "${record.migrationName}" ${record.status} by ${record.decidedBy}.` };
    case 'approval-recorded':
      return { exitCode: 0, message: `Approval of "${record.migrationName}" by ${record.firstApproval?.by} recorded: one more approver must approve (a reject by either rejects).` };
    case 'already-approved-by-you':
      return { exitCode: 1, message: `Nothing changed: ${record.firstApproval?.by} approved ${approvalId} already; the second approval must come from another approver.` };
    case 'already-decided':
      return { exitCode: 1, message: `Nothing changed: approval ${approvalId} was already ${record.status}${record.decidedBy ? ` by ${record.decidedBy} at ${readableTime(record.decidedAt)}` : ''}.` };
    case 'expired':
      return { exitCode: 1, message: `Nothing changed: approval ${approvalId} expired at ${readableTime(record.expiresAt)}; the workflow ended without cutover.` };
    case 'closed':
      return { exitCode: 1, message: `Nothing changed: the workflow no longer waits for approval ${approvalId} (${record.closedBecause}).` };
  }
}

/** The decision's fields by the flag the person typed them with. */
const DECISION_FLAGS = { decidedBy: '--by', reason: '--reason', decision: 'the command (approve or reject)', migrations: '--migrations' } as const;

export function approvalCommand(decision: 'approve' | 'reject') {
  return async (args: string[], context: CommandContext): Promise<number> => {
    const { values, positionals } = parseArgs({
      args,
      options: {
        'token-table': { type: 'string' },
        region: { type: 'string' },
        by: { type: 'string' },
        reason: { type: 'string' },
        ...(decision === 'approve' ? { migrations: { type: 'string' as const } } : {}),
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError(`${decision} takes one approval id or review link`);
    const tokenTableName = values['token-table'];
    if (!tokenTableName) throw new UsageError('--token-table NAME is required');
    const region = values.region ?? process.env.AWS_REGION;
    if (!region) throw new UsageError('--region is required (or set AWS_REGION)');
    const approvalId = approvalIdFrom(positionals[0]);
    const decidedBy = values.by ?? userInfo().username;
    const listed = (values as { migrations?: string }).migrations;
    const migrations = listed === undefined ? undefined : listed.split(',').map((name) => name.trim()).filter(Boolean);
    const clients = { dynamoDb: new DynamoDBClient({ region }), stepFunctions: new SFNClient({ region }) };
    const result = await decideApproval(clients, { tokenTableName }, { approvalId, decision, decidedBy, verifiedBy: 'aws-credentials', reason: values.reason, migrations }, new Date()).catch((error: unknown) => {
      if (!(error instanceof InvalidDecision)) throw error;
      throw new UsageError(error.problems.map(({ field, problem }) => `${DECISION_FLAGS[field]}: ${problem}`).join('\n'));
    });
    const { exitCode, message } = describeDecision(approvalId, result);
    if (values.json) context.stdout.write(`${JSON.stringify({ approvalId, outcome: result.outcome, ...(result.outcome === 'not-found' ? {} : { record: withoutToken(result.record) }) })}\n`);
    else (exitCode === 0 ? context.stdout : context.stderr).write(`${message}\n`);
    return exitCode;
  };
}

/** The task token stays in the table: it could settle the workflow, so it is never printed. */
function withoutToken<T extends { taskToken?: string }>(record: T): Omit<T, 'taskToken'> {
  const { taskToken: _secret, ...rest } = record;
  return rest;
}
