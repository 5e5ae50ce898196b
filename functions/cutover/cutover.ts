import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  StopReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
  type ReplicationTask,
} from '@aws-sdk/client-database-migration-service';
import { CreateDBClusterSnapshotCommand, CreateDBSnapshotCommand, type RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { summarizeValidation } from '../check-validation/check-validation';
import { readCdcLatency } from '../shared/cdc-latency';
import { TABLE_STATES, describeAllTableStatistics, describeReplicationTask, isFullLoadComplete, qualifiedTableName } from '../shared/dms';
import { CutoverPreconditionFailed, TaskInUnexpectedState } from '../shared/errors';
import { logger } from '../shared/logger';
import type { MigrationConfig } from '../shared/migration-input';
import { snapshotIdentifier } from '../shared/snapshots';
import { cutoverBlockers, type CutoverFacts } from './preconditions';

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

export interface CutoverRecord {
  startedAt: string;
  completedAt: string;
  /** Highest CDC latency seen in the window before the switch; absent when this run found the cutover done. */
  cdcLatencySeconds?: { source: number; target: number };
  snapshotIdentifier?: string;
  endpointParameterName: string;
  /** What applications read from the parameter: `host:port`. */
  endpoint: string;
  taskStatus: string;
  /** True when an earlier run had already stopped the task and published this endpoint. */
  alreadyCutOver: boolean;
}

/**
 * Switches applications to the target: checks every precondition, snapshots the target, stops the task and
 * publishes the endpoint. Idempotent: when the task is already stopped and the parameter already holds this
 * endpoint, an earlier run finished the job, so nothing is done again (no second snapshot). A stopped task
 * whose endpoint was NOT published is refused, not "finished": nothing proves CDC had drained when it stopped.
 */
export async function cutover(
  clients: CutoverClients,
  config: MigrationConfig,
  target: CutoverTarget,
  now: () => Date = () => new Date(),
): Promise<CutoverRecord> {
  const startedAt = now();
  const endpoint = `${target.writerEndpoint}:${target.port}`;
  const parameterName = config.cutover.endpointParameterName;
  const task = await describeReplicationTask(clients.dms, config.replicationTaskArn);
  const taskStopped = task.Status === 'stopped' || task.Status === 'stopping';

  if (taskStopped && (await currentParameterValue(clients.ssm, parameterName)) === endpoint) {
    logger.info('Cutover already done by an earlier run', { parameterName });
    return {
      startedAt: startedAt.toISOString(),
      completedAt: now().toISOString(),
      endpointParameterName: parameterName,
      endpoint,
      taskStatus: task.Status ?? 'unknown',
      alreadyCutOver: true,
    };
  }

  const facts = await gatherFacts(clients, config, task, startedAt);
  const blockers = cutoverBlockers(facts, config.cutover);
  if (blockers.length > 0) throw new CutoverPreconditionFailed(blockers);

  const snapshot = config.cutover.snapshotBeforeCutover ? await snapshotTarget(clients.rds, config, startedAt) : undefined;
  // A finished full-load task has already stopped itself.
  const taskStatus = taskStopped ? (task.Status ?? 'stopped') : await stopTask(clients.dms, config.replicationTaskArn);
  await clients.ssm.send(
    new PutParameterCommand({
      Name: parameterName,
      Value: endpoint,
      Type: 'String',
      Overwrite: true,
      Description: `Database endpoint for ${config.migrationName} (host:port), set by dms-orchestrator at cutover`,
    }),
  );
  logger.info('Cut over', { parameterName, snapshot });
  const record: CutoverRecord = {
    startedAt: startedAt.toISOString(),
    completedAt: now().toISOString(),
    endpointParameterName: parameterName,
    endpoint,
    taskStatus,
    alreadyCutOver: false,
  };
  if (facts.latencySeconds.source.length > 0) {
    record.cdcLatencySeconds = { source: Math.max(...facts.latencySeconds.source), target: Math.max(...facts.latencySeconds.target) };
  }
  if (snapshot) record.snapshotIdentifier = snapshot;
  return record;
}

async function gatherFacts(clients: CutoverClients, config: MigrationConfig, task: ReplicationTask, at: Date): Promise<CutoverFacts> {
  const tables = await describeAllTableStatistics(clients.dms, config.replicationTaskArn);
  const migrationType = task.MigrationType ?? 'unknown';
  const facts: CutoverFacts = {
    taskStatus: task.Status ?? 'unknown',
    migrationType,
    fullLoadFinished: isFullLoadComplete(task),
    // A full-load task has no CDC, so DMS publishes no CDC latency for it.
    latencySeconds: migrationType === 'full-load' ? { source: [], target: [] } : await readCdcLatency(clients, config, at),
    erroredTables: tables.filter((table) => table.TableState === TABLE_STATES.error).map(qualifiedTableName),
  };
  if (config.validation.requireDmsValidation) facts.validation = summarizeValidation(tables);
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

/** Stops the task; a task already stopping or stopped is what we want, not an error. */
async function stopTask(dms: DatabaseMigrationServiceClient, replicationTaskArn: string): Promise<string> {
  try {
    const response = await dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: replicationTaskArn }));
    return response.ReplicationTask?.Status ?? 'stopping';
  } catch (error) {
    if (!(error instanceof Error && error.name === 'InvalidResourceStateFault')) throw error;
    const status = (await describeReplicationTask(dms, replicationTaskArn)).Status ?? 'unknown';
    if (status === 'stopping' || status === 'stopped') return status;
    throw new TaskInUnexpectedState(`DMS would not stop the task (now "${status}"): ${error.message}`);
  }
}

async function currentParameterValue(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
    throw error;
  }
}
