import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateReplicationConfigCommand,
  DatabaseMigrationServiceClient,
  DeleteReplicationConfigCommand,
  DescribeEndpointsCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  InvalidResourceStateFault,
  StartReplicationCommand,
  StopReplicationCommand,
} from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import { STOP_REASONS } from '../../../../functions/shared/dms';
import { checkProgress } from '../../../../functions/shared/full-load-progress';
import { engineOf, engineOfArn, hasFailed, isFullLoadComplete, replicationOf, replicationPhase } from '../../../../functions/shared/replication';
import { SERVERLESS_STATUSES } from '../../../../functions/shared/replication/vocabulary';
import { SERVERLESS_METRIC_DIMENSION, serverlessState } from '../../../../functions/shared/replication/serverless';
import { decideStartAction, startFacts } from '../../../../functions/start-task/start-task';
import { handler as startHandler } from '../../../../functions/start-task/handler';
import {
  REPLICATION_CONFIG_ARN,
  SOURCE_ENDPOINT_ARN,
  TARGET_ENDPOINT_ARN,
  TASK_ARN,
  migrationConfig,
  serverlessMigrationInput,
  serverlessReplication,
  tableStatistics,
} from '../../../support/migration';
import { migrationInputSchema } from '../../../../functions/shared/migration-input';

const dms = mockClient(DatabaseMigrationServiceClient);
const cloudWatch = mockClient(CloudWatchClient);
beforeEach(() => {
  dms.reset();
  cloudWatch.reset();
});

const config = migrationInputSchema.parse(serverlessMigrationInput());
const engine = () => replicationOf(new DatabaseMigrationServiceClient({}), config);

describe('replicationOf', () => {
  it('chooses the serverless engine from replicationConfigArn, and the task engine otherwise', () => {
    expect(engine()).toMatchObject({ engine: 'serverless', forward: { arn: REPLICATION_CONFIG_ARN, noun: 'replication' } });
    expect(replicationOf(new DatabaseMigrationServiceClient({}), migrationConfig())).toMatchObject({ engine: 'task', forward: { noun: 'task' } });
    expect([engineOf(config), engineOf(migrationConfig())]).toEqual(['serverless', 'task']);
  });

  it('tells the engine from a DMS ARN\'s resource type, for messages that carry only the ARN', () => {
    expect(engineOfArn(REPLICATION_CONFIG_ARN)).toBe('serverless');
    expect(engineOfArn(TASK_ARN)).toBe('task');
    expect(engineOfArn(SOURCE_ENDPOINT_ARN)).toBeUndefined();
    expect(engineOfArn('not an ARN')).toBeUndefined();
  });
});

describe('serverlessState', () => {
  it('reads DescribeReplications into the engines’ common shape, with the provisioning as DMS reports it', () => {
    expect(serverlessState(serverlessReplication({ Status: 'provisioning_capacity', FailureMessages: ['a', 'b'] }))).toMatchObject({
      engine: 'serverless',
      arn: REPLICATION_CONFIG_ARN,
      identifier: 'orders-serverless',
      status: 'provisioning_capacity',
      meaning: { start: 'in-progress', phase: 'starting' },
      migrationType: 'full-load-and-cdc',
      failureMessage: 'a b',
      neverRun: false,
      provisioning: { state: 'provisioned', capacityUnits: 4 },
    });
  });

  it('calls a created config never run, and one with no start date or stop time never run', () => {
    expect(serverlessState(serverlessReplication({ Status: 'created' })).neverRun).toBe(true);
    expect(serverlessState(serverlessReplication({ Status: 'ready', ReplicationStats: {} })).neverRun).toBe(true);
    expect(serverlessState(serverlessReplication({ Status: 'ready', ReplicationStats: {}, ReplicationLastStopTime: new Date() })).neverRun).toBe(false);
  });
});

