import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DatabaseMigrationServiceClient, DescribeReplicationTasksCommand, DescribeTableStatisticsCommand } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../cli/main';
import { statusCommand } from '../../../cli/status-command';
import { APPROVAL_ID, TABLE_NAME, TASK_TOKEN, pendingApproval, storeApproval } from '../../support/approval';
import { TASK_ARN, migrationInput, replicationTask, tableStatistics } from '../../support/migration';
import { FakeTokenTable } from '../../support/token-table';

const sfn = mockClient(SFNClient);
const dms = mockClient(DatabaseMigrationServiceClient);
const dynamoDb = mockClient(DynamoDBClient);
const directory = mkdtempSync(path.join(tmpdir(), 'cli-test-'));
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrdersMigration-migration';
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:night-run';

beforeEach(() => {
  sfn.reset();
  dms.reset();
  dynamoDb.reset();
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function context() {
  const output = { stdout: '', stderr: '' };
  return {
    output,
    stdout: { write: (text: string) => (output.stdout += text) },
    stderr: { write: (text: string) => (output.stderr += text) },
    interactive: false,
    canPrompt: false,
  };
}

async function run(...argv: string[]) {
  const terminal = context();
  const exitCode = await main(argv, terminal);
  return { exitCode, ...terminal.output };
}

function file(name: string, content: unknown): string {
  const filePath = path.join(directory, name);
  writeFileSync(filePath, typeof content === 'string' ? content : JSON.stringify(content));
  return filePath;
}

const deployment = { stackName: 'OrdersMigration', account: '123456789012', region: 'eu-west-1', approvalPageUrl: 'https://approvals.example.com/review', migration: migrationInput() };

describe('dms-orchestrator', () => {
  it('lists its commands on --help and refuses an unknown command with exit 2', async () => {
    const help = await run('--help');
    expect(help.exitCode).toBe(0);
    for (const command of ['start', 'status', 'approve', 'reject', 'rehearse']) expect(help.stdout).toContain(`  ${command} `);
    const unknown = await run('deploy');
    expect(unknown).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('Unknown command "deploy"') });
    expect((await run('start', '--help')).stdout).toContain('Usage: dms-orchestrator start --config FILE');
  });
});

describe('rehearse', () => {
  it('without a terminal and without --auto-approve, says so at once and starts nothing', async () => {
    const result = await run('rehearse');
    expect(result).toMatchObject({ exitCode: 2, stdout: '' });
    expect(result.stderr.split('\n')[0]).toBe(
      'No terminal to approve the cutover from (standard input is not a terminal): run the rehearsal in a terminal, or add --auto-approve for an unattended run.',
    );
  });
});

describe('start', () => {
  it('starts the state machine named by the deployment config with its migration block as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date('2026-11-25T02:00:00Z') });
    const result = await run('start', '--config', file('deployment.json', deployment), '--name', 'night-run', '--json');
    expect(result.exitCode).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name: 'night-run', input: JSON.stringify(deployment.migration) });
    expect(JSON.parse(result.stdout)).toEqual({ executionArn: EXECUTION_ARN, startDate: '2026-11-25T02:00:00.000Z', migrationName: 'Orders to Aurora', stateMachineArn: STATE_MACHINE_ARN });
  });

  it('lists every invalid field and starts nothing', async () => {
    const result = await run('start', '--config', file('bad.json', { ...migrationInput(), startPolicy: 'sometimes', target: { type: 'aurora', identifier: 'x' } }), '--state-machine-arn', STATE_MACHINE_ARN);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('nothing was started');
    expect(result.stderr).toContain('target.type: expected one of: aurora-cluster, rds-instance');
    expect(result.stderr).toContain('startPolicy: expected one of: auto, resume, reload');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses a deployment whose stack creates the DMS resources: its input lacks the ARNs the stack made', async () => {
    const result = await run('start', '--config', file('create.json', { ...deployment, dms: { mode: 'create' } }));
    expect(result).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('lets the stack create the DMS resources') });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('needs a state machine ARN for a bare execution input, and says so with the usage', async () => {
    const result = await run('start', '--config', file('input.json', migrationInput()));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('is a bare execution input: pass --state-machine-arn');
    expect((await run('start')).stderr).toContain('--config FILE is required');
    expect((await run('start', '--config', file('broken.json', '{ nope'))).stderr).toContain('Cannot read');
  });

  it('reports the AWS error by name when the state machine does not exist', async () => {
    sfn.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${STATE_MACHINE_ARN}'`, $metadata: {} }));
    const result = await run('start', '--config', file('deployment.json', deployment));
    expect(result).toMatchObject({ exitCode: 1, stderr: `Error: StateMachineDoesNotExist: State Machine Does Not Exist: '${STATE_MACHINE_ARN}'\n` });
  });
});

