import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Connection } from 'mysql2/promise';
import { describeReplicationTask } from '../shared/dms';
import { CutoverPreconditionFailed, InvalidInput, NothingToRollBack } from '../shared/errors';
import { targetSchemaName, tlsModeOf, type MigrationConfig } from '../shared/migration-input';
import { readDatabaseCredentials, withMysql, type DatabaseCredentials } from '../shared/mysql';
import { readBinlogPosition } from './binlog';
import { HEARTBEAT_TABLE, proveCatchUp, type CatchUpProof } from './catch-up';
import { switchOver, type CutoverTarget, type SwitchRecord } from './cutover';
import { loadCutoverRecord, saveCutoverRecord } from './cutover-record';
import { checkGate, probeDatabases, type GateReport, type IndependentValidation } from './gate';
import { findReverseTask, removeReversePath, startReverseReplication } from './reverse-replication';
import { freezeWrites, listSessionsHoldingWrites, readReadOnlySettings, restoreWrites, type ReadOnlySettings, type SessionHoldingWrites, type WriteFreeze } from './write-freeze';

/**
 * The cutover's steps as the workflow calls them, one per state, in both directions. `migrate` freezes the
 * source and proves the target caught up; `rollback` freezes the target and proves the old source caught up
 * through the reverse task. Each step is safe to run again after a retry.
 */
export interface CutoverStepClients {
  dms: DatabaseMigrationServiceClient;
  cloudWatch: CloudWatchClient;
  rds: RDSClient;
  ssm: SSMClient;
  secretsManager: SecretsManagerClient;
  dynamoDb: DynamoDBClient;
}

export interface StepSettings {
  tokenTableName: string;
}

type Side = 'source' | 'target';

/** The side whose writes are frozen (the applications' current primary) and the side that must catch up. */
function sidesOf(config: MigrationConfig): { primary: Side; replica: Side } {
  return config.mode === 'rollback' ? { primary: 'target', replica: 'source' } : { primary: 'source', replica: 'target' };
}

async function credentialsOf(clients: CutoverStepClients, config: MigrationConfig, side: Side): Promise<DatabaseCredentials> {
  const database = config.database as NonNullable<MigrationConfig['database']>;
  return readDatabaseCredentials(clients.secretsManager, side === 'source' ? database.sourceSecretArn : database.targetSecretArn, tlsModeOf(database, side));
}

async function onSide<T>(clients: CutoverStepClients, config: MigrationConfig, side: Side, work: (connection: Connection) => Promise<T>): Promise<T> {
  return withMysql(await credentialsOf(clients, config, side), side, work);
}

async function replicatingTaskArn(clients: CutoverStepClients, config: MigrationConfig): Promise<string> {
  if (config.mode !== 'rollback') return config.replicationTaskArn;
  const reverse = await findReverseTask(clients.dms, config);
  if (!reverse?.ReplicationTaskArn) throw new NothingToRollBack('There is no reverse replication task: nothing carries the target’s writes back, so a rollback would lose them');
  return reverse.ReplicationTaskArn;
}

export async function gateStep(clients: CutoverStepClients, config: MigrationConfig, independentValidation?: IndependentValidation): Promise<GateReport> {
  const { database } = config;
  const schema = database?.schemas[0];
  const probe = database && schema
    ? () => onSide(clients, config, 'source', (source) => onSide(clients, config, 'target', (target) => probeDatabases(source, target, schema, targetSchemaName(database, schema))))
    : undefined;
  return checkGate(clients, config, {
    direction: config.mode === 'rollback' ? 'to-source' : 'to-target',
    taskArn: await replicatingTaskArn(clients, config),
    ...(probe ? { probe } : {}),
    ...(independentValidation ? { independentValidation } : {}),
  });
}

export interface FreezeStep {
  side: Side;
  frozen: boolean;
  freeze?: WriteFreeze;
  /** Why nothing was frozen. */
  skipped?: string;
  /** Dry run: the settings and open writers the freeze would meet. */
  preview?: { current: ReadOnlySettings; sessionsHoldingWrites: SessionHoldingWrites[] };
}