describe('serverless replication verbs', () => {
  it('describes by replication-config-arn and reports a missing one as ResourceNotFound', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [] });
    await expect(engine().forward.describe()).rejects.toMatchObject({ name: 'ResourceNotFound' });
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationsCommand, { Filters: [{ Name: 'replication-config-arn', Values: [REPLICATION_CONFIG_ARN] }] });
  });

  it('starts with the decided start type and a CDC start position when given', async () => {
    dms.on(StartReplicationCommand).resolves({ Replication: serverlessReplication({ Status: 'initializing' }) });
    await expect(engine().forward.start('start-replication', 'mysql-bin-changelog.000024:373')).resolves.toBe('initializing');
    expect(dms).toHaveReceivedCommandWith(StartReplicationCommand, {
      ReplicationConfigArn: REPLICATION_CONFIG_ARN,
      StartReplicationType: 'start-replication',
      CdcStartPosition: 'mysql-bin-changelog.000024:373',
    });
  });

  it('stops, and takes a replication already stopping as stopped enough', async () => {
    dms.on(StopReplicationCommand).rejects(new InvalidResourceStateFault({ message: 'not running', $metadata: {} }));
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ Status: 'stopping' })] });
    await expect(engine().forward.stop()).resolves.toBe('stopping');
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ Status: 'provisioning_capacity' })] });
    await expect(engine().forward.stop()).rejects.toMatchObject({ name: 'TaskInUnexpectedState', message: expect.stringContaining('provisioning_capacity') });
  });

  it('reads every page of DescribeReplicationTableStatistics', async () => {
    dms
      .on(DescribeReplicationTableStatisticsCommand)
      .resolvesOnce({ ReplicationTableStatistics: [tableStatistics({ TableName: 'a' })], Marker: 'next' })
      .resolves({ ReplicationTableStatistics: [tableStatistics({ TableName: 'b' })] });
    await expect(engine().forward.tableStatistics()).resolves.toMatchObject([{ TableName: 'a' }, { TableName: 'b' }]);
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationTableStatisticsCommand, { ReplicationConfigArn: REPLICATION_CONFIG_ARN, Marker: 'next' });
  });

  it('queries CDC latency under the serverless dimension, named by the config ARN’s resource id', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'source', Values: [1, 2] }, { Id: 'target', Values: [3] }] });
    await expect(engine().forward.cdcLatency(new CloudWatchClient({}), 5, new Date('2026-11-30T10:00:00Z'))).resolves.toEqual({ source: [1, 2], target: [3] });
    const query = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries?.[0];
    expect(query?.MetricStat?.Metric?.Dimensions).toEqual([{ Name: SERVERLESS_METRIC_DIMENSION, Value: 'ORDERSSERVERLESSABCDEFGH' }]);
  });

  it('checks, instead of TestConnection, that the endpoints exist and are the ones the replication uses', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication()] });
    dms.on(DescribeEndpointsCommand).resolves({ Endpoints: [{ EndpointArn: SOURCE_ENDPOINT_ARN, EndpointIdentifier: 'src' }, { EndpointArn: TARGET_ENDPOINT_ARN, EndpointIdentifier: 'tgt' }] });
    await expect(engine().forward.testConnections({ sourceEndpointArn: SOURCE_ENDPOINT_ARN, targetEndpointArn: TARGET_ENDPOINT_ARN }, true)).resolves.toMatchObject({
      status: 'successful',
      connections: [{ role: 'source', endpointIdentifier: 'src' }, { role: 'target', endpointIdentifier: 'tgt' }],
    });
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ TargetEndpointArn: 'arn:aws:dms:eu-west-1:123456789012:endpoint:OTHER' })] });
    await expect(engine().forward.testConnections({ sourceEndpointArn: SOURCE_ENDPOINT_ARN, targetEndpointArn: TARGET_ENDPOINT_ARN }, true)).rejects.toMatchObject({
      name: 'ConnectionTestFailed',
      message: expect.stringContaining('not tgt named in the input'),
    });
    dms.on(DescribeEndpointsCommand).resolves({ Endpoints: [] });
    await expect(engine().forward.testConnections({ sourceEndpointArn: SOURCE_ENDPOINT_ARN, targetEndpointArn: TARGET_ENDPOINT_ARN }, true)).rejects.toMatchObject({
      message: expect.stringContaining(`The source endpoint ${SOURCE_ENDPOINT_ARN} does not exist.`),
    });
  });

  it('creates the way back as a CDC-only config with the forward config’s compute settings, and deletes it', async () => {
    const computeConfig = { ReplicationSubnetGroupId: 'dms-subnets', MaxCapacityUnits: 16, VpcSecurityGroupIds: ['sg-1'] };
    dms.on(DescribeReplicationConfigsCommand).resolves({ ReplicationConfigs: [{ ReplicationConfigArn: REPLICATION_CONFIG_ARN, ComputeConfig: computeConfig }] });
    dms.on(CreateReplicationConfigCommand).resolves({ ReplicationConfig: { ReplicationConfigArn: 'arn:aws:dms:eu-west-1:123456789012:replication-config:REVERSE' } });
    const spec = { identifier: 'dms-orch-x-reverse', sourceEndpointArn: 'rs', targetEndpointArn: 'rt', tableMappings: '{"rules":[]}', tags: [{ Key: 'k', Value: 'v' }] };
    await expect(engine().createCdcOnly(spec)).resolves.toBe('arn:aws:dms:eu-west-1:123456789012:replication-config:REVERSE');
    expect(dms).toHaveReceivedCommandWith(CreateReplicationConfigCommand, {
      ReplicationConfigIdentifier: 'dms-orch-x-reverse',
      SourceEndpointArn: 'rs',
      TargetEndpointArn: 'rt',
      ComputeConfig: computeConfig,
      ReplicationType: 'cdc',
      TableMappings: '{"rules":[]}',
      Tags: [{ Key: 'k', Value: 'v' }],
    });
    dms.on(DeleteReplicationConfigCommand).resolves({});
    await expect(engine().byArn('arn:aws:dms:eu-west-1:123456789012:replication-config:REVERSE').delete()).resolves.toBe('deleting');
  });

  it('finds the way back by replication-config-id, and says undefined when DMS has none', async () => {
    dms.on(DescribeReplicationsCommand).rejects(Object.assign(new Error('none'), { name: 'ResourceNotFoundFault' }));
    await expect(engine().find('dms-orch-x-reverse')).resolves.toBeUndefined();
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationsCommand, { Filters: [{ Name: 'replication-config-id', Values: ['dms-orch-x-reverse'] }] });
  });
});

