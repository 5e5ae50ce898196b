import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DatabaseMigrationServiceClient, DescribeReplicationTasksCommand } from '@aws-sdk/client-database-migration-service';
import { AwsServiceUnreachable } from '../../../functions/shared/errors';
import { DATABASE_NETWORK_TIMEOUTS, databaseNetworkClient } from '../../../functions/shared/network-clients';

/**
 * A missing route, played locally: a server on 127.0.0.1 that accepts connections and never says a word,
 * like an API endpoint whose answers never come back. Nothing leaves the loopback network.
 */
function silentServer(): Promise<{ server: Server; url: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets })));
}

describe('SDK clients in the database network', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  const endpoint = process.env.AWS_ENDPOINT_URL;
  beforeAll(async () => {
    silent = await silentServer();
    process.env.AWS_ENDPOINT_URL = silent.url;
  });
  afterAll(async () => {
    if (endpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = endpoint;
    for (const socket of silent.sockets) socket.destroy();
    await new Promise((resolve) => silent.server.close(resolve));
  });

  it('give up on an API that never answers, after the SDK’s retries, with an error naming the service and the fix', async () => {
    const dms = databaseNetworkClient(DatabaseMigrationServiceClient, { connectionTimeoutMs: 300, requestTimeoutMs: 300 });
    const started = Date.now();
    const error = await dms.send(new DescribeReplicationTasksCommand({})).catch((caught: unknown) => caught);
    const elapsedMs = Date.now() - started;
    expect(error).toBeInstanceOf(AwsServiceUnreachable);
    expect(error).toMatchObject({ name: 'AwsServiceUnreachable' });
    expect((error as Error).message).toMatch(/^cannot reach Database Migration Service from the database network: add a VPC endpoint or NAT \(/);
    // Three attempts (the SDK's standard retry) of 300 ms each, plus its backoff: seconds, never the function's minutes.
    expect(silent.sockets.length).toBeGreaterThanOrEqual(3);
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('wait a few seconds at most, by default', () => {
    expect(DATABASE_NETWORK_TIMEOUTS.connectionTimeoutMs).toBeLessThanOrEqual(5_000);
    expect(DATABASE_NETWORK_TIMEOUTS.requestTimeoutMs).toBeLessThanOrEqual(10_000);
  });
});
