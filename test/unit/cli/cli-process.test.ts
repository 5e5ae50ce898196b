import { execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { startAwsEmulator, type AwsEmulator } from '../../../local/emulator/server';
import { executeLocally } from '../../../local/workflow/execute';
import type { AslDefinition } from '../../../local/workflow/asl';
import { emulatedDms } from '../../support/emulated-task';
import { TASK_ARN } from '../../support/migration';

/**
 * The executable as a script calls it: its own process, the real logger (no test setup silencing it), AWS
 * answered by the local emulator. What a script parses from stdout must be the result and nothing else.
 */
const BIN = path.resolve(__dirname, '../../../bin/dms-orchestrator.js');
const TABLE = 'orders-tokens';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrdersMigration-migration';
/** A workflow that waits on one task until the test lets it finish. */
const WORKFLOW: AslDefinition = {
  StartAt: 'Wait for the operator',
  States: {
    'Wait for the operator': { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:operator', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};
let emulator: AwsEmulator;

beforeAll(async () => {
  emulator = await startAwsEmulator({
    dms: emulatedDms('orders'),
    target: { type: 'aurora-cluster', identifier: 'orders-aurora', host: '127.0.0.1', port: 3307, engineVersion: '8.0.mysql_aurora.3.08.0' },
    secrets: {},
    dynamoDbTables: [TABLE],
    stateMachines: [{ stateMachineArn: STATE_MACHINE_ARN, definition: WORKFLOW }],
  });
});

afterAll(() => emulator.close());

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The parent's test settings (a silenced logger) must not reach the child: it runs as an operator runs it.
  const { POWERTOOLS_LOG_LEVEL: _silenced, ...environment } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...environment, AWS_ENDPOINT_URL: emulator.url } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

async function pendingApproval(approvalId: string, taskToken: string): Promise<void> {
  const dynamoDb = new DynamoDBClient({ endpoint: emulator.url, region: 'eu-west-1' });
  await dynamoDb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({
        pk: `approval#${approvalId}`,
        taskToken,
        executionArn: '',
        migrationName: 'Orders to Aurora',
        status: 'pending',
        summary: 'Full load and validation finished.',
        requestedAt: '2026-11-24T12:00:00.000Z',
        expiresAt: '2099-01-01T00:00:00.000Z',
      }),
    }),
  );
}

describe('the dms-orchestrator executable', () => {
  it.each(['approve', 'reject'])('%s --json prints only the result on stdout', async (command) => {
    const taskToken = `${command}-token`;
    const decided = emulator.tokens.waitFor(taskToken).catch((error: Error) => error);
    await pendingApproval(command, taskToken);
    const result = await cli(command, command, '--token-table', TABLE, '--region', 'eu-west-1', '--by', 'dba@example.com', '--reason', 'CHG-1234', '--json');
    expect(result).toMatchObject({ code: 0 });
    expect(JSON.parse(result.stdout)).toMatchObject({ approvalId: command, outcome: 'decided', record: { decidedBy: 'dba@example.com', reason: 'CHG-1234' } });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    await decided;
  });

  it('names the flag the person typed, says "required", and says it once', async () => {
    const result = await cli('approve', 'some-id', '--token-table', TABLE, '--region', 'eu-west-1', '--by', ' ');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--by: required: your name or e-mail address');
    expect(result.stderr).not.toContain('decidedBy');
    expect(result.stderr).not.toContain('migration input');
    expect(result.stderr.match(/--by:/g)).toHaveLength(1);
  });

  it('refuses a name with a line break by its flag', async () => {
    const result = await cli('reject', 'some-id', '--token-table', TABLE, '--region', 'eu-west-1', '--by', 'Jane\nApproved by: the CTO');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--by: a name on one line, without control characters');
  });
});

describe('dms-orchestrator status --endpoint-url', () => {
  // The follower polls every second until the execution ends: seconds, on a loaded machine more.
  jest.setTimeout(60_000);

  it('follows an execution the emulator records, from its own process, until it succeeds', async () => {
    const executionArn = STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:') + ':followed';
    let letFinish!: () => void;
    const operatorDone = new Promise<void>((resolve) => (letFinish = resolve));
    const execution = executeLocally(WORKFLOW, { 'Wait for the operator': async () => operatorDone.then(() => ({ done: true })) }, { replicationTaskArn: TASK_ARN }, {
      executionArn,
      waitMilliseconds: 0,
      retryIntervalMilliseconds: 0,
      onEvent: emulator.executions.begin(STATE_MACHINE_ARN, executionArn, { replicationTaskArn: TASK_ARN }),
    });

    // A second terminal: no AWS_ENDPOINT_URL, only the flag; the emulator checks no signature, any credentials do.
    const { POWERTOOLS_LOG_LEVEL: _silenced, AWS_ENDPOINT_URL: _endpoint, ...environment } = process.env;
    const follower = spawn(process.execPath, [BIN, 'status', '--endpoint-url', emulator.url, '--state-machine-arn', STATE_MACHINE_ARN, '--interval', '1'], {
      env: { ...environment, AWS_ACCESS_KEY_ID: 'rehearsal', AWS_SECRET_ACCESS_KEY: 'rehearsal' },
    });
    let stdout = '';
    let stderr = '';
    follower.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    follower.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));

    while (!stdout.includes('Status: RUNNING, at "Wait for the operator"')) {
      if (follower.exitCode !== null) throw new Error(`status exited early: ${stdout}${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stdout).toContain(`Execution ${executionArn}`);
    expect(stdout).toContain('DMS task: ready');
    letFinish();
    await execution;

    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const views = stdout.split(/(?=^Execution )/m);
    expect(views.length).toBeGreaterThanOrEqual(2);
    expect(views.at(-1)).toContain('Status: SUCCEEDED, at "Done"');
  });
});
