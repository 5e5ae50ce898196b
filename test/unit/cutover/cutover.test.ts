import { DatabaseMigrationServiceClient, DescribeReplicationTasksCommand } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { completeStep, cutoverRun, freezeStep, frozenSideOf, startReverseStep, switchStep, unfreezeStep } from '../../../functions/cutover/cutover';
import type { MigrationConfig } from '../../../functions/shared/migration-input';
import { cutoverClients } from '../../support/cutover-clients';
import { DATABASE_ACCESS as DATABASE, WAY_BACK as REVERSE, migrationConfig, replicationTask } from '../../support/migration';
import { setFunctionEnvironment } from '../../support/function-environment';

const settings = { tokenTableName: 'orders-migration-tokens' };
const dms = mockClient(DatabaseMigrationServiceClient);
const dynamoDb = mockClient(DynamoDBClient);
// Answers nothing: a step that reached for a secret here would fail the test instead of calling AWS.
const secretsManager = mockClient(SecretsManagerClient);
const clients = cutoverClients();
const run = (config: MigrationConfig) => cutoverRun(clients, config);
const record = (fields: Record<string, unknown>) => ({ Item: marshall({ pk: 'cutover#orders-to-aurora', migrationName: 'Orders to Aurora', switchedAt: '2026-11-24T23:00:00.000Z', endpoint: 'x:3306', ...fields }) });
const notFrozen = { side: 'source' as const, frozen: false, skipped: 'not run' };

beforeEach(() => {
  dms.reset();
  dynamoDb.reset();
});
afterAll(() => {
  dms.restore();
  dynamoDb.restore();
  secretsManager.restore();
});

