import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DatabaseMigrationServiceClient, DescribeReplicationsCommand, DescribeReplicationTasksCommand } from '@aws-sdk/client-database-migration-service';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { main } from '../../../cli/main';
import { REPLICATION_CONFIG_ARN, migrationInput, replicationTask, serverlessMigrationInput, serverlessReplication } from '../../support/migration';

const sfn = mockClient(SFNClient);
const dms = mockClient(DatabaseMigrationServiceClient);
const directory = mkdtempSync(path.join(tmpdir(), 'wave-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
beforeEach(() => {
  sfn.reset();
  dms.reset();
});

const WAVE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ShopWave-wave';
const WAVE_EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:ShopWave-wave:friday';
const machine = (stack: string) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${stack}-migration`;
const WAVE = {
  waveName: 'Friday wave',
  migrations: ['Orders', 'Billing'].map((name) => ({ stateMachineArn: machine(name), input: migrationInput({ migrationName: name }) })),
};

async function run(...argv: string[]) {
  const output = { stdout: '', stderr: '' };
  const exitCode = await main(argv, { stdout: { write: (text: string) => (output.stdout += text) }, stderr: { write: (text: string) => (output.stderr += text) }, interactive: false, canPrompt: false });
  return { exitCode, ...output };
}

describe('waves at the terminal', () => {
  it('checks every migration of a wave before starting it, and starts nothing when one is invalid', async () => {
    const file = path.join(directory, 'bad-wave.json');
    writeFileSync(file, JSON.stringify({ ...WAVE, migrations: [WAVE.migrations[0], { ...WAVE.migrations[1], input: { ...WAVE.migrations[1].input, startPolicy: 'sometimes' } }] }));
    const result = await run('start', '--wave', file, '--state-machine-arn', WAVE_MACHINE);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('migrations.1.input.startPolicy');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts a wave on the wave stack’s state machine', async () => {
    const file = path.join(directory, 'wave.json');
    writeFileSync(file, JSON.stringify(WAVE));
    sfn.on(StartExecutionCommand).resolves({ executionArn: WAVE_EXECUTION, startDate: new Date() });
    const result = await run('start', '--wave', file, '--state-machine-arn', WAVE_MACHINE, '--name', 'friday');
    expect(result.exitCode).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: WAVE_MACHINE, name: 'friday', input: JSON.stringify(WAVE) });
    expect(result.stdout).toContain('Started wave "Friday wave" (2 migrations)');
  });

  it('shows a wave as a table, one row per migration, reading every task in one DMS call', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: WAVE_EXECUTION }).resolves({ executionArn: WAVE_EXECUTION, status: 'RUNNING', input: JSON.stringify(WAVE), startDate: new Date() });
    sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      if (input.executionArn.endsWith(':friday-1-orders-cutover')) return { executionArn: input.executionArn, status: 'SUCCEEDED', output: '{}' };
      if (input.executionArn.endsWith(':friday-2-billing-prepare')) return { executionArn: input.executionArn, status: 'SUCCEEDED', output: JSON.stringify({ validation: { outcome: 'validated' } }) };
      if (input.executionArn === WAVE_EXECUTION) return { executionArn: WAVE_EXECUTION, status: 'RUNNING', input: JSON.stringify(WAVE), startDate: new Date() };
      throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: {} });
    });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask()] });
    const result = await run('status', WAVE_EXECUTION, '--once');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Wave "Friday wave": RUNNING');
    expect(result.stdout).toMatch(/Orders\s+cutover succeeded\s+\[#+\.*\]\s+40%\s+-\s+cut over/);
    expect(result.stdout).toMatch(/Billing\s+prepare succeeded\s+\[#+\.*\]\s+40%\s+validated\s+ready for cutover/);
    expect(dms).toHaveReceivedCommandTimes(DescribeReplicationTasksCommand, 1);
  });

  it('reads a wave on both engines with one call per engine: its tasks, then its DMS Serverless replications', async () => {
    const mixed = { ...WAVE, migrations: [WAVE.migrations[0], { stateMachineArn: machine('Billing'), input: serverlessMigrationInput({ migrationName: 'Billing' }) }] };
    sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      if (input.executionArn === WAVE_EXECUTION) return { executionArn: WAVE_EXECUTION, status: 'RUNNING', input: JSON.stringify(mixed), startDate: new Date() };
      if (input.executionArn.endsWith('-prepare')) return { executionArn: input.executionArn, status: 'RUNNING' };
      throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: {} });
    });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask()] });
    const loaded = serverlessReplication({ ReplicationStats: { FullLoadProgressPercent: 70, TablesLoaded: 3, TablesLoading: 1, TablesQueued: 0, TablesErrored: 0 } });
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [loaded] });
    const result = await run('status', WAVE_EXECUTION, '--once');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Orders\s+prepare running\s+\[#+\.*\]\s+40%/);
    expect(result.stdout).toMatch(/Billing\s+prepare running\s+\[#+\.*\]\s+70%/);
    expect(dms).toHaveReceivedCommandTimes(DescribeReplicationTasksCommand, 1);
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationsCommand, { Filters: [{ Name: 'replication-config-arn', Values: [REPLICATION_CONFIG_ARN] }] });
    expect(dms).toHaveReceivedCommandTimes(DescribeReplicationsCommand, 1);
  });
});
