import {
  CreateReplicationTaskCommand,
  DeleteReplicationTaskCommand,
  DescribeReplicationTasksCommand,
  ResourceNotFoundFault,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
  type ReplicationTask,
} from '@aws-sdk/client-database-migration-service';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { heartbeatTableDdl } from '../../functions/cutover/catch-up';
import { cutoverRecordKey } from '../../functions/cutover/cutover-record';
import { reverseTaskIdentifier } from '../../functions/cutover/reverse-replication';
import type { MigrationInput } from '../../functions/shared/migration-input';
import { connectMysql } from '../../functions/shared/mysql';
import { startNativeReplication, startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { HAPPY_PATH, type LocalAws, type Scenario } from './local-aws';
import { migrationInput } from './migration';

/**
 * The cutover executed against two real MariaDB servers (test/statemachine/cutover*.test.ts). Forward, the "DMS"
 * that carries the marker is native replication: the target is a replica of the source, applying the binlog in
 * commit order as DMS CDC does. Backward (rollback), `startReverseReplication` makes the source a native replica
 * of the target, standing in for the reverse DMS task. The DMS API itself is LocalAws's simulated task, and the reverse task
 * `fakeReverseTask`.
 */
export const SCHEMA = 'orders';
export const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf';
export const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf';
export const PARAMETER = '/apps/orders/database-endpoint';
export const TARGET_ENDPOINT = 'orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com:3306';
/** What the cutover record says the parameter held before the cutover: a rollback publishes it again. */
export const SOURCE_ENDPOINT = 'orders-ec2.internal:3306';
export const REVERSE_TASK_ARN = 'arn:aws:dms:eu-west-1:123456789012:task:ORDERSREVERSETASKABCDEFGHIJ';
export const REVERSE = {
  enabled: true,
  reverseSourceEndpointArn: 'arn:aws:dms:eu-west-1:123456789012:endpoint:ORDERSREVERSESOURCE',
  reverseTargetEndpointArn: 'arn:aws:dms:eu-west-1:123456789012:endpoint:ORDERSREVERSETARGET',
};
export const MAPPINGS = JSON.stringify({
  rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'orders', 'object-locator': { 'schema-name': SCHEMA, 'table-name': '%' }, 'rule-action': 'include' }],
});
/** Generous, since replication on a loaded machine can lag seconds; a timeout scenario sets the shortest allowed. */
export const CATCH_UP_TIMEOUT_SECONDS = 30;

export interface CutoverServers {
  source: ThrowawayMariadb;
  target: ThrowawayMariadb;
  sourceAdmin: Connection;
  targetAdmin: Connection;
  stop(): Promise<void>;
}

export const credentials = (server: ThrowawayMariadb, username = 'root', password = '') => ({ host: server.host, port: server.port, username, password });

/**
 * The application's schema on the source: its orders table, the cutover's heartbeat table, and the application's
 * own user, with no privilege that read_only lets through.
 */
