import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DatabaseMigrationServiceClient, DescribeReplicationTasksCommand, DescribeTableStatisticsCommand } from '@aws-sdk/client-database-migration-service';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
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
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../cli/main';
import { statusCommand } from '../../../cli/status-command';
import { TASK_ARN, migrationInput, replicationTask, tableStatistics } from '../../fixtures/migration';

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
    expect(result.stdout).toContain('Status: RUNNING, at "Wait for full load"');
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
  const pending = (overrides: Record<string, unknown> = {}) =>
    dynamoDb.on(GetItemCommand).resolves({
      Item: marshall({
        pk: 'approval#abc-123',
        taskToken: 'token-xyz',
        status: 'pending',
        expiresAt: '2099-01-01T00:00:00.000Z',
        migrationName: 'Orders to Aurora',
        executionArn: EXECUTION_ARN,
        ...overrides,
      }),
    });

  it('approves from the review link: claims the record, then hands the token back with the decision', async () => {
    pending();
    const result = await run('approve', 'https://approvals.example.com/review?id=abc-123&expires=4070908800&signature=s', '--token-table', 'tokens', '--region', 'eu-west-1', '--by', 'dba@example.com');
    expect(result).toMatchObject({ exitCode: 0, stdout: 'Cutover of "Orders to Aurora" approved by dba@example.com.\n' });
    expect(dynamoDb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'tokens',
      Key: marshall({ pk: 'approval#abc-123' }),
      ConditionExpression: '#status = :pending',
    });
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input;
    expect(sent.taskToken).toBe('token-xyz');
    expect(JSON.parse(sent.output ?? '')).toMatchObject({ decision: 'approved', decidedBy: 'dba@example.com' });
  });

  it('rejects with the reason as the ApprovalRejected cause; a rejection without a reason is refused', async () => {
    pending();
    expect(await run('reject', 'abc-123', '--token-table', 'tokens', '--region', 'eu-west-1')).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('reject needs --reason') });
    const result = await run('reject', 'abc-123', '--token-table', 'tokens', '--region', 'eu-west-1', '--by', 'dba', '--reason', 'Not before the Friday window', '--json');
    expect(JSON.parse(result.stdout)).toMatchObject({ approvalId: 'abc-123', status: 'rejected', decidedBy: 'dba' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-xyz', error: 'ApprovalRejected', cause: 'Rejected by dba: Not before the Friday window' });
  });

  it('refuses an approval that is decided, expired, unknown, or taken by someone else a moment earlier', async () => {
    const approve = () => run('approve', 'abc-123', '--token-table', 'tokens', '--region', 'eu-west-1');
    pending({ status: 'approved' });
    expect(await approve()).toMatchObject({ exitCode: 1, stderr: 'Approval abc-123 was already approved\n' });
    pending({ expiresAt: '2020-01-01T00:00:00.000Z' });
    expect((await approve()).stderr).toContain('expired at 2020-01-01T00:00:00.000Z');
    dynamoDb.on(GetItemCommand).resolves({});
    expect((await approve()).stderr).toContain('No approval request abc-123 in tokens');
    pending();
    dynamoDb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    expect((await approve()).stderr).toContain('was decided by someone else just now');
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('needs the token table and a region', async () => {
    expect((await run('approve', 'abc-123')).stderr).toContain('--token-table NAME is required');
    expect((await run('approve', 'https://approvals.example.com/review?expires=1', '--token-table', 't', '--region', 'eu-west-1')).stderr).toContain('carries no approval id');
  });
});