describe('status', () => {
  const runningExecution = {
    executionArn: EXECUTION_ARN,
    stateMachineArn: STATE_MACHINE_ARN,
    status: 'RUNNING' as const,
    startDate: new Date('2026-11-25T02:00:00Z'),
    input: JSON.stringify(migrationInput()),
  };
  const fakeMigration = (execution: Record<string, unknown> = runningExecution) => {
    sfn.on(DescribeExecutionCommand).resolves(execution);
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 12, type: 'TaskScheduled', timestamp: new Date() },
        { id: 11, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'Wait for full load' } },
      ],
    });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask()] });
    dms.on(DescribeTableStatisticsCommand).resolves({
      TableStatistics: [tableStatistics({ TableName: 'orders' }), tableStatistics({ TableName: 'customers', ValidationState: 'Pending records' })],
    });
  };

  it('shows the current step and the full load and validation as progress bars', async () => {
    fakeMigration();
    const result = await run('status', EXECUTION_ARN, '--once');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Status: RUNNING, at "Wait for full load" (started 2026-11-25 02:00:00 UTC)');
    expect(result.stdout).toContain(`Full load   [##########..............]  40%  2 loaded, 2 loading, 1 queued, 0 errored of 2 tables`);
    expect(result.stdout).toContain('Validation  [############............]  50%  1 of 2 tables validated, 0 failed (pending)');
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationTasksCommand, { Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }] });
  });

  it('prints JSON for scripts, and finds the latest execution of the deployed state machine', async () => {
    fakeMigration();
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: 'night-run', status: 'RUNNING', startDate: new Date() }] });
    const result = await run('status', '--config', file('deployment.json', deployment), '--once', '--json');
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, maxResults: 1 });
    expect(JSON.parse(result.stdout)).toMatchObject({
      executionArn: EXECUTION_ARN,
      status: 'RUNNING',
      currentStep: 'Wait for full load',
      task: { fullLoadProgressPercent: 40, phase: 'full-load', tableCount: 2 },
      validation: { outcome: 'pending', counts: { validated: 1, pending: 1 } },
    });
  });

  it('refreshes until the execution ends, and exits 1 for a failed one with its error', async () => {
    fakeMigration();
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(runningExecution)
      .resolves({ ...runningExecution, status: 'FAILED', stopDate: new Date(), error: 'TablesErrored', cause: 'Full load failed for orders.orders' });
    const terminal = context();
    const exitCode = await statusCommand([EXECUTION_ARN, '--interval', '1'], terminal, async () => undefined);
    expect(exitCode).toBe(1);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 2);
    expect(terminal.output.stdout).toContain('Error: TablesErrored: Full load failed for orders.orders');
  });

  it('says when there is no execution yet, and refuses a malformed ARN', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    expect(await run('status', '--state-machine-arn', STATE_MACHINE_ARN)).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('No executions of') });
    expect(await run('status', 'night-run')).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('is not an execution ARN') });
    expect(await run('status')).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('Give an execution ARN') });
  });
});