/** Why this run has no freeze and no marker, or undefined when it has both. */
async function noCatchUpReason(clients: CutoverStepClients, config: MigrationConfig): Promise<string | undefined> {
  if (!config.database) return 'no database access in the input: the switch relies on CDC latency alone';
  if (config.mode !== 'rollback' && (await describeReplicationTask(clients.dms, config.replicationTaskArn)).MigrationType === 'full-load') {
    return 'full-load task: writes stopped before the load, there is no CDC to catch up';
  }
  return undefined;
}

export async function freezeStep(clients: CutoverStepClients, config: MigrationConfig): Promise<FreezeStep> {
  const { primary: side } = sidesOf(config);
  const skipped = (await noCatchUpReason(clients, config)) ?? (config.cutover.writeFreeze.enabled ? undefined : 'writeFreeze.enabled is false: the application was stopped another way');
  if (skipped) return { side, frozen: false, skipped };
  if (config.cutover.dryRun) {
    const preview = await onSide(clients, config, side, async (connection) => ({
      current: await readReadOnlySettings(connection),
      sessionsHoldingWrites: await listSessionsHoldingWrites(connection),
    }));
    return { side, frozen: false, skipped: 'dry run', preview };
  }
  return { side, frozen: true, freeze: await onSide(clients, config, side, (connection) => freezeWrites(connection)) };
}

export type CatchUpStep = CatchUpProof | { skipped: string };

export async function catchUpStep(clients: CutoverStepClients, config: MigrationConfig, freeze: FreezeStep, markerPrefix: string): Promise<CatchUpStep> {
  const skipped = await noCatchUpReason(clients, config);
  if (skipped) return { skipped };
  const database = config.database as NonNullable<MigrationConfig['database']>;
  const schema = database.schemas[0];
  const schemaOn = (side: Side) => (side === 'source' ? schema : targetSchemaName(database, schema));
  if (config.cutover.dryRun) return { skipped: `dry run: a marker would be written into ${schema}.${HEARTBEAT_TABLE} and awaited for up to ${config.cutover.writeFreeze.catchUpTimeoutSeconds} s` };
  const { primary, replica } = sidesOf(config);
  return onSide(clients, config, primary, (primaryConnection) =>
    onSide(clients, config, replica, (replicaConnection) =>
      proveCatchUp(primaryConnection, replicaConnection, {
        schema: schemaOn(primary),
        replicaSchema: schemaOn(replica),
        timeoutSeconds: config.cutover.writeFreeze.catchUpTimeoutSeconds,
        markerPrefix,
        ...(freeze.freeze ? { freeze: freeze.freeze } : {}),
      }),
    ),
  );
}

/** The failure path after a freeze: the frozen side gets its recorded settings back. Safe to repeat. */
export async function unfreezeStep(clients: CutoverStepClients, config: MigrationConfig, freeze: FreezeStep): Promise<{ restored?: ReadOnlySettings }> {
  if (!freeze.frozen || !freeze.freeze) return {};
  const previous = freeze.freeze.previous;
  return { restored: await onSide(clients, config, freeze.side, (connection) => restoreWrites(connection, previous)) };
}

export type SwitchStep = SwitchRecord & { sourceWritesRestored?: ReadOnlySettings };

export async function switchStep(
  clients: CutoverStepClients,
  settings: StepSettings,
  config: MigrationConfig,
  target: CutoverTarget | undefined,
  freeze: FreezeStep,
  now: () => Date = () => new Date(),
): Promise<SwitchStep> {
  if (config.mode === 'rollback') return switchBack(clients, settings, config, now);
  if (!target) throw new InvalidInput(['target: the target writer endpoint is needed to switch to it']);
  const readTargetPosition = config.rollback.enabled ? () => onSide(clients, config, 'target', readBinlogPosition) : undefined;
  const switched = await switchOver(
    clients,
    config,
    { stopTaskArn: config.replicationTaskArn, endpoint: `${target.writerEndpoint}:${target.port}`, snapshot: true, ...(readTargetPosition ? { capturePosition: readTargetPosition } : {}) },
    now,
  );
  if (!switched.alreadySwitched) {
    await saveCutoverRecord(clients.dynamoDb, settings.tokenTableName, {
      migrationName: config.migrationName,
      switchedAt: switched.completedAt,
      endpoint: switched.endpoint,
      previousEndpoint: switched.previousEndpoint,
      sourceReadOnlyBeforeFreeze: freeze.freeze?.previous,
      reverseStartPosition: switched.binlogPosition,
    });
  }
  return switched;
}

