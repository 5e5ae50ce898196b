import {
  CreateReplicationConfigCommand,
  DeleteReplicationConfigCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  StartReplicationCommand,
  StopReplicationCommand,
  type CreateReplicationConfigCommandInput,
  type Replication,
  type ReplicationConfig,
  type StartReplicationCommandInput,
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
import { REVERSE_TAG_KEY } from '../../functions/shared/cutover-vocabulary';
import { STOP_REASONS } from '../../functions/shared/dms';
import type { ReplicationEngine } from '../../functions/shared/replication';
import type { ServerlessStatus } from '../../functions/shared/replication/vocabulary';
import type { DmsMigrationType } from '../../local/emulator/dms/definitions';
import { REPLICATION_STARTING_STATUSES, refuseDeletion, refuseStart, refuseStop, type ReplicationStanding } from '../../local/emulator/dms/replication';
import { computeConfigOf } from '../../local/emulator/dms/serverless-api';
import { AwsServiceError } from '../../local/emulator/protocols';
import { answeredByEmulator } from './emulator-operations';
import { HAPPY_PATH, type LocalAws, type Scenario } from './local-aws';
import { TASK_ENGINE, type EngineFixture } from './engines';

/**
 * The cutover executed against two real MariaDB servers (test/statemachine/cutover*.test.ts). Forward, the "DMS"
 * that carries the marker is native replication: the target is a replica of the source, applying the binlog in
 * commit order as DMS CDC does. Backward (rollback), `startReverseReplication` makes the source a native replica
 * of the target, standing in for the way back's DMS replication. The DMS API itself is LocalAws's simulated
 * replication, and the way back the engine's fake (WAY_BACKS: `fakeReverseTask`, `fakeReverseConfig`).
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
export function cutoverInput(overrides: Partial<MigrationInput> = {}, cutover: Partial<NonNullable<MigrationInput['cutover']>> = {}, engine: EngineFixture = TASK_ENGINE): MigrationInput {
  return engine.input({
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

/** The cutover record and a running way back, as a migration with rollback enabled leaves them. */
export function afterCutover(aws: LocalAws, migrationName = 'Orders to Aurora', engine: ReplicationEngine = 'task'): void {
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
  WAY_BACKS[engine].fake(aws, 'running', migrationName);
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

export const REVERSE_CONFIG_ARN = 'arn:aws:dms:eu-west-1:123456789012:replication-config:ORDERSREVERSECONFIGABCDEF';

/**
 * The way back's DMS Serverless replication config as DMS treats it, with the emulator's own refusals
 * (local/emulator/dms: refuseStart, refuseStop, refuseDeletion, computeConfigOf) and statuses
 * (functions/shared/replication/vocabulary.ts). DMS moves on one step per DescribeReplications read rather
 * than on a clock, so every run goes alike: not found until created; created `created`, tagged; started at a
 * CDC position through the start-up statuses (capacity provisioning, then provisioned) to `running`; stopped,
 * `stopping`, then `stopped` (Stop Reason NORMAL) while its capacity is given back (`deprovisioning`, then
 * `deprovisioned`); deletable only then: `deleting`, then gone. Each change is recorded in dmsActions.
 */
export function fakeReverseConfig(aws: LocalAws, initialStatus?: 'running', migrationName = 'Orders to Aurora'): void {
  const identifier = reverseTaskIdentifier(migrationName);
  const running: Partial<Replication> = { Status: 'running', ProvisionData: { ProvisionState: 'provisioned', ProvisionedCapacityUnits: 2 } };
  let config: ReplicationConfig | undefined;
  let replication: Replication | undefined;
  let everStarted = false;
  /** What DMS does next, one step before each read; `undefined` removes the config. */
  let pending: Array<Partial<Replication> | undefined> = [];
  const make = (created: ReplicationConfig, status: Partial<Replication>) => {
    config = created;
    const { ReplicationConfigIdentifier, ReplicationConfigArn, SourceEndpointArn, TargetEndpointArn, ReplicationType } = created;
    replication = { ReplicationConfigIdentifier, ReplicationConfigArn, SourceEndpointArn, TargetEndpointArn, ReplicationType, ...status };
  };
  if (initialStatus) {
    make({ ReplicationConfigIdentifier: identifier, ReplicationConfigArn: REVERSE_CONFIG_ARN, SourceEndpointArn: REVERSE.reverseSourceEndpointArn, TargetEndpointArn: REVERSE.reverseTargetEndpointArn, ReplicationType: 'cdc', TableMappings: MAPPINGS }, running);
    everStarted = true;
    // Made by an earlier cutover, with the tag that cutover gave it, which the role's conditions read.
    aws.resourceTags.set(REVERSE_CONFIG_ARN, { [REVERSE_TAG_KEY]: migrationName });
  }
  const existing = (): Replication => {
    if (!replication) throw new AwsServiceError('ResourceNotFoundFault', 'No replication configs found matching provided filters');
    return replication;
  };
  const standing = (): ReplicationStanding => {
    const { Status, ReplicationType, ProvisionData } = existing();
    return { identifier, status: Status as ServerlessStatus, migrationType: ReplicationType as DmsMigrationType, everStarted, provisionState: ProvisionData?.ProvisionState };
  };
  const describe = () => {
    if (pending.length > 0) {
      const step = pending.shift();
      replication = step && { ...existing(), ...step };
      if (!step) config = undefined;
    }
    return { Replications: [existing()] };
  };
  const faults = { InvalidResourceStateFault, ResourceAlreadyExistsFault, ResourceNotFoundFault };
  const answer = <Input>(operation: (input: Input) => unknown) => answeredByEmulator(operation, faults);
  for (const filter of [{ Name: 'replication-config-id', Values: [identifier] }, { Name: 'replication-config-arn', Values: [REVERSE_CONFIG_ARN] }]) {
    aws.dms.on(DescribeReplicationsCommand, { Filters: [filter] }).callsFake(answer(describe));
  }
  aws.dms.on(DescribeReplicationConfigsCommand, { Filters: [{ Name: 'replication-config-arn', Values: [REVERSE_CONFIG_ARN] }] }).callsFake(
    answer(() => {
      if (!config) throw new AwsServiceError('ResourceNotFoundFault', 'No replication configs found matching provided filters');
      return { ReplicationConfigs: [config] };
    }),
  );
  aws.dms.on(CreateReplicationConfigCommand).callsFake(
    answer((input: CreateReplicationConfigCommandInput) => {
      if (replication) throw new AwsServiceError('ResourceAlreadyExistsFault', `Replication config ${input.ReplicationConfigIdentifier} already exists`);
      const ComputeConfig = computeConfigOf(input.ComputeConfig);
      aws.dmsActions.push(`CreateReplicationConfig ${input.ReplicationType} ${input.SourceEndpointArn === REVERSE.reverseSourceEndpointArn ? 'target->source' : '?'}`);
      const { ReplicationConfigIdentifier, SourceEndpointArn, TargetEndpointArn, ReplicationType, TableMappings } = input;
      make({ ReplicationConfigIdentifier, ReplicationConfigArn: REVERSE_CONFIG_ARN, SourceEndpointArn, TargetEndpointArn, ReplicationType, TableMappings, ComputeConfig }, { Status: 'created' });
      aws.resourceTags.set(REVERSE_CONFIG_ARN, Object.fromEntries((input.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])));
      return { ReplicationConfig: config };
    }),
  );
  aws.dms.on(StartReplicationCommand, { ReplicationConfigArn: REVERSE_CONFIG_ARN }).callsFake(
    answer((input: StartReplicationCommandInput) => {
      refuseStart(standing(), { ...input });
      aws.dmsActions.push(`StartReplication reverse at ${input.CdcStartPosition}`);
      everStarted = true;
      replication = { ...existing(), Status: 'initializing', StartReplicationType: input.StartReplicationType, CdcStartPosition: input.CdcStartPosition, StopReason: undefined };
      pending = REPLICATION_STARTING_STATUSES.slice(1).map((Status) => ({
        Status,
        ...(Status === 'provisioning_capacity' ? { ProvisionData: { ProvisionState: 'provisioning' } } : {}),
        ...(Status === 'replication_starting' ? { ProvisionData: running.ProvisionData } : {}),
      }));
      pending.push(running);
      return { Replication: replication };
    }),
  );
  aws.dms.on(StopReplicationCommand, { ReplicationConfigArn: REVERSE_CONFIG_ARN }).callsFake(
    answer(() => {
      refuseStop(standing());
      aws.dmsActions.push('StopReplication reverse');
      replication = { ...existing(), Status: 'stopping' };
      pending = [
        { Status: 'stopped', StopReason: STOP_REASONS.normal, ReplicationLastStopTime: new Date(), ProvisionData: { ...replication.ProvisionData, ProvisionState: 'deprovisioning' } },
        { ProvisionData: { ProvisionState: 'deprovisioned', ProvisionedCapacityUnits: 0 } },
      ];
      return { Replication: replication };
    }),
  );
  aws.dms.on(DeleteReplicationConfigCommand, { ReplicationConfigArn: REVERSE_CONFIG_ARN }).callsFake(
    answer(() => {
      refuseDeletion(standing());
      aws.dmsActions.push('DeleteReplicationConfig reverse');
      replication = { ...existing(), Status: 'deleting' };
      pending = [undefined];
      return { ReplicationConfig: config };
    }),
  );
}

/** The way back on each engine: LocalAws's fake of it (one not yet created, or running) and what dmsActions records of it. */
export interface WayBackFake {
  fake(aws: LocalAws, initialStatus?: 'running', migrationName?: string): void;
  actions: { create: string; start(cdcStartPosition: string): string; stop: string; delete: string };
  /**
   * The calls `complete` makes to end it once it runs: the stop, then the delete; DMS Serverless refuses the
   * delete once more while it gives the stopped replication's capacity back (deprovisioning).
   */
  removalCalls: number;
}

export const WAY_BACKS: Record<ReplicationEngine, WayBackFake> = {
  task: {
    fake: fakeReverseTask,
    actions: { create: 'CreateReplicationTask cdc target->source', start: (position) => `StartReplicationTask reverse at ${position}`, stop: 'StopReplicationTask reverse', delete: 'DeleteReplicationTask reverse' },
    removalCalls: 2,
  },
  serverless: {
    fake: fakeReverseConfig,
    actions: { create: 'CreateReplicationConfig cdc target->source', start: (position) => `StartReplication reverse at ${position}`, stop: 'StopReplication reverse', delete: 'DeleteReplicationConfig reverse' },
    removalCalls: 3,
  },
};

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