describe('approve and reject', () => {
  // The token table as DynamoDB behaves for the approval core; the CLI decides through that core.
  const approve = (...args: string[]) => run('approve', ...args, '--token-table', TABLE_NAME, '--region', 'eu-west-1');
  const reject = (...args: string[]) => run('reject', ...args, '--token-table', TABLE_NAME, '--region', 'eu-west-1');
  let table: FakeTokenTable;
  beforeEach(() => {
    dynamoDb.restore();
    table = new FakeTokenTable();
  });
  afterEach(() => table.restore());

  it('approves from the review link: the record is claimed, then the workflow gets the decision', async () => {
    storeApproval(table, pendingApproval({ expiresAt: '2099-01-01T00:00:00.000Z' }));
    const result = await approve(`https://approvals.example.com/review?id=${APPROVAL_ID}&expires=4070908800&signature=s`, '--by', 'dba@example.com');
    expect(result).toMatchObject({ exitCode: 0, stdout: 'Cutover of "Orders to Aurora" approved by dba@example.com.\n' });
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'approved', decidedBy: 'dba@example.com' });
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input;
    expect(sent.taskToken).toBe(TASK_TOKEN);
    expect(JSON.parse(sent.output ?? '')).toMatchObject({ decision: 'approved', decidedBy: 'dba@example.com' });
  });

  it('rejects with the reason in the ApprovalRejected cause, and prints JSON without the task token', async () => {
    storeApproval(table, pendingApproval({ expiresAt: '2099-01-01T00:00:00.000Z' }));
    const result = await reject(APPROVAL_ID, '--by', 'dba', '--reason', 'Not before the Friday window', '--json');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ approvalId: APPROVAL_ID, outcome: 'decided', record: { status: 'rejected', decidedBy: 'dba', reason: 'Not before the Friday window' } });
    expect(result.stdout).not.toContain(TASK_TOKEN);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TASK_TOKEN, error: 'ApprovalRejected', cause: expect.stringMatching(/^Rejected by dba \(with AWS credentials, at the terminal\) at .+ UTC. Their reason:\n  > Not before the Friday window$/) });
  });

  it('changes nothing for an approval already decided, expired or unknown, and exits 1 saying so', async () => {
    storeApproval(table, pendingApproval({ status: 'approved', decidedBy: 'oncall', decidedAt: '2026-11-24T13:00:00.000Z', expiresAt: '2099-01-01T00:00:00.000Z' }));
    expect(await approve(APPROVAL_ID)).toMatchObject({ exitCode: 1, stderr: `Nothing changed: approval ${APPROVAL_ID} was already approved by oncall at 2026-11-24 13:00:00 UTC.\n` });
    storeApproval(table, pendingApproval({ expiresAt: '2020-01-01T00:00:00.000Z' }));
    expect((await approve(APPROVAL_ID)).stderr).toContain('expired at 2020-01-01 00:00:00 UTC');
    expect((await approve('no-such-approval')).stderr).toContain('No approval request no-such-approval');
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('where two approvals are needed, counts as one under --by, needs no code, and names the same approver twice once', async () => {
    storeApproval(table, pendingApproval({ approvers: ['ana@example.com', 'ben@example.com'], approvalsRequired: 2, expiresAt: '2099-01-01T00:00:00.000Z' }));
    expect(await approve(APPROVAL_ID, '--by', 'ops-oncall')).toMatchObject({
      exitCode: 0,
      stdout: 'Approval of "Orders to Aurora" by ops-oncall recorded: one more approver must approve (a reject by either rejects).\n',
    });
    expect(await approve(APPROVAL_ID, '--by', 'OPS-oncall')).toMatchObject({
      exitCode: 1,
      stderr: `Nothing changed: ops-oncall approved ${APPROVAL_ID} already; the second approval must come from another approver.\n`,
    });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(await approve(APPROVAL_ID, '--by', 'ben@example.com')).toMatchObject({ exitCode: 0, stdout: 'Cutover of "Orders to Aurora" approved by ben@example.com.\n' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output ?? '')).toMatchObject({
      verifiedBy: 'aws-credentials',
      approvals: [{ by: 'ops-oncall', verifiedBy: 'aws-credentials' }, { by: 'ben@example.com', verifiedBy: 'aws-credentials' }],
    });
  });

  it('needs the token table and a region, and a link with an id', async () => {
    expect((await run('approve', APPROVAL_ID)).stderr).toContain('--token-table NAME is required');
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      expect((await run('approve', APPROVAL_ID, '--token-table', TABLE_NAME)).stderr).toContain('--region is required (or set AWS_REGION)');
    } finally {
      process.env.AWS_REGION = region;
    }
    expect((await approve('https://approvals.example.com/review?expires=1')).stderr).toContain('carries no approval id');
  });
});
