import {
  CreateReplicationConfigCommand,
  DatabaseMigrationServiceClient,
  DeleteReplicationConfigCommand,
  DescribeEndpointsCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  StartReplicationCommand,
  StopReplicationCommand,
} from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createReverseTask,
  readReversePath,
  removeReversePath,
  reversePathBlockers,
  reverseTaskIdentifier,
  startReverseReplication,
} from '../../../functions/cutover/reverse-replication';
import { migrationInputSchema } from '../../../functions/shared/migration-input';
import { DATABASE_ACCESS, REPLICATION_CONFIG_ARN, WAY_BACK, serverlessMigrationInput, serverlessReplication } from '../../support/migration';

const REVERSE_ARN = 'arn:aws:dms:eu-west-1:123456789012:replication-config:REVERSEABCDEFGHIJKLMNOPQR';
const dms = mockClient(DatabaseMigrationServiceClient);
const client = () => new DatabaseMigrationServiceClient({});
const config = migrationInputSchema.parse(serverlessMigrationInput({ database: DATABASE_ACCESS, rollback: WAY_BACK }));
const reverse = (overrides: Parameters<typeof serverlessReplication>[0] = {}) =>
  serverlessReplication({
    ReplicationConfigIdentifier: reverseTaskIdentifier(config.migrationName),
    ReplicationConfigArn: REVERSE_ARN,
    SourceEndpointArn: WAY_BACK.reverseSourceEndpointArn,
    TargetEndpointArn: WAY_BACK.reverseTargetEndpointArn,
    ReplicationType: 'cdc',
    Status: 'created',
    ReplicationStats: {},
    ...overrides,
  });
/** DescribeReplications by id finds the way back; by ARN, the forward replication. */
const describeWith = (wayBack: ReturnType<typeof reverse> | undefined) =>
  dms.on(DescribeReplicationsCommand).callsFake((input: { Filters: Array<{ Name: string }> }) =>
    input.Filters[0].Name === 'replication-config-id' ? { Replications: wayBack ? [wayBack] : [] } : { Replications: [wayBack ?? serverlessReplication()] },
  );

beforeEach(() => dms.reset());

describe('the way back of a DMS Serverless migration', () => {
  it('is named as DMS names it, a replication config, in the gate\'s reasons', async () => {
    describeWith(undefined);
    const notCreated = await readReversePath(client(), config);
    expect(reversePathBlockers(notCreated)).toContain('the reverse replication config does not exist yet');
    dms.reset();
    describeWith(reverse({ Status: 'provisioning_capacity' }));
    dms.on(DescribeEndpointsCommand).resolves({ Endpoints: [{ EndpointArn: WAY_BACK.reverseSourceEndpointArn }, { EndpointArn: WAY_BACK.reverseTargetEndpointArn }] });
    expect(reversePathBlockers(await readReversePath(client(), config))).toEqual(['the reverse replication config is "provisioning_capacity", not ready to start']);
  });

  it('is created as a tagged CDC-only replication config with the forward mappings and compute settings', async () => {
    describeWith(undefined);
    dms.on(DescribeReplicationConfigsCommand).resolves({ ReplicationConfigs: [{ ReplicationConfigArn: REPLICATION_CONFIG_ARN, TableMappings: '{"rules":[{"rule-type":"selection"}]}', ComputeConfig: { MaxCapacityUnits: 8 } }] });
    dms.on(CreateReplicationConfigCommand).resolves({ ReplicationConfig: { ReplicationConfigArn: REVERSE_ARN } });
    await createReverseTask(client(), config);
    expect(dms).toHaveReceivedCommandWith(CreateReplicationConfigCommand, {
      ReplicationConfigIdentifier: reverseTaskIdentifier(config.migrationName),
      SourceEndpointArn: WAY_BACK.reverseSourceEndpointArn,
      TargetEndpointArn: WAY_BACK.reverseTargetEndpointArn,
      ReplicationType: 'cdc',
      ComputeConfig: { MaxCapacityUnits: 8 },
      TableMappings: '{"rules":[{"rule-type":"selection"}]}',
      Tags: [{ Key: 'dms-orchestrator:migration', Value: config.migrationName }],
    });
  });

  it('is ready once the config exists, idle, with the reverse endpoints; not before', async () => {
    describeWith(undefined);
    await expect(readReversePath(client(), config)).resolves.toMatchObject({ wouldCreateTask: true, ready: false, connections: { status: 'testing' } });
    describeWith(reverse());
    dms.on(DescribeEndpointsCommand).resolves({ Endpoints: [{ EndpointArn: WAY_BACK.reverseSourceEndpointArn }, { EndpointArn: WAY_BACK.reverseTargetEndpointArn }] });
    await expect(readReversePath(client(), config, { startTests: true })).resolves.toMatchObject({ taskArn: REVERSE_ARN, taskStatus: 'created', ready: true, connections: { status: 'successful' } });
  });

  it('starts at the binlog position read at the switch, once', async () => {
    describeWith(reverse());
    dms.on(StartReplicationCommand).resolves({ Replication: reverse({ Status: 'initializing' }) });
    await expect(startReverseReplication(client(), config, REVERSE_ARN, 'mysql-bin-changelog.000024:373')).resolves.toEqual({
      taskArn: REVERSE_ARN,
      taskStatus: 'initializing',
      cdcStartPosition: 'mysql-bin-changelog.000024:373',
    });
    expect(dms).toHaveReceivedCommandWith(StartReplicationCommand, { ReplicationConfigArn: REVERSE_ARN, StartReplicationType: 'start-replication', CdcStartPosition: 'mysql-bin-changelog.000024:373' });
    dms.reset();
    describeWith(reverse({ Status: 'provisioning_capacity' }));
    await expect(startReverseReplication(client(), config, REVERSE_ARN, 'mysql-bin-changelog.000024:373')).resolves.toMatchObject({ taskStatus: 'provisioning_capacity' });
    expect(dms).not.toHaveReceivedCommand(StartReplicationCommand);
  });

  it('is removed after complete: stopped first while it runs, then deleted', async () => {
    describeWith(reverse({ Status: 'running' }));
    dms.on(StopReplicationCommand).resolves({ Replication: reverse({ Status: 'stopping' }) });
    await expect(removeReversePath(client(), config)).resolves.toEqual({ taskArn: REVERSE_ARN, removed: false, taskStatus: 'stopping' });
    describeWith(reverse({ Status: 'stopped' }));
    dms.on(DeleteReplicationConfigCommand).resolves({});
    await expect(removeReversePath(client(), config)).resolves.toEqual({ taskArn: REVERSE_ARN, removed: true, taskStatus: 'deleting' });
    expect(dms).toHaveReceivedCommandWith(DeleteReplicationConfigCommand, { ReplicationConfigArn: REVERSE_ARN });
  });

  it('waits and asks again when DMS refuses the delete while it still holds the stopped replication', async () => {
    describeWith(reverse({ Status: 'stopped', ProvisionData: { ProvisionState: 'deprovisioning' } }));
    const refused = Object.assign(new Error('The replication is not in a state that allows deletion'), { name: 'InvalidResourceStateFault' });
    dms.on(DeleteReplicationConfigCommand).rejects(refused);
    await expect(removeReversePath(client(), config)).resolves.toEqual({ taskArn: REVERSE_ARN, removed: false, taskStatus: 'stopped' });
    dms.on(DeleteReplicationConfigCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedFault' }));
    await expect(removeReversePath(client(), config)).rejects.toMatchObject({ name: 'AccessDeniedFault' });
  });
});
