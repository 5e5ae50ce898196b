import {
  DescribeConnectionsCommand,
  TestConnectionCommand,
  type Connection,
  type DatabaseMigrationServiceClient,
} from '@aws-sdk/client-database-migration-service';
import { dmsResourceId } from './dms';
import { ConnectionTestFailed, ResourceNotFound } from './errors';
import { logger } from './logger';

export type EndpointRole = 'source' | 'target';

export interface EndpointConnection {
  role: EndpointRole;
  endpointArn: string;
  endpointIdentifier: string;
  status: string;
  lastFailureMessage?: string;
}

export interface ConnectionTestsResult {
  /** `testing` until DMS has an answer for both endpoints; the workflow waits and asks again. */
  status: 'successful' | 'testing';
  connections: EndpointConnection[];
}

/** Both endpoints, tested from the replication instance a task runs on. */
interface ConnectionConfig {
  sourceEndpointArn: string;
  targetEndpointArn: string;
  replicationInstanceArn: string;
}

/**
 * Tests both endpoints from the replication instance. `startTests` starts the tests (once per workflow run);
 * later calls only read the results, so the state machine can wait between checks without Lambda sleeping.
 */
export async function testConnections(
  dms: DatabaseMigrationServiceClient,
  config: ConnectionConfig,
  startTests: boolean,
): Promise<ConnectionTestsResult> {
  const endpoints = endpointsOf(config);
  const refusals = new Map<string, string>();
  if (startTests) {
    for (const endpoint of endpoints) {
      const refusal = await startConnectionTest(dms, config.replicationInstanceArn, endpoint);
      if (refusal) refusals.set(endpoint.endpointArn, refusal);
    }
  }
  const connections = await readConnections(dms, config, endpoints);
  const problems = connections.flatMap((connection) => {
    const refusal = refusals.get(connection.endpointArn);
    // A refused start is fine only when the refusal was for a test already running; an older result
    // (say, `successful` from last week) must not pass for a test DMS would not run today.
    if (refusal && connection.status !== 'testing') {
      return [`DMS would not test the ${connection.role} endpoint ${connection.endpointIdentifier}: ${refusal}`];
    }
    return connection.status === 'successful' || connection.status === 'testing' ? [] : [describeFailure(connection)];
  });
  if (problems.length > 0) throw new ConnectionTestFailed(problems.join(' '));
  return {
    status: connections.every((connection) => connection.status === 'successful') ? 'successful' : 'testing',
    connections,
  };
}

function endpointsOf(config: ConnectionConfig): Array<{ role: EndpointRole; endpointArn: string }> {
  return [
    { role: 'source', endpointArn: config.sourceEndpointArn },
    { role: 'target', endpointArn: config.targetEndpointArn },
  ];
}

async function startConnectionTest(
  dms: DatabaseMigrationServiceClient,
  replicationInstanceArn: string,
  endpoint: { role: EndpointRole; endpointArn: string },
): Promise<string | undefined> {
  try {
    await dms.send(new TestConnectionCommand({ ReplicationInstanceArn: replicationInstanceArn, EndpointArn: endpoint.endpointArn }));
    logger.info('Connection test started', { role: endpoint.role, endpointArn: endpoint.endpointArn });
    return undefined;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // DMS answers InvalidResourceStateFault while a test of the same endpoint and instance is still running,
    // and also when the instance or endpoint is not usable. The read that follows tells the two apart.
    if (error.name === 'InvalidResourceStateFault') {
      logger.info('Connection test not started', { role: endpoint.role, message: error.message });
      return error.message;
    }
    if (error.name === 'ResourceNotFoundFault') {
      throw new ResourceNotFound(`The ${endpoint.role} endpoint ${endpoint.endpointArn} or the replication instance ${replicationInstanceArn} does not exist: ${error.message}`);
    }
    throw error;
  }
}

async function readConnections(
  dms: DatabaseMigrationServiceClient,
  config: ConnectionConfig,
  endpoints: Array<{ role: EndpointRole; endpointArn: string }>,
): Promise<EndpointConnection[]> {
  const response = await dms.send(
    new DescribeConnectionsCommand({
      Filters: [
        { Name: 'endpoint-arn', Values: endpoints.map((endpoint) => endpoint.endpointArn) },
        { Name: 'replication-instance-arn', Values: [config.replicationInstanceArn] },
      ],
    }),
  );
  const byEndpoint = new Map<string, Connection>((response.Connections ?? []).map((connection) => [connection.EndpointArn ?? '', connection]));
  return endpoints.map(({ role, endpointArn }) => {
    const connection = byEndpoint.get(endpointArn);
    const result: EndpointConnection = {
      role,
      endpointArn,
      endpointIdentifier: connection?.EndpointIdentifier ?? dmsResourceId(endpointArn),
      // No record at all means DMS has no test of this pair (never started, or deleted since): not a pass.
      status: connection?.Status ?? 'missing',
    };
    if (connection?.LastFailureMessage) result.lastFailureMessage = connection.LastFailureMessage;
    return result;
  });
}

function describeFailure(connection: EndpointConnection): string {
  const endpoint = `The ${connection.role} endpoint ${connection.endpointIdentifier}`;
  switch (connection.status) {
    case 'failed':
      return `${endpoint} failed its connection test: ${connection.lastFailureMessage ?? '(DMS gave no message)'}`;
    case 'missing':
      return `${endpoint} has no connection test result in DMS for this replication instance; run the migration again to test it.`;
    default:
      // `deleting`: the connection record is being removed, so no result will come.
      return `${endpoint} connection test ended as "${connection.status}"; run the migration again to test it.`;
  }
}
