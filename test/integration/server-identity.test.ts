import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DatabaseMigrationServiceClient,
  DescribeEndpointsCommand,
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
} from '@aws-sdk/client-database-migration-service';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { cutoverRun, gateStep } from '../../functions/cutover/cutover';
import { withMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import { compareSessions } from '../../functions/shared/server-identity';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { cutoverClients } from '../support/cutover-clients';
import { DATABASE_ACCESS, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, TASK_ARN, migrationConfig, replicationTask, tableStatistics } from '../support/migration';

// Two servers start beside the rest of the suite on a 2-core machine.
jest.setTimeout(60_000);

/**
 * Two throwaway MariaDB servers started alike (server_id 1, one host name, the same version) differ only by
 * port; the first one reached through 127.0.0.1 and through localhost is one server under two names.
 */
let first: ThrowawayMariadb;
let second: ThrowawayMariadb;
const credentials = (server: ThrowawayMariadb, host: string = server.host): DatabaseCredentials => ({ host, port: server.port, username: 'root', password: '' });

beforeAll(async () => {
  // One after the other: two mariadb-install-db runs at once can collide on their temporary tables.
  first = await startThrowawayMariadb();
  second = await startThrowawayMariadb();
});
afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
});

const sessions = (source: DatabaseCredentials, target: DatabaseCredentials) =>
  withMysql(source, 'source', (sourceConnection) => withMysql(target, 'target', (targetConnection) => compareSessions(sourceConnection, targetConnection)));

describe('which server each session reaches, on real MariaDB', () => {
  it('tells two servers apart even when their server_id and host name are the same', async () => {
    const servers = await sessions(credentials(first), credentials(second));
    expect(servers.sameServer).toBe(false);
    expect(servers.source.serverId).toBe(servers.target.serverId);
    expect(servers.source.hostname).toBe(servers.target.hostname);
    expect([servers.source.port, servers.target.port]).toEqual([first.port, second.port]);
    // MariaDB has no server_uuid: the proof is the shared user lock, not the variables.
    expect(servers.source.serverUuid).toBeUndefined();
  });

  it('sees one server reached under two names', async () => {
    await expect(sessions(credentials(first), credentials(first, 'localhost'))).resolves.toMatchObject({ sameServer: true });
  });
});

describe('the gate proves the two sessions and the DMS endpoints reach the right servers', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const dms = mockClient(DatabaseMigrationServiceClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const clients = cutoverClients();
  // A dry run reports every blocker instead of throwing the first refusal.
  const config = migrationConfig({ database: { ...DATABASE_ACCESS, tls: 'disabled' }, cutover: { dryRun: true } });

  function deploy(source: DatabaseCredentials, target: DatabaseCredentials, targetEndpoint: DatabaseCredentials = target) {
    const secret = ({ host, port }: DatabaseCredentials) => ({ SecretString: JSON.stringify({ host, port, username: 'root', password: '' }) });
    secretsManager.on(GetSecretValueCommand, { SecretId: DATABASE_ACCESS.sourceSecretArn }).resolves(secret(source));
    secretsManager.on(GetSecretValueCommand, { SecretId: DATABASE_ACCESS.targetSecretArn }).resolves(secret(target));
    dms.on(DescribeEndpointsCommand).resolves({
      Endpoints: [
        { EndpointArn: SOURCE_ENDPOINT_ARN, EndpointIdentifier: 'orders-source', ServerName: source.host, Port: source.port },
        { EndpointArn: TARGET_ENDPOINT_ARN, EndpointIdentifier: 'orders-target', ServerName: targetEndpoint.host, Port: targetEndpoint.port },
      ],
    });
  }

  beforeEach(() => {
    for (const client of [secretsManager, dms, cloudWatch]) client.reset();
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'running' })] });
    dms.on(DescribeTableStatisticsCommand).resolves({ ReplicationTaskArn: TASK_ARN, TableStatistics: [tableStatistics()] });
    dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication' }] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'source', Values: [1] }, { Id: 'target', Values: [1] }] });
  });
  afterAll(() => {
    for (const client of [secretsManager, dms, cloudWatch]) client.restore();
  });

  const identityBlockers = async () =>
    (await gateStep(cutoverRun(clients, config))).blockers.filter((blocker) => blocker.includes('one server') || blocker.includes('DMS target endpoint'));

  it('has no identity blocker when the secrets and endpoints name two servers', async () => {
    deploy(credentials(first), credentials(second));
    await expect(identityBlockers()).resolves.toEqual([]);
  });

  it('refuses a target secret that reaches the source server under another name', async () => {
    deploy(credentials(first), credentials(first, 'localhost'));
    await expect(identityBlockers()).resolves.toEqual([expect.stringMatching(/^the source and target sessions reach one server \(.+:\d+, server_id 1\): the target secret points at the source/)]);
  });

  it('refuses a DMS target endpoint that writes to another server than the target session reaches', async () => {
    deploy(credentials(first), credentials(second), credentials(first));
    await expect(identityBlockers()).resolves.toEqual([
      `the DMS target endpoint orders-target connects to 127.0.0.1:${first.port}, but the target secret names 127.0.0.1:${second.port}: DMS would write another server than the checks read. Point the endpoint and the target secret at the same server.`,
    ]);
  });
});