describe('full-load progress of a serverless replication', () => {
  it('reports provisioning as starting, with the capacity units', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ Status: 'provisioning_capacity', ReplicationStats: {} })] });
    await expect(checkProgress(engine().forward)).resolves.toMatchObject({ phase: 'starting', fullLoadComplete: false, provisioning: { capacityUnits: 4 } });
  });

  it('fails on a failed replication, quoting its failure messages', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ Status: 'failed', FailureMessages: ['Cannot connect to the source'] })] });
    await expect(checkProgress(engine().forward)).rejects.toMatchObject({
      name: 'TaskInUnexpectedState',
      message: expect.stringMatching(/^Serverless replication orders-serverless is failed: Cannot connect to the source\./),
    });
  });

  it('ends the wait once a full-load-and-cdc replication has loaded every table', async () => {
    const loaded = { FullLoadProgressPercent: 100, TablesLoaded: 3, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 };
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ ReplicationStats: loaded })] });
    dms.on(DescribeReplicationTableStatisticsCommand).resolves({ ReplicationTableStatistics: [tableStatistics()] });
    await expect(checkProgress(engine().forward)).resolves.toMatchObject({ phase: 'cdc', fullLoadComplete: true, rowsLoaded: 1000 });
  });

  it('calls a full-load replication done only when it stopped with FULL_LOAD_ONLY_FINISHED', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ ReplicationType: 'full-load', Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished })] });
    dms.on(DescribeReplicationTableStatisticsCommand).resolves({ ReplicationTableStatistics: [tableStatistics()] });
    await expect(checkProgress(engine().forward)).resolves.toMatchObject({ phase: 'stopped', fullLoadComplete: true });
  });
});

