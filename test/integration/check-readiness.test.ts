import { DatabaseMigrationServiceClient, DescribeEndpointsCommand, DescribeReplicationTasksCommand, type Endpoint } from '@aws-sdk/client-database-migration-service';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createConnection, type Connection } from 'mysql2/promise';
import { checkReadiness, type ReadinessReport } from '../../functions/check-readiness/check-readiness';
import type { ReadinessCheckFailed } from '../../functions/shared/errors';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, migrationConfig, replicationTask } from '../support/migration';

// Two servers start beside the rest of the suite on a 2-core machine.
jest.setTimeout(60_000);

const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf';
const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf';
const SHARED = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };
const SCHEMA = 'shop';

let wellConfigured: ThrowawayMariadb;
/** STATEMENT format, MINIMAL row image, 6 h of binary logs, read_only: wrong as a source and as a target. */
let misconfigured: ThrowawayMariadb;
const secretsManager = mockClient(SecretsManagerClient);
const dms = mockClient(DatabaseMigrationServiceClient);

const credentials = (server: ThrowawayMariadb, username = 'root', password = '') => ({ host: server.host, port: server.port, username, password });

async function admin(server: { host: string; port: number }, work: (connection: Connection) => Promise<unknown>) {
  const connection = await createConnection({ host: server.host, port: server.port, user: 'root', multipleStatements: true });
  try {
    await work(connection);
  } finally {
    await connection.end();
  }
}

type Address = { host: string; port: number };

/** The task's DMS endpoints connect where the secrets point unless told otherwise. */
async function readiness(source: Address, target: Address, migrationType = 'full-load-and-cdc', readinessSettings = {}, endpoints: { source?: Address; target?: Address } = {}): Promise<ReadinessReport> {
  secretsManager.on(GetSecretValueCommand, { SecretId: SOURCE_SECRET }).resolves({ SecretString: JSON.stringify(source) });
  secretsManager.on(GetSecretValueCommand, { SecretId: TARGET_SECRET }).resolves({ SecretString: JSON.stringify(target) });
  dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ MigrationType: migrationType as never })] });
  const endpoint = (EndpointArn: string, EndpointIdentifier: string, { host, port }: Address): Endpoint => ({ EndpointArn, EndpointIdentifier, ServerName: host, Port: port });
  dms.on(DescribeEndpointsCommand).resolves({
    Endpoints: [endpoint(SOURCE_ENDPOINT_ARN, 'shop-source', endpoints.source ?? source), endpoint(TARGET_ENDPOINT_ARN, 'shop-target', endpoints.target ?? target)],
  });
  const config = migrationConfig({ database: { sourceSecretArn: SOURCE_SECRET, targetSecretArn: TARGET_SECRET, schemas: [SCHEMA], tls: 'disabled' }, readiness: readinessSettings });
  return checkReadiness({ secretsManager: new SecretsManagerClient({}), dms: new DatabaseMigrationServiceClient({}) }, config as never);
}

async function failedChecks(source: Address, target: Address, migrationType?: string, endpoints?: { source?: Address; target?: Address }): Promise<string[]> {
  const error = (await readiness(source, target, migrationType, {}, endpoints).then(
    () => undefined,
    (failure: unknown) => failure,
  )) as ReadinessCheckFailed | undefined;
  expect(error?.name).toBe('ReadinessCheckFailed');
  return error?.failedChecks ?? [];
}

async function serverHostname(): Promise<string> {
  const connection = await createConnection({ host: wellConfigured.host, port: wellConfigured.port, user: 'root' });
  try {
    const [[row]] = (await connection.query('SELECT @@hostname AS hostname')) as unknown as [Array<{ hostname: string }>];
    return row.hostname;
  } finally {
    await connection.end();
  }
}

const statusOf = (report: ReadinessReport) => Object.fromEntries(report.checks.map((check) => [`${check.side} ${check.id}`, check.status]));

beforeAll(async () => {
  // One after the other: two mariadb-install-db runs at once can collide on their temporary tables.
  wellConfigured = await startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'binlog-row-image': 'FULL', 'server-id': 7, 'expire-logs-days': 2 });
  misconfigured = await startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'STATEMENT', 'binlog-row-image': 'MINIMAL', 'server-id': 8, 'expire-logs-days': 0.25, 'read-only': true });
  const schema = `CREATE DATABASE ${SCHEMA};
    CREATE TABLE ${SCHEMA}.orders (id INT PRIMARY KEY, note TEXT, doc LONGBLOB) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
    INSERT INTO ${SCHEMA}.orders VALUES (1, 'short', REPEAT('x', 40000)), (2, NULL, NULL);
    CREATE TABLE ${SCHEMA}.events (happened DATETIME, what VARCHAR(20));`;
  await Promise.all([wellConfigured, misconfigured].map((server) => admin(server, (connection) => connection.query(schema))));
  await admin(wellConfigured, (connection) =>
    connection.query(`CREATE USER dms@'%' IDENTIFIED BY 'dms-password';
      GRANT REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO dms@'%'; GRANT SELECT ON \`${SCHEMA}\`.* TO dms@'%';
      CREATE USER reader@'%' IDENTIFIED BY 'reader-password'; GRANT SELECT ON other.* TO reader@'%';`),
  );
});

afterAll(async () => {
  secretsManager.restore();
  dms.restore();
  await Promise.all([wellConfigured?.stop(), misconfigured?.stop()]);
});

