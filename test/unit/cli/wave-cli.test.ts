import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient, DescribeReplicationInstancesCommand, DescribeReplicationsCommand, DescribeReplicationTasksCommand } from '@aws-sdk/client-database-migration-service';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { main } from '../../../cli/main';
import { REPLICATION_CONFIG_ARN, REPLICATION_INSTANCE_ARN, TASK_ARN, migrationInput, replicationTask, serverlessMigrationInput, serverlessReplication } from '../../support/migration';

const sfn = mockClient(SFNClient);
const dms = mockClient(DatabaseMigrationServiceClient);
const cloudWatch = mockClient(CloudWatchClient);
const directory = mkdtempSync(path.join(tmpdir(), 'wave-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
beforeEach(() => {
  sfn.reset();
  dms.reset();
  cloudWatch.reset();
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
    expect(result.stdout).toMatch(/Orders\s+cutover succeeded\s+\[#+\.*\]\s+40%\s+-\s+-\s+cut over/);
    expect(result.stdout).toMatch(/Billing\s+prepare succeeded\s+\[#+\.*\]\s+40%\s+validated\s+-\s+ready for cutover/);
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

  describe('CDC latency per migration', () => {
    const STOCK_TASK_ARN = 'arn:aws:dms:eu-west-1:123456789012:task:STOCKTASKABCDEFGHIJKLMNOPQ';
    const fleet = {
      ...WAVE,
      migrations: [
        WAVE.migrations[0],
        { stateMachineArn: machine('Billing'), input: serverlessMigrationInput({ migrationName: 'Billing' }) },
        { stateMachineArn: machine('Stock'), input: migrationInput({ migrationName: 'Stock', replicationTaskArn: STOCK_TASK_ARN }) },
      ],
    };
    beforeEach(() => {
      sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
        if (input.executionArn === WAVE_EXECUTION) return { executionArn: WAVE_EXECUTION, status: 'RUNNING', input: JSON.stringify(fleet), startDate: new Date() };
        if (input.executionArn.endsWith('-prepare')) return { executionArn: input.executionArn, status: 'SUCCEEDED', output: '{}' };
        throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: {} });
      });
      dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask(), replicationTask({ ReplicationTaskArn: STOCK_TASK_ARN })] });
      dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication()] });
      dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [{ ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, ReplicationInstanceIdentifier: 'orders-replication' }] });
    });

    it('shows each migration’s latest CDC latency, read for all of them in one GetMetricData under each engine’s dimensions', async () => {
      // Newest first; the second page carries older values of a query already answered, and Billing's target.
      cloudWatch
        .on(GetMetricDataCommand, { NextToken: undefined })
        .resolves({
          NextToken: 'page-2',
          MetricDataResults: [
            { Id: 'source_0', Values: [4, 9] },
            { Id: 'target_0', Values: [6] },
            { Id: 'source_1', Values: [12] },
            { Id: 'target_1', Values: [] },
            { Id: 'source_2', Values: [] },
            { Id: 'target_2', Values: [] },
          ],
        })
        .on(GetMetricDataCommand, { NextToken: 'page-2' })
        .resolves({ MetricDataResults: [{ Id: 'source_0', Values: [30] }, { Id: 'target_1', Values: [15] }] });
      const result = await run('status', WAVE_EXECUTION, '--once');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('CDC latency (s)');
      expect(result.stdout).toMatch(/Orders .*source 4, target 6\s+ready for cutover/);
      expect(result.stdout).toMatch(/Billing .*source 12, target 15\s+ready for cutover/);
      expect(result.stdout).toMatch(/Stock .*-\s+ready for cutover/);
      expect(dms).toHaveReceivedCommandTimes(DescribeReplicationInstancesCommand, 1);
      expect(dms).toHaveReceivedCommandWith(DescribeReplicationInstancesCommand, { Filters: [{ Name: 'replication-instance-arn', Values: [REPLICATION_INSTANCE_ARN] }] });
      expect(cloudWatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
      const [first] = cloudWatch.commandCalls(GetMetricDataCommand);
      const queries = first.args[0].input.MetricDataQueries as MetricDataQuery[];
      const dimensionsOf = (id: string) => queries.find((query) => query.Id === id)?.MetricStat?.Metric?.Dimensions;
      expect(queries.map((query) => `${query.Id} ${query.MetricStat?.Metric?.MetricName}`)).toEqual([
        'source_0 CDCLatencySource',
        'target_0 CDCLatencyTarget',
        'source_1 CDCLatencySource',
        'target_1 CDCLatencyTarget',
        'source_2 CDCLatencySource',
        'target_2 CDCLatencyTarget',
      ]);
      expect(dimensionsOf('source_0')).toEqual([
        { Name: 'ReplicationInstanceIdentifier', Value: 'orders-replication' },
        { Name: 'ReplicationTaskIdentifier', Value: TASK_ARN.split(':').at(-1) },
      ]);
      expect(dimensionsOf('target_1')).toEqual([{ Name: 'ReplicationConfigIdentifier', Value: REPLICATION_CONFIG_ARN.split(':').at(-1) }]);
      expect(dimensionsOf('source_2')).toEqual([
        { Name: 'ReplicationInstanceIdentifier', Value: 'orders-replication' },
        { Name: 'ReplicationTaskIdentifier', Value: STOCK_TASK_ARN.split(':').at(-1) },
      ]);
      expect(first.args[0].input).toMatchObject({ ScanBy: 'TimestampDescending' });
    });

    it('still shows the wave when CloudWatch refuses the read, and says why the latency is missing', async () => {
      cloudWatch.on(GetMetricDataCommand).rejects(Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), { name: 'AccessDenied' }));
      const result = await run('status', WAVE_EXECUTION, '--once', '--json');
      expect(result.exitCode).toBe(0);
      const status = JSON.parse(result.stdout) as { rows: Array<{ name: string; cdcLatency?: unknown }>; cdcLatencyUnavailable?: string };
      expect(status.rows.map((row) => [row.name, row.cdcLatency])).toEqual([
        ['Orders', undefined],
        ['Billing', undefined],
        ['Stock', undefined],
      ]);
      expect(status.cdcLatencyUnavailable).toBe('AccessDenied: User is not authorized to perform: cloudwatch:GetMetricData');
      const table = await run('status', WAVE_EXECUTION, '--once');
      expect(table.stdout).toContain('CDC latency not shown: CloudWatch or DMS could not be read (AccessDenied: User is not authorized to perform: cloudwatch:GetMetricData).');
    });
  });
});
