import {
  CreateReplicationConfigCommand,
  DatabaseMigrationServiceClient,
  DeleteReplicationConfigCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  type Replication,
} from '@aws-sdk/client-database-migration-service';
import type { DmsEvent } from '../../../../local/emulator/dms/definitions';
import { startAwsEmulator, type AwsEmulator } from '../../../../local/emulator/server';
import { emulatedDms, emulatedEndpoints, emulatedReplicationConfig } from '../../../support/emulated-task';
import { REPLICATION_CONFIG_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN } from '../../../support/migration';

/**
 * The emulated DMS Serverless API's answers that need no database: what it refuses, with DMS's error names,
 * and a replication whose endpoints cannot be reached failing in `testing_connection`. The data it moves is
 * tested against MariaDB in test/integration/emulated-dms-serverless.test.ts.
 */
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:unreachable-AbCdEf';
const UNREACHABLE = JSON.stringify({ host: '127.0.0.1', port: 1, username: 'nobody', password: 'x' });
const CONFIG_ID = 'unit-replication';

let emulator: AwsEmulator;
const events: DmsEvent[] = [];
const dms = () => new DatabaseMigrationServiceClient({ endpoint: emulator.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
const replication = async (): Promise<Replication> => (await dms().send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-id', Values: [CONFIG_ID] }] }))).Replications?.[0] ?? {};

beforeAll(async () => {
  emulator = await startAwsEmulator({
    dms: { ...emulatedDms('unit', emulatedEndpoints('unit', { source: SECRET, target: SECRET })), replicationConfigs: [emulatedReplicationConfig('unit')] },
    target: { type: 'aurora-cluster', identifier: 'target', host: '127.0.0.1', port: 1, engineVersion: '8.0' },
    secrets: { [SECRET]: UNREACHABLE },
    onDmsEvent: (event) => events.push(event),
  });
});
afterAll(() => emulator.close());

describe('the emulated DMS Serverless API', () => {
  it('describes a config never started as created, and refuses its table statistics, a resume and a stop', async () => {
    expect(await replication()).toMatchObject({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, Status: 'created' });
    await expect(dms().send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
    await expect(dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'resume-processing' }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
    await expect(dms().send(new StopReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
  });

  it('refuses an unknown config, an unknown filter name, and a start type DMS does not have', async () => {
    const unknown = REPLICATION_CONFIG_ARN.replace(/:replication-config:.*/, ':replication-config:NOSUCHCONFIG');
    await expect(dms().send(new StartReplicationCommand({ ReplicationConfigArn: unknown, StartReplicationType: 'start-replication' }))).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
    await expect(dms().send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: unknown }))).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
    await expect(dms().send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [unknown] }] }))).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
    await expect(dms().send(new DescribeReplicationConfigsCommand({ Filters: [{ Name: 'replication-task-arn', Values: [REPLICATION_CONFIG_ARN] }] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'start' }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(
      dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'start-replication', CdcStartTime: new Date(), CdcStartPosition: 'binlog.000001:4' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombinationException' });
  });

  describe('CreateReplicationConfig', () => {
    const create = (overrides: Record<string, unknown>) =>
      dms().send(
        new CreateReplicationConfigCommand({
          ReplicationConfigIdentifier: 'created',
          SourceEndpointArn: SOURCE_ENDPOINT_ARN,
          TargetEndpointArn: TARGET_ENDPOINT_ARN,
          ReplicationType: 'cdc',
          ComputeConfig: { MaxCapacityUnits: 1 },
          TableMappings: JSON.stringify({ rules: [] }),
          ...overrides,
        }),
      );

    it('refuses no capacity, a capacity off the DCU list or below its minimum, an unknown type or endpoint, a taken identifier', async () => {
      await expect(create({ ComputeConfig: {} })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
      await expect(create({ ComputeConfig: { MaxCapacityUnits: 3 } })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
      await expect(create({ ComputeConfig: { MaxCapacityUnits: 1, MinCapacityUnits: 2 } })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
      await expect(create({ ReplicationType: 'full' })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
      await expect(create({ SourceEndpointArn: SOURCE_ENDPOINT_ARN.replace(/:endpoint:.*/, ':endpoint:NOSUCHENDPOINT') })).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
      await expect(create({ ReplicationConfigIdentifier: CONFIG_ID })).rejects.toMatchObject({ name: 'ResourceAlreadyExistsFault' });
    });

    it('makes a config under the account’s ARN (its ResourceIdentifier when given) that can be deleted before it ever ran', async () => {
      const { ReplicationConfig: config } = await create({ ResourceIdentifier: 'orders-way-back', ComputeConfig: { MaxCapacityUnits: 2, MinCapacityUnits: 1 } });
      expect(config).toMatchObject({ ReplicationConfigArn: 'arn:aws:dms:eu-west-1:123456789012:replication-config:orders-way-back', ReplicationType: 'cdc', ComputeConfig: { MaxCapacityUnits: 2, MinCapacityUnits: 1 } });
      await dms().send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: String(config?.ReplicationConfigArn) }));
    });
  });

  it('fails a replication whose endpoints cannot be reached in testing_connection, unprovisioned, and announces it', async () => {
    await dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'start-replication' }));
    // Busy starting: neither started again nor deleted.
    await expect(dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'start-replication' }))).rejects.toMatchObject({
      name: 'InvalidResourceStateFault',
      message: expect.stringMatching(/is in (INITIALIZING|PREPARING_METADATA_RESOURCES|TESTING_CONNECTION) state and cannot start$/),
    });
    await expect(dms().send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
    let described = await replication();
    for (let attempt = 0; attempt < 200 && described.Status !== 'failed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      described = await replication();
    }
    expect(described).toMatchObject({
      Status: 'failed',
      StopReason: 'Stop Reason FATAL_ERROR',
      FailureMessages: [expect.stringContaining('Test connection for endpoint unit-source failed'), expect.stringContaining('Test connection for endpoint unit-target failed')],
    });
    expect(described.ProvisionData).toBeUndefined();
    expect(events.map((event) => event.detail.eventType)).toEqual(['REPLICATION_INITIALIZING', 'REPLICATION_PREPARING_METADATA_RESOURCES', 'REPLICATION_TESTING_CONNECTION', 'REPLICATION_FAILED']);
    expect(events[events.length - 1]).toMatchObject({
      'detail-type': 'DMS Replication State Change',
      source: 'aws.dms',
      resources: [REPLICATION_CONFIG_ARN],
      detail: { type: 'REPLICATION_CONFIG', category: 'Failure', detailMessage: expect.stringContaining('Test connection for endpoint unit-source failed') },
    });
    // A failed replication that never ran starts again with start-replication only, and its config can be deleted.
    await expect(dms().send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'reload-target' }))).rejects.toMatchObject({ name: 'InvalidResourceStateFault' });
    await expect(dms().send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN }))).resolves.toMatchObject({ ReplicationConfig: { ReplicationConfigArn: REPLICATION_CONFIG_ARN } });
  });
});