describe('start-task on a serverless replication', () => {
  it('starts a created config with start-replication through StartReplication', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ Status: 'created', ReplicationStats: {} })] });
    dms.on(StartReplicationCommand).resolves({ Replication: serverlessReplication({ Status: 'initializing' }) });
    await expect(startHandler({ config })).resolves.toEqual({
      action: 'start-replication',
      outcome: 'started',
      previousStatus: 'created',
      migrationType: 'full-load-and-cdc',
      reason: 'the replication has never run: starting its first full load',
    });
    expect(dms).toHaveReceivedCommandWith(StartReplicationCommand, { ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'start-replication' });
  });

  it('sends nothing while DMS provisions capacity', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [serverlessReplication({ Status: 'provisioning_capacity' })] });
    await expect(startHandler({ config })).resolves.toMatchObject({ action: 'none', outcome: 'already-running' });
    expect(dms).not.toHaveReceivedCommand(StartReplicationCommand);
  });

  it('says "replication", not "task", when it refuses', () => {
    const decision = decideStartAction(startFacts(serverlessState(serverlessReplication({ Status: 'stopping' }))), 'auto', false);
    expect(decision).toEqual({ kind: 'refuse', reason: 'the replication is stopping; run the migration again once it is stopped' });
  });
});

describe('every status of a serverless replication, as the full-load wait and the gate read it', () => {
  const loaded = { FullLoadProgressPercent: 100, TablesLoaded: 3, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 };
  // A full-load-and-cdc replication whose statistics say "all loaded", in each status.
  const expected: Record<(typeof SERVERLESS_STATUSES)[number], { phase: string; failed: boolean; complete: boolean }> = {
    created: { phase: 'starting', failed: false, complete: false },
    ready: { phase: 'starting', failed: false, complete: false },
    initializing: { phase: 'starting', failed: false, complete: false },
    preparing_metadata_resources: { phase: 'starting', failed: false, complete: false },
    testing_connection: { phase: 'starting', failed: false, complete: false },
    fetching_metadata: { phase: 'starting', failed: false, complete: false },
    calculating_capacity: { phase: 'starting', failed: false, complete: false },
    provisioning_capacity: { phase: 'starting', failed: false, complete: false },
    replication_starting: { phase: 'starting', failed: false, complete: false },
    running: { phase: 'cdc', failed: false, complete: true },
    stopping: { phase: 'stopped', failed: false, complete: false },
    stopped: { phase: 'stopped', failed: false, complete: false },
    failed: { phase: 'failed', failed: true, complete: false },
    deleting: { phase: 'stopped', failed: false, complete: false },
  };

  it.each(SERVERLESS_STATUSES.map((status) => [status, expected[status]] as const))('%s -> %j', (status, outcome) => {
    const state = serverlessState(serverlessReplication({ Status: status, ReplicationStats: loaded }));
    expect({ phase: replicationPhase(state), failed: hasFailed(state), complete: isFullLoadComplete(state) }).toEqual(outcome);
  });

  it.each([
    [STOP_REASONS.fatalError, true, false],
    [STOP_REASONS.recoverableError, true, false],
    [STOP_REASONS.stoppedDueToLowMemory, true, false],
    [STOP_REASONS.stoppedAfterFullLoad, false, true],
    [STOP_REASONS.stoppedAfterCachedEvents, false, true],
    [STOP_REASONS.normal, false, false],
  ])('a stopped full-load-and-cdc replication with %s: failed=%s, load complete=%s', (stopReason, failed, complete) => {
    const state = serverlessState(serverlessReplication({ Status: 'stopped', StopReason: stopReason, ReplicationStats: loaded }));
    expect({ failed: hasFailed(state), complete: isFullLoadComplete(state) }).toEqual({ failed, complete });
  });

  it('never calls an unknown status success', () => {
    const state = serverlessState(serverlessReplication({ Status: 'hibernating', ReplicationStats: loaded }));
    expect({ meaning: state.meaning, phase: replicationPhase(state), complete: isFullLoadComplete(state) }).toEqual({ meaning: undefined, phase: 'starting', complete: false });
  });
});