describe('cutover steps: the refusals that keep data safe', () => {
  it('freezes nothing and proves nothing without database access, and says so', async () => {
    await expect(freezeStep(run(migrationConfig()))).resolves.toEqual({ side: 'source', frozen: false, skipped: 'no database access in the input: the switch relies on CDC latency alone' });
    await expect(unfreezeStep(run(migrationConfig()), settings, undefined, frozenSideOf(notFrozen, undefined))).resolves.toEqual({});
  });

  it('skips the freeze for a full-load task and when the application is stopped another way', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ MigrationType: 'full-load' })] });
    await expect(freezeStep(run(migrationConfig({ database: DATABASE })))).resolves.toMatchObject({ frozen: false, skipped: expect.stringContaining('full-load task') });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask()] });
    await expect(freezeStep(run(migrationConfig({ database: DATABASE, cutover: { writeFreeze: { enabled: false } } })))).resolves.toMatchObject({
      frozen: false,
      skipped: 'writeFreeze.enabled is false: the application was stopped another way',
    });
  });

  it('never gives the frozen side its writes back once the endpoint parameter names the side applications move to', async () => {
    const ssm = mockClient(SSMClient);
    try {
      const target = { writerEndpoint: 'orders-aurora.cluster-c1.eu-west-1.rds.amazonaws.com', port: 3306 };
      const config = migrationConfig({ database: DATABASE });
      ssm.on(GetParameterCommand).resolves({ Parameter: { Name: config.cutover.endpointParameterName, Value: `${target.writerEndpoint}:${target.port}` } });
      const frozen = frozenSideOf({ side: 'source', frozen: true, freeze: { previous: { readOnly: 'OFF' }, requestedAt: '2026-11-24T23:00:00.000Z', frozenAt: '2026-11-24T23:00:00.000Z', sessionsHoldingWrites: [], superReadOnlyAvailable: false } }, undefined);
      await expect(unfreezeStep(run(config), settings, target, frozen)).rejects.toMatchObject({
        name: 'SwitchIncomplete',
        message: `The endpoint parameter ${config.cutover.endpointParameterName} already names ${target.writerEndpoint}:3306, the target: the switch published it before it failed, so applications move to the target and the source keeps its writes frozen.`,
      });
      // No secret was read: nothing was about to connect to the source.
      expect(secretsManager).not.toHaveReceivedAnyCommand();
    } finally {
      ssm.restore();
    }
  });

  it('gives back what the gate read when the freeze itself failed, and nothing when the gate saw no freeze coming', () => {
    expect(frozenSideOf(undefined, { beforeFreeze: { side: 'target', settings: { readOnly: 'OFF', superReadOnly: 'OFF' } } })).toEqual({ side: 'target', previous: { readOnly: 'OFF', superReadOnly: 'OFF' } });
    expect(frozenSideOf(undefined, {})).toBeUndefined();
    expect(frozenSideOf(notFrozen, { beforeFreeze: { side: 'source', settings: { readOnly: 'OFF' } } })).toBeUndefined();
  });

  it('will not switch to the target without its endpoint', async () => {
    await expect(switchStep(run(migrationConfig()), settings, undefined, notFrozen)).rejects.toMatchObject({ name: 'InvalidInput' });
  });

  it('records the cutover before publishing the endpoint, so a failed publication still leaves the record a rollback needs', async () => {
    const ssm = mockClient(SSMClient);
    try {
      dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped' })] });
      dynamoDb.on(PutItemCommand).resolves({});
      ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
      ssm.on(PutParameterCommand).rejects(Object.assign(new Error('connect timed out'), { name: 'AwsServiceUnreachable' }));
      const config = migrationConfig({ cutover: { snapshotBeforeCutover: false } });
      const target = { writerEndpoint: 'orders-aurora.cluster-c1.eu-west-1.rds.amazonaws.com', port: 3306 };
      await expect(switchStep(run(config), settings, target, notFrozen)).rejects.toMatchObject({ name: 'AwsServiceUnreachable' });
      expect(dynamoDb).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: settings.tokenTableName,
        Item: expect.objectContaining({ pk: { S: 'cutover#orders-to-aurora' }, endpoint: { S: 'orders-aurora.cluster-c1.eu-west-1.rds.amazonaws.com:3306' } }),
      });
    } finally {
      ssm.restore();
    }
  });

  it('will not roll back without a reverse task, nor without a cutover on record', async () => {
    dms.on(DescribeReplicationTasksCommand).rejects(Object.assign(new Error('No replication tasks found'), { name: 'ResourceNotFoundFault' }));
    const rollback = migrationConfig({ database: DATABASE, rollback: REVERSE, mode: 'rollback' });
    dynamoDb.on(GetItemCommand).resolves({});
    await expect(switchStep(run(rollback), settings, undefined, notFrozen)).rejects.toMatchObject({ name: 'NothingToRollBack', message: expect.stringContaining('No cutover of Orders to Aurora is on record') });
    dynamoDb.on(GetItemCommand).resolves(record({}));
    await expect(switchStep(run(rollback), settings, undefined, notFrozen)).rejects.toMatchObject({ name: 'NothingToRollBack', message: expect.stringContaining('There is no reverse task') });
  });

  it('will not start the way back without a reverse task or a binlog position', async () => {
    const config = migrationConfig({ database: DATABASE, rollback: REVERSE });
    const switched = { startedAt: '', completedAt: '', endpointParameterName: '/p', endpoint: 'x:1', taskStatus: 'stopped', alreadySwitched: false };
    dms.on(DescribeReplicationTasksCommand).rejects(Object.assign(new Error('No replication tasks found'), { name: 'ResourceNotFoundFault' }));
    await expect(startReverseStep(run(config), switched, notFrozen)).rejects.toMatchObject({ name: 'NothingToRollBack', message: expect.stringContaining('disappeared') });
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ ReplicationTaskArn: 'arn:aws:dms:eu-west-1:123456789012:task:REVERSE' })] });
    await expect(startReverseStep(run(config), switched, notFrozen)).rejects.toMatchObject({ name: 'NothingToRollBack', message: expect.stringContaining('no binlog position') });
  });

  it('will not complete a cutover that was rolled back; checking the soak changes nothing', async () => {
    const config = migrationConfig({ database: DATABASE, rollback: { ...REVERSE, soakMinutes: 0 }, mode: 'complete' });
    dynamoDb.on(GetItemCommand).resolves(record({ rolledBackAt: '2026-11-25T01:00:00.000Z' }));
    await expect(completeStep(run(config), settings)).rejects.toMatchObject({ name: 'NothingToRollBack', message: expect.stringContaining('was rolled back at 2026-11-25 01:00:00 UTC') });
    dynamoDb.on(GetItemCommand).resolves(record({}));
    await expect(completeStep(run(config), settings, true)).resolves.toEqual({ soakEndedAt: '2026-11-24T23:00:00.000Z', removed: false, taskStatus: 'not changed yet' });
    expect(dms).not.toHaveReceivedAnyCommand();
  });

  it('a dry run proves nothing, switches nothing and removes nothing: it says what it would do', async () => {
    const config = migrationConfig({ database: DATABASE, rollback: { ...REVERSE, soakMinutes: 0 }, cutover: { dryRun: true }, mode: 'complete' });
    const { effects } = run(config);
    await expect(effects.proveCatchUp(notFrozen, 'run-1')).resolves.toEqual({
      skipped: 'dry run: a marker would be written into orders.dms_orchestrator_heartbeat and awaited for up to 300 s',
    });
    await expect(effects.switchOver({ stopTaskArn: 'arn:task', endpoint: 'orders.cluster-x:3306', snapshot: true }, () => new Date())).rejects.toMatchObject({
      name: 'CutoverPreconditionFailed',
      message: expect.stringContaining('the endpoint would move to orders.cluster-x:3306, but a dry run switches nothing'),
    });
    dynamoDb.on(GetItemCommand).resolves(record({}));
    await expect(completeStep(run(config), settings, false, () => new Date('2026-11-26T00:00:00.000Z'))).resolves.toEqual({
      soakEndedAt: '2026-11-24T23:00:00.000Z',
      removed: false,
      taskStatus: 'not changed yet',
    });
    expect(dms).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedAnyCommand();
  });

  it('handler refuses an unknown step', async () => {
    setFunctionEnvironment({ TOKEN_TABLE_NAME: settings.tokenTableName });
    const { handler } = await import('../../../functions/cutover/handler');
    await expect(handler({ step: 'switch-everything', config: migrationConfig() })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('step') });
  });
});