export async function createOrdersSchema(admin: Connection): Promise<void> {
  await admin.query(`CREATE DATABASE ${SCHEMA}`);
  await admin.query(`CREATE TABLE ${SCHEMA}.orders (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40) NOT NULL)`);
  await admin.query(heartbeatTableDdl(SCHEMA));
  await admin.query("CREATE USER 'app'@'%' IDENTIFIED BY 'app-password'");
  await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${SCHEMA}.* TO 'app'@'%'`);
}

/**
 * Two servers with binary logs, the target a native replica of the source, the `orders` schema with its
 * heartbeat table, and an application user without privileges to write under read_only.
 */
export async function startCutoverServers(): Promise<CutoverServers> {
  const [source, target] = await Promise.all([
    startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'server-id': 1 }),
    startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'server-id': 2 }),
  ]);
  const sourceAdmin = await connectMysql(credentials(source), 'source');
  const targetAdmin = await connectMysql(credentials(target), 'target');
  await startNativeReplication(source, sourceAdmin, targetAdmin);
  // Replicated to the target with everything else.
  await createOrdersSchema(sourceAdmin);
  return {
    source,
    target,
    sourceAdmin,
    targetAdmin,
    stop: async () => {
      await Promise.all([sourceAdmin.end(), targetAdmin.end()]);
      await Promise.all([source.stop(), target.stop()]);
    },
  };
}

/** The simulated migration whose databases are the two servers. */
export function cutoverScenario(servers: Pick<CutoverServers, 'source' | 'target'>, changes: Partial<Scenario> = {}): Scenario {
  return {
    ...HAPPY_PATH,
    tableMappings: MAPPINGS,
    databaseSecrets: {
      [SOURCE_SECRET]: JSON.stringify(credentials(servers.source)),
      [TARGET_SECRET]: JSON.stringify(credentials(servers.target)),
    },
    ...changes,
  };
}

/** The migration input with database access to both servers; no cutover approval unless a test asks for one. */
export function cutoverInput(overrides: Partial<MigrationInput> = {}, cutover: Partial<NonNullable<MigrationInput['cutover']>> = {}): MigrationInput {
  return migrationInput({
    database: { sourceSecretArn: SOURCE_SECRET, targetSecretArn: TARGET_SECRET, schemas: [SCHEMA], tls: 'disabled' },
    validation: { requireDmsValidation: false },
    cutover: { endpointParameterName: PARAMETER, approvalRequired: false, writeFreeze: { catchUpTimeoutSeconds: CATCH_UP_TIMEOUT_SECONDS }, ...cutover },
    ...overrides,
  });
}

/** An order placed as the application places it: refused while its server is read-only. Resolves to the new id. */
export async function appWrite(server: ThrowawayMariadb): Promise<number> {
  const app = await connectMysql(credentials(server, 'app', 'app-password'), 'application');
  try {
    const [result] = await app.query<ResultSetHeader>(`INSERT INTO ${SCHEMA}.orders (note) VALUES ('application write')`);
    return result.insertId;
  } finally {
    await app.end();
  }
}

/** The cutover record and a running reverse task, as a migration with rollback enabled leaves them. */
export function afterCutover(aws: LocalAws, migrationName = 'Orders to Aurora'): void {
  aws.items.set(
    cutoverRecordKey(migrationName),
    marshall({
      pk: cutoverRecordKey(migrationName),
      migrationName,
      switchedAt: '2026-11-24T23:00:00.000Z',
      endpoint: TARGET_ENDPOINT,
      previousEndpoint: SOURCE_ENDPOINT,
      sourceReadOnlyBeforeFreeze: { readOnly: 'OFF' },
      reverseStartPosition: 'binlog.000001:4',
    }),
  );
  fakeReverseTask(aws, 'running', migrationName);
}

/**
 * The reverse DMS task as DMS treats it: not found until created, created `ready`, started at a CDC
 * position, stopped, deleted. Each change is recorded in dmsActions.
 */
export function fakeReverseTask(aws: LocalAws, initialStatus?: string, migrationName = 'Orders to Aurora'): void {
  const identifier = reverseTaskIdentifier(migrationName);
  let reverse: ReplicationTask | undefined = initialStatus
    ? {
        ReplicationTaskIdentifier: identifier,
        ReplicationTaskArn: REVERSE_TASK_ARN,
        SourceEndpointArn: REVERSE.reverseSourceEndpointArn,
        TargetEndpointArn: REVERSE.reverseTargetEndpointArn,
        MigrationType: 'cdc',
        TableMappings: MAPPINGS,
        Status: initialStatus,
      }
    : undefined;
  // A task made by an earlier cutover carries the tag that cutover gave it, which the role's conditions read.
  if (initialStatus) aws.resourceTags.set(REVERSE_TASK_ARN, { 'dms-orchestrator:migration': migrationName });
  const describe = () => {
    if (!reverse) throw new ResourceNotFoundFault({ message: 'No replication tasks found', $metadata: {} });
    return { ReplicationTasks: [reverse] };
  };
  aws.dms.on(DescribeReplicationTasksCommand, { Filters: [{ Name: 'replication-task-id', Values: [identifier] }] }).callsFake(describe);
  aws.dms.on(DescribeReplicationTasksCommand, { Filters: [{ Name: 'replication-task-arn', Values: [REVERSE_TASK_ARN] }] }).callsFake(describe);
  aws.dms.on(CreateReplicationTaskCommand).callsFake((input) => {
    aws.dmsActions.push(`CreateReplicationTask ${input.MigrationType} ${input.SourceEndpointArn === REVERSE.reverseSourceEndpointArn ? 'target->source' : '?'}`);
    reverse = { ReplicationTaskIdentifier: input.ReplicationTaskIdentifier, ReplicationTaskArn: REVERSE_TASK_ARN, MigrationType: input.MigrationType, TableMappings: input.TableMappings, Status: 'ready' };
    aws.resourceTags.set(REVERSE_TASK_ARN, Object.fromEntries((input.Tags ?? []).map((tag: { Key: string; Value: string }) => [tag.Key, tag.Value])));
    return { ReplicationTask: { ...reverse, Status: 'creating' } };
  });
  aws.dms.on(StartReplicationTaskCommand, { ReplicationTaskArn: REVERSE_TASK_ARN }).callsFake((input) => {
    aws.dmsActions.push(`StartReplicationTask reverse at ${input.CdcStartPosition}`);
    reverse = { ...(reverse as ReplicationTask), Status: 'running' };
    return { ReplicationTask: { ...reverse, Status: 'starting' } };
  });
  aws.dms.on(StopReplicationTaskCommand, { ReplicationTaskArn: REVERSE_TASK_ARN }).callsFake(() => {
    aws.dmsActions.push('StopReplicationTask reverse');
    reverse = { ...(reverse as ReplicationTask), Status: 'stopped' };
    return { ReplicationTask: { ...reverse, Status: 'stopping' } };
  });
  aws.dms.on(DeleteReplicationTaskCommand, { ReplicationTaskArn: REVERSE_TASK_ARN }).callsFake(() => {
    aws.dmsActions.push('DeleteReplicationTask reverse');
    const deleted = { ...(reverse as ReplicationTask), Status: 'deleting' };
    reverse = undefined;
    return { ReplicationTask: deleted };
  });
}

/**
 * Stands in for the reverse DMS task while it runs: the source becomes a native replica of the target from the
 * target's current binlog position, applying the target's writes in commit order, as the reverse task does from
 * the position read at the switch. The source does not log what it applies (log_slave_updates is off), so
 * nothing comes back to the target through the forward replication. `stop()` lets the source apply what the
 * target wrote so far, as a reverse task that keeps running would, then ends it and forgets the target.
 */
export async function startReverseReplication(servers: Pick<CutoverServers, 'target' | 'sourceAdmin' | 'targetAdmin'>): Promise<{ stop(): Promise<void> }> {
  await startNativeReplication(servers.target, servers.targetAdmin, servers.sourceAdmin);
  return {
    stop: async () => {
      const [[written]] = await servers.targetAdmin.query<RowDataPacket[]>('SHOW MASTER STATUS');
      await servers.sourceAdmin.query('SELECT MASTER_POS_WAIT(?, ?, 60)', [written.File, written.Position]);
      await servers.sourceAdmin.query('STOP SLAVE');
      await servers.sourceAdmin.query('RESET SLAVE ALL');
    },
  };
}
