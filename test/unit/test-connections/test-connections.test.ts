import {
  DatabaseMigrationServiceClient,
  DescribeConnectionsCommand,
  InvalidResourceStateFault,
  ResourceNotFoundFault,
  TestConnectionCommand,
  type Connection,
} from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/test-connections/handler';
import { REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, migrationConfig } from '../../support/migration';

const dms = mockClient(DatabaseMigrationServiceClient);
const config = migrationConfig();

/** A DescribeConnections entry as DMS returns it. */
function connection(endpointArn: string, Status: string, LastFailureMessage?: string): Connection {
  const source = endpointArn === SOURCE_ENDPOINT_ARN;
  return {
    ReplicationInstanceArn: REPLICATION_INSTANCE_ARN,
    EndpointArn: endpointArn,
    Status,
    ...(LastFailureMessage ? { LastFailureMessage } : {}),
    EndpointIdentifier: source ? 'orders-ec2-mysql' : 'orders-aurora-target',
    ReplicationInstanceIdentifier: 'orders-replication',
  };
}

const describeFilters = {
  Filters: [
    { Name: 'endpoint-arn', Values: [SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN] },
    { Name: 'replication-instance-arn', Values: [REPLICATION_INSTANCE_ARN] },
  ],
};

beforeEach(() => dms.reset());

describe('test-connections', () => {
  it('starts a test for each endpoint and reports them testing', async () => {
    dms.on(TestConnectionCommand).resolves({ Connection: connection(SOURCE_ENDPOINT_ARN, 'testing') });
    dms.on(DescribeConnectionsCommand).resolves({
      Connections: [connection(SOURCE_ENDPOINT_ARN, 'testing'), connection(TARGET_ENDPOINT_ARN, 'testing')],
    });
    await expect(handler({ config, startTests: true })).resolves.toEqual({
      status: 'testing',
      connections: [
        { role: 'source', endpointArn: SOURCE_ENDPOINT_ARN, endpointIdentifier: 'orders-ec2-mysql', status: 'testing' },
        { role: 'target', endpointArn: TARGET_ENDPOINT_ARN, endpointIdentifier: 'orders-aurora-target', status: 'testing' },
      ],
    });
    expect(dms).toHaveReceivedCommandTimes(TestConnectionCommand, 2);
    expect(dms).toHaveReceivedNthCommandWith(1, TestConnectionCommand, { ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, EndpointArn: SOURCE_ENDPOINT_ARN });
    expect(dms).toHaveReceivedNthCommandWith(2, TestConnectionCommand, { ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, EndpointArn: TARGET_ENDPOINT_ARN });
    expect(dms).toHaveReceivedCommandWith(DescribeConnectionsCommand, describeFilters);
  });

  it('only reads results on later checks, and succeeds when both pass', async () => {
    dms.on(DescribeConnectionsCommand).resolves({
      Connections: [connection(TARGET_ENDPOINT_ARN, 'successful'), connection(SOURCE_ENDPOINT_ARN, 'successful')],
    });
    await expect(handler({ config, startTests: false })).resolves.toMatchObject({ status: 'successful' });
    expect(dms).not.toHaveReceivedCommand(TestConnectionCommand);
  });

  it('does not start a test twice: a test already running is waited for', async () => {
    dms.on(TestConnectionCommand, { EndpointArn: SOURCE_ENDPOINT_ARN }).rejects(
      new InvalidResourceStateFault({ message: 'Test connection is already in progress', $metadata: {} }),
    );
    dms.on(TestConnectionCommand, { EndpointArn: TARGET_ENDPOINT_ARN }).resolves({ Connection: connection(TARGET_ENDPOINT_ARN, 'testing') });
    dms.on(DescribeConnectionsCommand).resolves({
      Connections: [connection(SOURCE_ENDPOINT_ARN, 'testing'), connection(TARGET_ENDPOINT_ARN, 'testing')],
    });
    await expect(handler({ config, startTests: true })).resolves.toMatchObject({ status: 'testing' });
    expect(dms).toHaveReceivedCommandTimes(TestConnectionCommand, 2);
  });

  it('does not let an old success pass when DMS refuses to run a new test', async () => {
    dms.on(TestConnectionCommand, { EndpointArn: SOURCE_ENDPOINT_ARN }).rejects(
      new InvalidResourceStateFault({ message: 'Replication instance is in modifying state', $metadata: {} }),
    );
    dms.on(TestConnectionCommand, { EndpointArn: TARGET_ENDPOINT_ARN }).resolves({});
    dms.on(DescribeConnectionsCommand).resolves({
      Connections: [connection(SOURCE_ENDPOINT_ARN, 'successful'), connection(TARGET_ENDPOINT_ARN, 'testing')],
    });
    await expect(handler({ config, startTests: true })).rejects.toMatchObject({
      name: 'ConnectionTestFailed',
      message: 'DMS would not test the source endpoint orders-ec2-mysql: Replication instance is in modifying state',
    });
  });

  it('reports a failed endpoint with DMS message verbatim', async () => {
    const message = "Test connection for endpoint failed: Can't connect to MySQL server on '10.0.1.15' (110)";
    dms.on(DescribeConnectionsCommand).resolves({
      Connections: [connection(SOURCE_ENDPOINT_ARN, 'failed', message), connection(TARGET_ENDPOINT_ARN, 'successful')],
    });
    await expect(handler({ config, startTests: false })).rejects.toMatchObject({
      name: 'ConnectionTestFailed',
      message: `The source endpoint orders-ec2-mysql failed its connection test: ${message}`,
    });
  });

  it('names both endpoints when both fail', async () => {
    dms.on(DescribeConnectionsCommand).resolves({
      Connections: [connection(SOURCE_ENDPOINT_ARN, 'failed', 'Access denied'), connection(TARGET_ENDPOINT_ARN, 'failed')],
    });
    const error = (await handler({ config, startTests: false }).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('source endpoint orders-ec2-mysql failed its connection test: Access denied');
    expect(error.message).toContain('target endpoint orders-aurora-target failed its connection test: (DMS gave no message)');
  });

  it('treats a missing or deleting connection record as no result', async () => {
    dms.on(DescribeConnectionsCommand).resolves({ Connections: [connection(TARGET_ENDPOINT_ARN, 'deleting')] });
    const error = (await handler({ config, startTests: false }).catch((caught: unknown) => caught)) as Error;
    expect(error.name).toBe('ConnectionTestFailed');
    expect(error.message).toContain('source endpoint ORDERSSOURCEABCDEFGHIJKLMN has no connection test result');
    expect(error.message).toContain('target endpoint orders-aurora-target connection test ended as "deleting"');
  });

  it('reports a missing endpoint or instance as ResourceNotFound', async () => {
    dms.on(TestConnectionCommand).rejects(new ResourceNotFoundFault({ message: 'Endpoint not found', $metadata: {} }));
    await expect(handler({ config, startTests: true })).rejects.toMatchObject({ name: 'ResourceNotFound', message: expect.stringContaining('Endpoint not found') });
  });

  it('passes other DMS errors through', async () => {
    dms.on(TestConnectionCommand).rejects(Object.assign(new Error('KMS key not accessible'), { name: 'KMSKeyNotAccessibleFault' }));
    await expect(handler({ config, startTests: true })).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
  });

  it('requires startTests in the event', async () => {
    await expect(handler({ config })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('startTests') });
  });
});
