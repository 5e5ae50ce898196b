import { DatabaseMigrationServiceClient, DescribeEndpointsCommand, type Endpoint } from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import type { Connection } from 'mysql2/promise';
import { compareEndpoints, compareSessions, endpointProblems, type EndpointOfSide } from '../../../functions/shared/server-identity';
import { DATABASE_ACCESS, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN } from '../../support/migration';

const dms = mockClient(DatabaseMigrationServiceClient);
const secrets = {
  source: { secretArn: DATABASE_ACCESS.sourceSecretArn, credentials: { host: 'db-a.internal', port: 3306, username: 'dms', password: 'x' } },
  target: { secretArn: DATABASE_ACCESS.targetSecretArn, credentials: { host: 'orders.cluster-abc.eu-west-1.rds.amazonaws.com', port: 3306, username: 'dms', password: 'x' } },
};
const forward: EndpointOfSide[] = [
  { endpointArn: SOURCE_ENDPOINT_ARN, role: 'source', side: 'source' },
  { endpointArn: TARGET_ENDPOINT_ARN, role: 'target', side: 'target' },
];
/** Names this test's resolver knows; anything else does not resolve. */
const addresses: Record<string, string[]> = {
  'db-a.internal': ['10.0.1.5'],
  'db-a-alias.internal': ['10.0.1.5'],
  'orders.cluster-abc.eu-west-1.rds.amazonaws.com': ['10.0.2.9'],
};
const resolve = async (host: string) => {
  const found = addresses[host];
  if (!found) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  return found;
};

async function verdicts(source: Endpoint, target: Endpoint) {
  dms.reset();
  dms.on(DescribeEndpointsCommand, { Filters: [{ Name: 'endpoint-arn', Values: [SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN] }] }).resolves({
    Endpoints: [
      { EndpointArn: SOURCE_ENDPOINT_ARN, EndpointIdentifier: 'orders-source', ...source },
      { EndpointArn: TARGET_ENDPOINT_ARN, EndpointIdentifier: 'orders-target', ...target },
    ],
  });
  return compareEndpoints(new DatabaseMigrationServiceClient({}), forward, secrets, resolve);
}

afterAll(() => dms.restore());

describe('compareEndpoints', () => {
  it('accepts endpoints whose server names are the secrets’ hosts, case and trailing dot aside, or resolve to the same address', async () => {
    const result = await verdicts({ ServerName: 'DB-A-ALIAS.internal.', Port: 3306 }, { ServerName: 'orders.cluster-abc.eu-west-1.rds.amazonaws.com', Port: 3306 });
    expect(result.map((endpoint) => endpoint.verdict)).toEqual(['same', 'same']);
    expect(endpointProblems(result)).toEqual([]);
  });

  it('refuses a target endpoint that writes to the source, and a port that differs', async () => {
    const result = await verdicts({ ServerName: 'db-a.internal', Port: 3307 }, { ServerName: 'db-a.internal', Port: 3306 });
    expect(endpointProblems(result)).toEqual([
      "the DMS source endpoint orders-source connects to db-a.internal:3307, but the source secret names db-a.internal:3306: DMS would read another server than the checks read. Point the endpoint and the source secret at the same server.",
      "the DMS target endpoint orders-target connects to db-a.internal:3306, but the target secret names orders.cluster-abc.eu-west-1.rds.amazonaws.com:3306: DMS would write another server than the checks read. Point the endpoint and the target secret at the same server.",
    ]);
  });

  it('treats a server name that does not resolve here as another server', async () => {
    const result = await verdicts({ ServerName: 'db-a.internal', Port: 3306 }, { ServerName: 'orders-old.example', Port: 3306 });
    expect(result.map((endpoint) => endpoint.verdict)).toEqual(['same', 'different']);
  });

  it('compares endpoints that read their connection from a secret by the secret they name', async () => {
    const partialSourceArn = DATABASE_ACCESS.sourceSecretArn.replace(/-AbCdEf$/, '');
    const crossed = await verdicts({ MySQLSettings: { SecretsManagerSecretId: partialSourceArn } }, { MySQLSettings: { SecretsManagerSecretId: 'orders/source' } });
    expect(crossed.map(({ verdict, seen }) => [verdict, seen])).toEqual([
      ['same', 'reads its connection from the source secret'],
      ['different', 'reads its connection from the source secret'],
    ]);
    const own = await verdicts({ MySQLSettings: { SecretsManagerSecretId: DATABASE_ACCESS.sourceSecretArn } }, { MySQLSettings: { SecretsManagerSecretId: 'dms/orders-target' } });
    expect(own.map(({ verdict }) => verdict)).toEqual(['same', 'unknown']);
    expect(endpointProblems(own)).toEqual([]);
  });

  it('refuses an endpoint DMS does not know', async () => {
    dms.reset();
    dms.on(DescribeEndpointsCommand).resolves({ Endpoints: [{ EndpointArn: SOURCE_ENDPOINT_ARN, ServerName: 'db-a.internal', Port: 3306 }] });
    const result = await compareEndpoints(new DatabaseMigrationServiceClient({}), forward, secrets, resolve);
    expect(result[1]).toMatchObject({ verdict: 'different', seen: expect.stringContaining('does not exist') });
  });
});

/** A session that answers SHOW GLOBAL VARIABLES with `variables` and GET_LOCK with NULL, as on an error. */
function sessionWithoutLocks(variables: Record<string, string>): Connection {
  return {
    query: async (sql: string) => {
      if (sql.startsWith('SHOW GLOBAL VARIABLES')) return [Object.entries(variables).map(([Variable_name, Value]) => ({ Variable_name, Value }))];
      if (sql.includes('GET_LOCK')) return [[{ taken: null }]];
      throw new Error(`unexpected query ${sql}`);
    },
  } as unknown as Connection;
}

describe('compareSessions without a user lock', () => {
  const mariadb = { server_id: '1', hostname: 'db-a', port: '3306', version: '10.11.6-MariaDB' };
  it('falls back to server_id, host name and port', async () => {
    await expect(compareSessions(sessionWithoutLocks(mariadb), sessionWithoutLocks(mariadb))).resolves.toMatchObject({ sameServer: true });
    await expect(compareSessions(sessionWithoutLocks(mariadb), sessionWithoutLocks({ ...mariadb, port: '3307' }))).resolves.toMatchObject({ sameServer: false });
  });

  it('takes equal server_uuid values as one server whatever else differs', async () => {
    const mysql = { ...mariadb, server_uuid: '5e1c7a52-0000-11ef-8000-0a1b2c3d4e5f', version: '8.0.39' };
    await expect(compareSessions(sessionWithoutLocks(mysql), sessionWithoutLocks({ ...mysql, hostname: 'db-b' }))).resolves.toMatchObject({ sameServer: true });
  });
});
