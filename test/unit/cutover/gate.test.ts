import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateReplicationTaskCommand,
  DatabaseMigrationServiceClient,
  DeleteReplicationTaskCommand,
  DescribeConnectionsCommand,
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { migrationInputSchema, type MigrationConfig } from '../../../functions/shared/migration-input';
import { summarizeValidation } from '../../../functions/shared/validation-summary';
import { checkGate, gateBlockers, tableMappingsSelect, type GateFacts } from '../../../functions/cutover/gate';
import { cutoverEffects } from '../../../functions/cutover/effects';
import { removeReversePath, reverseTableMappings, reverseTaskIdentifier, startReverseReplication } from '../../../functions/cutover/reverse-replication';
import { DATABASE_ACCESS as DATABASE, REPLICATION_INSTANCE_ARN, TASK_ARN, WAY_BACK as REVERSE, migrationConfig, replicationTask, serverlessMigrationInput, tableStatistics } from '../../support/migration';

const REVERSE_TASK_ARN = 'arn:aws:dms:eu-west-1:123456789012:task:ORDERSREVERSETASK';
const selection = (schema: string, table: string, action = 'include') => ({ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': schema, 'table-name': table }, 'rule-action': action });
const mappings = (...rules: object[]) => JSON.stringify({ rules });

describe('tableMappingsSelect', () => {
  it.each<[string, string | undefined, boolean]>([
    ['a schema-wide include', mappings(selection('orders', '%')), true],
    ['an exact include', mappings(selection('orders', 'dms_orchestrator_heartbeat')), true],
    ['a prefix wildcard', mappings(selection('ord%', 'dms_%')), true],
    ['an include of other tables only', mappings(selection('orders', 'customers')), false],
    ['another schema', mappings(selection('billing', '%')), false],
    ['an include with the heartbeat excluded', mappings(selection('orders', '%'), selection('orders', 'dms_orchestrator%', 'exclude')), false],
    ['transformation rules only', mappings({ 'rule-type': 'transformation', 'rule-action': 'rename' }), false],
    ['no mappings', undefined, false],
    ['a dot that is not a wildcard', mappings(selection('orders', 'dms.orchestrator_heartbeat')), false],
  ])('%s -> %s', (_, tableMappings, selected) => {
    expect(tableMappingsSelect(tableMappings, 'orders', 'dms_orchestrator_heartbeat')).toBe(selected);
  });
});

const SOURCE_SERVER = { serverId: '1', hostname: 'db-a', port: 3306, version: '10.11.6-MariaDB' };
const TARGET_SERVER = { serverUuid: '5e1c7a52-0000-11ef-8000-0a1b2c3d4e5f', serverId: '1', hostname: 'ip-10-0-1-12', port: 3306, version: '8.0.39' };

describe('gateBlockers', () => {
  const facts: GateFacts = {
    direction: 'to-target',
    taskStatus: 'running',
    migrationType: 'full-load-and-cdc',
    fullLoadFinished: true,
    latencySeconds: { source: [1], target: [1] },
    erroredTables: [],
    incompleteTables: [],
    validation: summarizeValidation([tableStatistics()]),
    suspendedTables: [],
    heartbeatInMappings: true,
    database: {
      heartbeatOnSource: true,
      heartbeatOnTarget: true,
      targetBinlogEnabled: true,
      frozenSideSettings: { readOnly: 'OFF' },
      servers: { source: SOURCE_SERVER, target: TARGET_SERVER, sameServer: false },
      endpoints: [
        { role: 'source', side: 'source', endpointIdentifier: 'orders-source', verdict: 'same', seen: 'connects to db-a.internal:3306, the source secret\'s server' },
        { role: 'target', side: 'target', endpointIdentifier: 'orders-target', verdict: 'unknown', seen: 'reads its connection from the secret dms/target, which these checks do not read' },
      ],
    },
    writeFreeze: true,
  };
  const config = migrationConfig({ database: DATABASE, rollback: REVERSE });
  const readyPath = { engine: 'task' as const, taskArn: REVERSE_TASK_ARN, taskStatus: 'ready', ready: true, connections: { status: 'successful' as const, endpoints: [] } };

  it('passes a migration whose every check holds', () => {
    expect(gateBlockers({ ...facts, reversePath: readyPath }, config)).toEqual([]);
  });

  it.each<[string, Partial<GateFacts>, string]>([
    ['suspended tables', { suspendedTables: ['orders.customers'] }, 'tables suspended or cancelled: orders.customers'],
    ['independent validation not a match', { independentValidation: { outcome: 'mismatched' } }, 'independent validation is "mismatched", not a match'],
    ['no heartbeat table on the source', { database: { ...facts.database!, heartbeatOnSource: false } }, 'does not exist on the source'],
    ['no heartbeat table on the target', { database: { ...facts.database!, heartbeatOnTarget: false } }, 'does not exist on the target: it must be replicated by the task'],
    ['a heartbeat table the task does not select', { heartbeatInMappings: false }, "the task's table mappings do not select orders.dms_orchestrator_heartbeat"],
    [
      'sessions that reach one server',
      { database: { ...facts.database!, servers: { source: SOURCE_SERVER, target: SOURCE_SERVER, sameServer: true } } },
      'the source and target sessions reach one server (db-a:3306, server_id 1): the target secret points at the source',
    ],
    [
      'a target endpoint that writes to another server than the target secret names',
      { database: { ...facts.database!, endpoints: [{ role: 'target', side: 'target', endpointIdentifier: 'orders-target', verdict: 'different', seen: 'connects to db-a.internal:3306, but the target secret names db-b.internal:3306' }] } },
      'the DMS target endpoint orders-target connects to db-a.internal:3306, but the target secret names db-b.internal:3306: DMS would write another server than the checks read',
    ],
    ['a target without binlog when rollback is on', { database: { ...facts.database!, targetBinlogEnabled: false } }, 'the target has no binary log'],
    ['a reverse task not created yet', { reversePath: { ...readyPath, taskArn: undefined, taskStatus: 'not created', ready: false } }, 'the reverse task does not exist yet'],
    ['a reverse task already running', { reversePath: { ...readyPath, taskStatus: 'running', ready: false } }, 'the reverse task is "running", not ready to start'],
    ['reverse endpoints not tested', { reversePath: { ...readyPath, connections: { status: 'testing', endpoints: [] }, ready: false } }, 'the reverse endpoints have not passed their connection tests'],
  ])('refuses %s', (_, change, reason) => {
    expect(gateBlockers({ ...facts, reversePath: readyPath, ...change }, config)).toEqual([expect.stringContaining(reason)]);
  });

  it('names the way back and the replicating resource as DMS does on DMS Serverless: a replication config', () => {
    const serverless = migrationInputSchema.parse(serverlessMigrationInput({ database: DATABASE, rollback: REVERSE }));
    const serverlessPath = { ...readyPath, engine: 'serverless' as const, taskArn: 'arn:aws:dms:eu-west-1:123456789012:replication-config:ORDERSREVERSECONFIG' };
    const blockersOf = (change: Partial<GateFacts>) => gateBlockers({ ...facts, reversePath: serverlessPath, ...change }, serverless);
    expect(blockersOf({ reversePath: { ...serverlessPath, taskArn: undefined, taskStatus: 'not created', ready: false } })).toEqual(['the reverse replication config does not exist yet']);
    expect(blockersOf({ reversePath: { ...serverlessPath, taskStatus: 'provisioning_capacity', ready: false } })).toEqual(['the reverse replication config is "provisioning_capacity", not ready to start']);
    expect(blockersOf({ heartbeatInMappings: false })).toEqual(["the replication config's table mappings do not select orders.dms_orchestrator_heartbeat: the catch-up marker could never arrive"]);
    expect(blockersOf({ database: { ...facts.database!, heartbeatOnTarget: false } })).toEqual([expect.stringContaining('it must be replicated by the replication config')]);
  });

  it('lets a matching independent comparison through, and ignores the target binlog without rollback', () => {
    const noRollback = migrationConfig({ database: DATABASE });
    expect(gateBlockers({ ...facts, independentValidation: { outcome: 'match' }, database: { ...facts.database!, targetBinlogEnabled: false } }, noRollback)).toEqual([]);
  });
});

describe('gate, dry run and reverse replication against DMS', () => {
  const dms = mockClient(DatabaseMigrationServiceClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const clients = { dms: new DatabaseMigrationServiceClient({}), cloudWatch: new CloudWatchClient({}) };
  // The gate and the way back reach DMS only; the other clients are there because the effects hold them all.
  const effects = (config: MigrationConfig) => cutoverEffects({ ...clients, rds: new RDSClient({}), ssm: new SSMClient({}), secretsManager: new SecretsManagerClient({}), dynamoDb: new DynamoDBClient({}) }, config);
  const gateOptions = (config: MigrationConfig) => ({ direction: 'to-target' as const, taskArn: TASK_ARN, effects: effects(config) });
  const prepareReversePath = (config: MigrationConfig, startTests: boolean) => effects(config).prepareReversePath(startTests);
  const identifier = reverseTaskIdentifier('Orders to Aurora');
  const byIdentifier = { Filters: [{ Name: 'replication-task-id', Values: [identifier] }] };
  const reverseTask = (Status: string) => replicationTask({ ReplicationTaskIdentifier: identifier, ReplicationTaskArn: REVERSE_TASK_ARN, MigrationType: 'cdc', Status });
  const connections = (Status: string) => ({
    Connections: [REVERSE.reverseSourceEndpointArn, REVERSE.reverseTargetEndpointArn].map((EndpointArn) => ({ EndpointArn, ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, EndpointIdentifier: 'reverse', Status })),
  });

  beforeEach(() => {
    dms.reset();
    cloudWatch.reset();
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'running', TableMappings: mappings(selection('orders', '%')) })] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics(), tableStatistics({ TableName: 'customers', TableState: 'Table cancelled' })] });
    dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication' }] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'source', Values: [1] }, { Id: 'target', Values: [1] }] });
  });
  afterAll(() => {
    dms.restore();
    cloudWatch.restore();
  });

  it('a dry run reports every blocker instead of refusing', async () => {
    const config = migrationConfig({ cutover: { dryRun: true } });
    await expect(checkGate(clients, config, gateOptions(config))).resolves.toMatchObject({
      passed: false,
      blockers: ['tables suspended or cancelled: orders.customers'],
      catchUp: 'CDC latency only (no database access in the input)',
    });
    await expect(checkGate(clients, migrationConfig(), gateOptions(migrationConfig()))).rejects.toMatchObject({ name: 'CutoverPreconditionFailed' });
  });

  it('creates the reverse task (CDC only, the forward mappings, tagged) and starts its endpoint tests', async () => {
    dms.on(DescribeReplicationTasksCommand, byIdentifier).rejectsOnce(Object.assign(new Error('No replication tasks found'), { name: 'ResourceNotFoundFault' })).resolves({ ReplicationTasks: [reverseTask('creating')] });
    dms.on(CreateReplicationTaskCommand).resolves({ ReplicationTask: reverseTask('creating') });
    dms.on(DescribeConnectionsCommand).resolves(connections('testing'));
    const path = await prepareReversePath(migrationConfig({ rollback: REVERSE, database: DATABASE }), true);
    expect(path).toMatchObject({ taskArn: REVERSE_TASK_ARN, taskStatus: 'creating', ready: false, connections: { status: 'testing' } });
    expect(dms).toHaveReceivedCommandWith(CreateReplicationTaskCommand, {
      ReplicationTaskIdentifier: 'dms-orch-orders-to-aurora-reverse',
      SourceEndpointArn: REVERSE.reverseSourceEndpointArn,
      TargetEndpointArn: REVERSE.reverseTargetEndpointArn,
      ReplicationInstanceArn: REPLICATION_INSTANCE_ARN,
      MigrationType: 'cdc',
      TableMappings: mappings(selection('orders', '%')),
      Tags: [{ Key: 'dms-orchestrator:migration', Value: 'Orders to Aurora' }],
    });
  });

  it('a dry run neither creates the reverse task nor tests its endpoints', async () => {
    dms.on(DescribeReplicationTasksCommand, byIdentifier).rejects(Object.assign(new Error('No replication tasks found'), { name: 'ResourceNotFoundFault' }));
    dms.on(DescribeConnectionsCommand).resolves({ Connections: [] });
    await expect(prepareReversePath(migrationConfig({ rollback: REVERSE, database: DATABASE, cutover: { dryRun: true } }), true)).resolves.toMatchObject({
      wouldCreateTask: true,
      ready: false,
      connections: { status: 'failed', problem: expect.stringContaining('has no connection test result') },
    });
    expect(dms).not.toHaveReceivedCommand(CreateReplicationTaskCommand);
  });

  it('refuses to reverse a task that renames objects, and a migration without a way back', () => {
    expect(() => reverseTableMappings(mappings(selection('orders', '%'), { 'rule-type': 'transformation', 'rule-action': 'rename' }))).toThrow(/transformation rule/);
    expect(reverseTableMappings(undefined)).toBe('{"rules":[]}');
    return expect(prepareReversePath(migrationConfig(), true)).rejects.toMatchObject({ name: 'NothingToRollBack' });
  });

  it('starts the reverse task at the CDC position, and leaves a running one alone', async () => {
    const config = migrationConfig({ rollback: REVERSE, database: DATABASE });
    dms.on(DescribeReplicationTasksCommand, { Filters: [{ Name: 'replication-task-arn', Values: [REVERSE_TASK_ARN] }] }).resolvesOnce({ ReplicationTasks: [reverseTask('ready')] }).resolves({ ReplicationTasks: [reverseTask('running')] });
    dms.on(StartReplicationTaskCommand).resolves({ ReplicationTask: reverseTask('starting') });
    await expect(startReverseReplication(new DatabaseMigrationServiceClient({}), config, REVERSE_TASK_ARN, 'mysql-bin-changelog.000024:373')).resolves.toEqual({
      taskArn: REVERSE_TASK_ARN,
      taskStatus: 'starting',
      cdcStartPosition: 'mysql-bin-changelog.000024:373',
    });
    expect(dms).toHaveReceivedCommandWith(StartReplicationTaskCommand, { ReplicationTaskArn: REVERSE_TASK_ARN, StartReplicationTaskType: 'start-replication', CdcStartPosition: 'mysql-bin-changelog.000024:373' });
    await expect(startReverseReplication(new DatabaseMigrationServiceClient({}), config, REVERSE_TASK_ARN, 'x:1')).resolves.toMatchObject({ taskStatus: 'running' });
    expect(dms).toHaveReceivedCommandTimes(StartReplicationTaskCommand, 1);
  });

  it.each<[string, string | undefined, { removed: boolean; taskStatus: string }]>([
    ['stops a running reverse task first', 'running', { removed: false, taskStatus: 'stopping' }],
    ['waits while it is stopping', 'stopping', { removed: false, taskStatus: 'stopping' }],
    ['deletes a stopped one', 'stopped', { removed: true, taskStatus: 'deleting' }],
    ['is done when DMS is already deleting it', 'deleting', { removed: true, taskStatus: 'deleting' }],
    ['is done when it no longer exists', undefined, { removed: true, taskStatus: 'not found' }],
  ])('removing the way back %s', async (_, status, outcome) => {
    if (status) dms.on(DescribeReplicationTasksCommand, byIdentifier).resolves({ ReplicationTasks: [reverseTask(status)] });
    else dms.on(DescribeReplicationTasksCommand, byIdentifier).rejects(Object.assign(new Error('No replication tasks found'), { name: 'ResourceNotFoundFault' }));
    dms.on(StopReplicationTaskCommand).resolves({ ReplicationTask: reverseTask('stopping') });
    dms.on(DeleteReplicationTaskCommand).resolves({ ReplicationTask: reverseTask('deleting') });
    await expect(removeReversePath(new DatabaseMigrationServiceClient({}), migrationConfig({ rollback: REVERSE, database: DATABASE }))).resolves.toMatchObject(outcome);
  });
});
