import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DatabaseMigrationServiceClient, TableStatistics } from '@aws-sdk/client-database-migration-service';
import { CreateDBClusterSnapshotCommand, CreateDBSnapshotCommand, type RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { summarizeValidation, validationCoverage } from '../shared/validation-summary';
import { TABLE_STATES, qualifiedTableName, tablesNotCompleted } from '../shared/dms';
import { logger } from '../shared/logger';
import type { MigrationConfig } from '../shared/migration-input';
import { isFullLoadComplete, replicationOf, type Replication, type ReplicationState } from '../shared/replication';
import { snapshotIdentifier } from '../shared/snapshots';
import { HEARTBEAT_TABLE } from './catch-up';
import type { CutoverFacts } from './preconditions';

export interface CutoverClients {
  dms: DatabaseMigrationServiceClient;
  cloudWatch: CloudWatchClient;
  rds: RDSClient;
  ssm: SSMClient;
}

export interface CutoverTarget {
  writerEndpoint: string;
  port: number;
}

/** One switch of the applications' endpoint, in either direction. */
export interface SwitchPlan {
  /** The replication (task or serverless replication config) into the side being left: stopped before the endpoint moves. */
  stopTaskArn: string;
  /** What applications will read from the parameter: `host:port`. */
  endpoint: string;
  /** Snapshot the target before the switch (forward direction only). */
  snapshot: boolean;
  /**
   * Reads the new primary's binlog position once the stopped task can apply nothing more; the reverse
   * replication starts there, so it replays exactly the writes made after the switch.
   */
  capturePosition?: () => Promise<string>;
  /**
   * Runs once the switch is certain (snapshot taken, task stopped, position read) and before the endpoint is
   * published: what must exist once applications move (the cutover record, which a rollback needs) is
   * written here, so a failure leaves either nothing published or everything recorded.
   */
  beforePublish?: (pending: SwitchRecord) => Promise<void>;
}

export interface SwitchRecord {
  startedAt: string;
  completedAt: string;
  snapshotIdentifier?: string;
  endpointParameterName: string;
  endpoint: string;
  /** What the parameter held before: a rollback publishes it again. */
  previousEndpoint?: string;
  taskStatus: string;
  /** `file:position` on the new primary, the reverse task's CdcStartPosition. */
  binlogPosition?: string;
  /** True when an earlier run had already stopped the task and published this endpoint. */
  alreadySwitched: boolean;
}

/**
 * Moves applications: snapshots the target (when asked), stops the task, reads the new primary's binlog
 * position and publishes the endpoint. The gate and the catch-up proof come before it and are not repeated.
 * Idempotent: when the task is already stopped and the parameter already holds this endpoint, an earlier
 * run finished the job, so nothing is done again (no second snapshot).
 */
export async function switchOver(
  clients: CutoverClients,
  config: MigrationConfig,
  plan: SwitchPlan,
  now: () => Date = () => new Date(),
): Promise<SwitchRecord> {
  const startedAt = now();
  const parameterName = config.cutover.endpointParameterName;
  const replication = replicationOf(clients.dms, config).byArn(plan.stopTaskArn);
  const state = await replication.describe();
  // Both engines spell these two statuses alike (replication/vocabulary.ts).
  const taskStopped = state.status === 'stopped' || state.status === 'stopping';
  const previousEndpoint = await currentParameterValue(clients.ssm, parameterName);
  const record = (fields: Partial<SwitchRecord> & Pick<SwitchRecord, 'taskStatus' | 'alreadySwitched'>): SwitchRecord => ({
    startedAt: startedAt.toISOString(),
    completedAt: now().toISOString(),
    endpointParameterName: parameterName,
    endpoint: plan.endpoint,
    ...fields,
  });

  if (taskStopped && previousEndpoint === plan.endpoint) {
    logger.info('Switch already done by an earlier run', { parameterName });
    return record({ taskStatus: state.status, alreadySwitched: true });
  }

  const snapshot = plan.snapshot && config.cutover.snapshotBeforeCutover ? await snapshotTarget(clients.rds, config, startedAt) : undefined;
  // A finished full-load replication has already stopped itself.
  const taskStatus = taskStopped ? state.status : await replication.stop();
  const binlogPosition = plan.capturePosition ? await plan.capturePosition() : undefined;
  const switched = record({
    taskStatus,
    alreadySwitched: false,
    ...(snapshot ? { snapshotIdentifier: snapshot } : {}),
    ...(previousEndpoint !== undefined ? { previousEndpoint } : {}),
    ...(binlogPosition ? { binlogPosition } : {}),
  });
  await plan.beforePublish?.(switched);
  await clients.ssm.send(
    new PutParameterCommand({
      Name: parameterName,
      Value: plan.endpoint,
      Type: 'String',
      Overwrite: true,
      Description: `Database endpoint for ${config.migrationName} (host:port), set by dms-orchestrator at cutover`,
    }),
  );
  logger.info('Switched', { parameterName, snapshot });
  return { ...switched, completedAt: now().toISOString() };
}

/**
 * What the gate judges, read from DMS and CloudWatch for `taskArn` (the forward task, or the reverse task in
 * a rollback). The heartbeat table is left out of the validation: each marker makes it "pending" again.
 */
export async function gatherFacts(
  clients: Pick<CutoverClients, 'cloudWatch'>,
  config: MigrationConfig,
  replication: Pick<Replication, 'cdcLatency'>,
  state: ReplicationState,
  allTables: TableStatistics[],
  at: Date,
  requireValidation = config.validation.requireDmsValidation,
): Promise<CutoverFacts> {
  const tables = allTables.filter((table) => table.TableName !== HEARTBEAT_TABLE);
  const migrationType = state.migrationType;
  const facts: CutoverFacts = {
    taskStatus: state.status,
    migrationType,
    fullLoadFinished: isFullLoadComplete(state),
    // A full-load replication has no CDC, so DMS publishes no CDC latency for it.
    latencySeconds: migrationType === 'full-load' ? { source: [], target: [] } : await replication.cdcLatency(clients.cloudWatch, config.cutover.latencyWindowMinutes, at),
    erroredTables: tables.filter((table) => table.TableState === TABLE_STATES.error).map(qualifiedTableName),
    incompleteTables: tablesNotCompleted(tables),
  };
  if (requireValidation) {
    facts.validation = summarizeValidation(tables, validationCoverage(config));
    facts.pendingValidationRecords = tables.reduce((sum, table) => sum + (table.ValidationPendingRecords ?? 0), 0);
  }
  return facts;
}

async function snapshotTarget(rds: RDSClient, config: MigrationConfig, at: Date): Promise<string> {
  const identifier = snapshotIdentifier(config.migrationName, at);
  const tags = [{ Key: 'dms-orchestrator:migration', Value: config.migrationName }];
  if (config.target.type === 'aurora-cluster') {
    await rds.send(
      new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: identifier, DBClusterIdentifier: config.target.identifier, Tags: tags }),
    );
  } else {
    await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: identifier, DBInstanceIdentifier: config.target.identifier, Tags: tags }));
  }
  return identifier;
}

export async function currentParameterValue(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
    throw error;
  }
}