describe('readiness checks against real MariaDB servers', () => {
  it('passes a well-configured source as the DMS user, reporting LOBs, keyless tables and sizes as warnings or facts', async () => {
    const report = await readiness(credentials(wellConfigured, 'dms', 'dms-password'), SHARED);
    expect(report.migrationType).toBe('full-load-and-cdc');
    expect(statusOf(report)).toEqual({
      'target distinct-servers': 'pass',
      'source dms-source-endpoint-server': 'pass',
      'target dms-target-endpoint-server': 'pass',
      'source binlog': 'pass',
      'source binlog-format': 'pass',
      'source binlog-row-image': 'pass',
      'source binlog-retention': 'pass',
      'source server-id': 'pass',
      'source privileges': 'pass',
      'source primary-keys': 'warn',
      'source lob-columns': 'warn',
      'source table-sizes': 'pass',
      'target writable': 'pass',
      'target schemas': 'pass',
      'target collations': 'warn',
    });
    const byId = Object.fromEntries(report.checks.map((check) => [check.id, check]));
    expect(byId['binlog-retention'].seen).toBe('binlog_expire_logs_seconds: 48 h');
    expect(byId['primary-keys']).toMatchObject({ seen: '1 without a key: shop.events', remedy: expect.stringContaining('primary key') });
    expect(byId['lob-columns'].seen).toBe('shop.orders.doc longblob largest 39 KB');
    expect(byId.schemas.seen).toBe('missing shop (the user may create them)');
    // The throwaway server's default is latin1; a schema DMS creates on the target gets the target's default.
    expect(byId.collations.seen).toBe('1 differ: shop latin1_swedish_ci -> utf8mb4_general_ci');
    expect(report.outcome).toBe('ready-with-warnings');
  });

  it('fails a source without binary logging, and a source whose binlog format, row image and retention are wrong', async () => {
    // The shared server runs without a binary log, in MIXED format.
    expect((await failedChecks(SHARED, credentials(wellConfigured))).slice(0, 2)).toEqual([
      'source Binary logging is on: log_bin=OFF. Start the source with log-bin (and a server-id), then restart MySQL: DMS reads changes from the binary log.',
      expect.stringMatching(/^source binlog_format is ROW: binlog_format=MIXED\./),
    ]);
    const failures = await failedChecks(credentials(misconfigured), credentials(wellConfigured));
    expect(failures).toEqual([
      'source binlog_format is ROW: binlog_format=STATEMENT. Set binlog_format=ROW (SET GLOBAL and in the config file): DMS CDC needs row-based events.',
      expect.stringContaining('source binlog_row_image is FULL: binlog_row_image=MINIMAL.'),
      expect.stringContaining('source Binary logs are kept at least 24 h: binlog_expire_logs_seconds: 6 h.'),
    ]);
  });

  it('skips the binary log checks for a full-load-only task', async () => {
    const report = await readiness(credentials(misconfigured), credentials(wellConfigured), 'full-load');
    expect(report.checks.map((check) => check.id)).not.toContain('binlog-format');
    expect(report.migrationType).toBe('full-load');
  });

  it('fails a user without the replication and SELECT privileges, naming each', async () => {
    expect(await failedChecks(credentials(wellConfigured, 'reader', 'reader-password'), SHARED)).toEqual([
      "source The DMS user has the privileges DMS needs: missing: REPLICATION CLIENT ON *.*, REPLICATION SLAVE ON *.*, SELECT ON `shop`.*. Grant the source secret's user REPLICATION CLIENT ON *.*, REPLICATION SLAVE ON *.*, SELECT ON `shop`.* (privileges through roles are not seen here).",
    ]);
  });

  it('fails a read-only target', async () => {
    expect(await failedChecks(credentials(wellConfigured), credentials(misconfigured))).toEqual([
      'target The target is writable: read_only=ON. Point the target secret at the writer (not a reader or replica) and turn read_only off.',
    ]);
  });

  it('fails a target secret that reaches the source server under another name', async () => {
    const sourceServer = credentials(wellConfigured);
    const sourceAgain = { ...sourceServer, host: 'localhost' };
    const hostname = await serverHostname();
    expect(await failedChecks(sourceServer, sourceAgain)).toEqual([
      `target The source and target sessions reach two different servers: one server: ${hostname}:${wellConfigured.port}, server_id 7. Point the target secret at the target server: reading the source twice would prove nothing about the target.`,
    ]);
  });

  it('fails a DMS target endpoint that writes to another server than the target secret names', async () => {
    const source = credentials(wellConfigured);
    const target = credentials(misconfigured);
    await admin(misconfigured, (connection) => connection.query('SET GLOBAL read_only = OFF'));
    try {
      expect(await failedChecks(source, target, undefined, { target: source })).toEqual([
        `target The DMS target endpoint reaches the target secret's server: shop-target connects to 127.0.0.1:${wellConfigured.port}, but the target secret names 127.0.0.1:${misconfigured.port}. Point the endpoint and the target secret at the same server: DMS would write another server than the checks read.`,
      ]);
    } finally {
      await admin(misconfigured, (connection) => connection.query('SET GLOBAL read_only = ON'));
    }
  });

  it('reads the retention from mysql.rds_show_configuration where RDS provides it', async () => {
    await admin(wellConfigured, (connection) =>
      connection.query(`CREATE PROCEDURE mysql.rds_show_configuration() SELECT 'binlog retention hours' AS name, NULL AS value, 'binlog retention hours specifies the duration in hours before binary logs are automatically deleted.' AS description`),
    );
    try {
      expect(await failedChecks(credentials(wellConfigured), SHARED)).toEqual([
        expect.stringContaining('source Binary logs are kept at least 24 h: RDS binlog retention hours: 0 h (purged as soon as possible).'),
      ]);
    } finally {
      await admin(wellConfigured, (connection) => connection.query('DROP PROCEDURE mysql.rds_show_configuration'));
    }
  });
});