/**
 * Rollback's switch: stops the reverse task once the old source caught up, publishes the endpoint the
 * applications had before the cutover (or the source's address), and gives the source back the read_only
 * settings it had before the first freeze, so applications can write there again.
 */
async function switchBack(clients: CutoverStepClients, settings: StepSettings, config: MigrationConfig, now: () => Date): Promise<SwitchStep> {
  const record = await loadCutoverRecord(clients.dynamoDb, settings.tokenTableName, config.migrationName);
  const stopTaskArn = await replicatingTaskArn(clients, config);
  const sourceAddress = !record.previousEndpoint && config.database ? await credentialsOf(clients, config, 'source') : undefined;
  const endpoint = record.previousEndpoint ?? (sourceAddress ? `${sourceAddress.host}:${sourceAddress.port}` : undefined);
  if (!endpoint) throw new NothingToRollBack('The cutover record has no earlier endpoint and the input no source database: nothing to switch back to');
  const switched = await switchOver(clients, config, { stopTaskArn, endpoint, snapshot: false }, now);
  const beforeFreeze = record.sourceReadOnlyBeforeFreeze;
  const sourceWritesRestored = beforeFreeze && config.database ? await onSide(clients, config, 'source', (connection) => restoreWrites(connection, beforeFreeze)) : undefined;
  await saveCutoverRecord(clients.dynamoDb, settings.tokenTableName, { ...record, rolledBackAt: switched.completedAt });
  return { ...switched, ...(sourceWritesRestored ? { sourceWritesRestored } : {}) };
}

/**
 * Starts the way back right after the switch. The old source stays read_only for applications, but
 * super_read_only goes back to its earlier value so the reverse task's user (which needs READ ONLY ADMIN in
 * MariaDB, CONNECTION_ADMIN or SUPER in MySQL) can apply the target's writes.
 */
export async function startReverseStep(clients: CutoverStepClients, config: MigrationConfig, switched: SwitchRecord, freeze: FreezeStep): Promise<Awaited<ReturnType<typeof startReverseReplication>>> {
  const reverse = await findReverseTask(clients.dms, config);
  if (!reverse?.ReplicationTaskArn) throw new NothingToRollBack('The reverse replication task disappeared after the gate');
  if (!switched.binlogPosition) throw new NothingToRollBack('The switch recorded no binlog position on the target: the reverse task has no safe start');
  const frozen = freeze.freeze;
  if (frozen?.superReadOnlyAvailable) {
    await onSide(clients, config, 'source', (connection) => restoreWrites(connection, { readOnly: 'ON', superReadOnly: frozen.previous.superReadOnly ?? 'OFF' }));
  }
  return startReverseReplication(clients.dms, config, reverse.ReplicationTaskArn, switched.binlogPosition);
}

/** `complete`: after the soak, the way back is removed. Refuses before the soak is over or after a rollback. */
export async function completeStep(
  clients: CutoverStepClients,
  settings: StepSettings,
  config: MigrationConfig,
  soakOnly = false,
  now: () => Date = () => new Date(),
): Promise<{ soakEndedAt: string; removed: boolean; taskStatus: string }> {
  const record = await loadCutoverRecord(clients.dynamoDb, settings.tokenTableName, config.migrationName);
  if (record.rolledBackAt) throw new NothingToRollBack(`The cutover was rolled back at ${record.rolledBackAt}: the applications use the source again, there is nothing to complete`);
  const soakEndsAt = new Date(new Date(record.switchedAt).getTime() + config.rollback.soakMinutes * 60_000);
  if (now() < soakEndsAt) {
    throw new CutoverPreconditionFailed([`the soak time after the cutover runs until ${soakEndsAt.toISOString()}; the way back stays until then`]);
  }
  if (soakOnly || config.cutover.dryRun) return { soakEndedAt: soakEndsAt.toISOString(), removed: false, taskStatus: 'not changed yet' };
  const removal = await removeReversePath(clients.dms, config);
  if (removal.removed) await saveCutoverRecord(clients.dynamoDb, settings.tokenTableName, { ...record, completedAt: now().toISOString() });
  return { soakEndedAt: soakEndsAt.toISOString(), removed: removal.removed, taskStatus: removal.taskStatus };
}
