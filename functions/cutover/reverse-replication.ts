import {
  CreateReplicationTaskCommand,
  DeleteReplicationTaskCommand,
  DescribeReplicationTasksCommand,
  StartReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
  type ReplicationTask,
} from '@aws-sdk/client-database-migration-service';
import { describeReplicationTask } from '../shared/dms';
import { ConnectionTestFailed, NothingToRollBack, TaskInUnexpectedState } from '../shared/errors';
import { logger } from '../shared/logger';
import { migrationSlug, type MigrationConfig } from '../shared/migration-input';
import { testConnections, type EndpointConnection } from '../shared/connection-tests';
import { stopTask } from './switch';

/**
 * The way back: a CDC-only DMS task from the target (reverse source endpoint) to the old source (reverse
 * target endpoint), created and tested before the freeze, started right after the switch at the target's
 * binlog position, so the old source keeps receiving every write made on the target. Its endpoints are the
 * operator's (named in `rollback`); the task is ours, named after the migration.
 */
export function reverseTaskIdentifier(migrationName: string): string {
  return `dms-orch-${migrationSlug(migrationName).slice(0, 200)}-reverse`;
}

export interface ReversePath {
  taskArn?: string;
  taskStatus: string;
  /** `testing` until DMS has tested both reverse endpoints; `failed` (dry run only: otherwise an error) with DMS's words. */
  connections: { status: 'successful' | 'testing' | 'failed'; endpoints: EndpointConnection[]; problem?: string };
  /** The task does not exist yet: preparing creates it (a dry run only says so). */
  wouldCreateTask?: boolean;
  /** The task exists, is not running and both endpoints passed their tests: the workflow waits for this. */
  ready: boolean;
}

function reverseEndpoints(config: MigrationConfig): { reverseSourceEndpointArn: string; reverseTargetEndpointArn: string } {
  const { reverseSourceEndpointArn, reverseTargetEndpointArn } = config.rollback;
  if (!config.rollback.enabled || !reverseSourceEndpointArn || !reverseTargetEndpointArn) {
    throw new NothingToRollBack('rollback.enabled is false or the reverse endpoints are missing: this migration has no way back');
  }
  return { reverseSourceEndpointArn, reverseTargetEndpointArn };
}

/** The reverse task, or undefined when it was never created (filter by identifier, as DMS names it). */
export async function findReverseTask(dms: DatabaseMigrationServiceClient, config: MigrationConfig): Promise<ReplicationTask | undefined> {
  try {
    const response = await dms.send(
      new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-id', Values: [reverseTaskIdentifier(config.migrationName)] }], WithoutSettings: true }),
    );
    return response.ReplicationTasks?.[0];
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundFault') return undefined;
    throw error;
  }
}

/**
 * Selection rules map names 1:1, so the forward task's mappings serve the way back unchanged. Transformation
 * rules (renamed schemas, tables or columns) would need their inverse, which DMS cannot derive: refused.
 */
export function reverseTableMappings(forwardMappings: string | undefined): string {
  const mappings = JSON.parse(forwardMappings ?? '{"rules":[]}') as { rules?: Array<Record<string, unknown>> };
  const transformations = (mappings.rules ?? []).filter((rule) => rule['rule-type'] === 'transformation');
  if (transformations.length > 0) {
    throw new TaskInUnexpectedState(
      `The forward task renames objects with ${transformations.length} transformation rule(s); reverse replication would need their inverse. Disable rollback or create the reverse task yourself.`,
    );
  }
  return JSON.stringify(mappings);
}

/**
 * Creates the reverse task if it does not exist. The workflow then reads the way back (readReversePath),
 * starting the endpoint tests once, and waits between reads until it is `ready` (DMS takes a minute or two
 * to create a task and test endpoints).
 */
export async function createReverseTask(dms: DatabaseMigrationServiceClient, config: MigrationConfig): Promise<void> {
  const endpoints = reverseEndpoints(config);
  if (await findReverseTask(dms, config)) return;
  const forward = await dms.send(
    new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [config.replicationTaskArn] }], WithoutSettings: false }),
  );
  const created = await dms.send(
    new CreateReplicationTaskCommand({
      ReplicationTaskIdentifier: reverseTaskIdentifier(config.migrationName),
      SourceEndpointArn: endpoints.reverseSourceEndpointArn,
      TargetEndpointArn: endpoints.reverseTargetEndpointArn,
      ReplicationInstanceArn: config.replicationInstanceArn,
      MigrationType: 'cdc',
      TableMappings: reverseTableMappings(forward.ReplicationTasks?.[0]?.TableMappings),
      Tags: [{ Key: 'dms-orchestrator:migration', Value: config.migrationName }],
    }),
  );
  logger.info('Reverse replication task created', { taskArn: created.ReplicationTask?.ReplicationTaskArn });
}

export interface ReadReversePathOptions {
  /** Start DMS connection tests of both reverse endpoints. @default false */
  startTests?: boolean;
  /** Report an endpoint that failed its test in `connections` instead of raising ConnectionTestFailed (dry run). @default false */
  reportFailedTests?: boolean;
}

/** The reverse task and its endpoints' connection tests as DMS reports them. */
export async function readReversePath(dms: DatabaseMigrationServiceClient, config: MigrationConfig, options: ReadReversePathOptions = {}): Promise<ReversePath> {
  const endpoints = reverseEndpoints(config);
  const task = await findReverseTask(dms, config);
  const path: ReversePath = {
    taskStatus: task?.Status ?? 'not created',
    connections: await reverseConnections(dms, config, endpoints, options),
    ready: false,
    ...(task?.ReplicationTaskArn ? { taskArn: task.ReplicationTaskArn } : { wouldCreateTask: true }),
  };
  return { ...path, ready: reversePathBlockers(path).length === 0 };
}

async function reverseConnections(
  dms: DatabaseMigrationServiceClient,
  config: MigrationConfig,
  endpoints: { reverseSourceEndpointArn: string; reverseTargetEndpointArn: string },
  options: ReadReversePathOptions,
): Promise<ReversePath['connections']> {
  try {
    const result = await testConnections(
      dms,
      { sourceEndpointArn: endpoints.reverseSourceEndpointArn, targetEndpointArn: endpoints.reverseTargetEndpointArn, replicationInstanceArn: config.replicationInstanceArn },
      options.startTests ?? false,
    );
    return { status: result.status, endpoints: result.connections };
  } catch (error) {
    if (!(error instanceof ConnectionTestFailed) || !options.reportFailedTests) throw error;
    return { status: 'failed', endpoints: [], problem: error.message };
  }
}

/** Why the way back is not ready, for the gate; empty when it is. */
export function reversePathBlockers(path: ReversePath): string[] {
  const blockers: string[] = [];
  if (!path.taskArn) blockers.push('the reverse replication task does not exist yet');
  else if (path.taskStatus !== 'ready' && path.taskStatus !== 'stopped') blockers.push(`the reverse replication task is "${path.taskStatus}", not ready to start`);
  if (path.connections.status !== 'successful') blockers.push(`the reverse endpoints have not passed their connection tests${path.connections.problem ? `: ${path.connections.problem}` : ''}`);
  return blockers;
}

/** Starts the reverse task (CDC only) at the binlog position read on the target at the switch. */
export async function startReverseReplication(dms: DatabaseMigrationServiceClient, config: MigrationConfig, taskArn: string, cdcStartPosition: string): Promise<{ taskArn: string; taskStatus: string; cdcStartPosition: string }> {
  reverseEndpoints(config);
  const task = await describeReplicationTask(dms, taskArn);
  if (task.Status === 'running' || task.Status === 'starting') return { taskArn, taskStatus: task.Status, cdcStartPosition };
  const started = await dms.send(
    new StartReplicationTaskCommand({ ReplicationTaskArn: taskArn, StartReplicationTaskType: 'start-replication', CdcStartPosition: cdcStartPosition }),
  );
  return { taskArn, taskStatus: started.ReplicationTask?.Status ?? 'starting', cdcStartPosition };
}

/**
 * `complete`: ends the way back. The task is stopped first (DMS refuses to delete a running task), then
 * deleted on a later call: `removed: false` asks the workflow to wait and call again. A task already gone is
 * what we want.
 */
export interface ReversePathRemoval {
  taskArn?: string;
  removed: boolean;
  taskStatus: string;
}

export async function removeReversePath(dms: DatabaseMigrationServiceClient, config: MigrationConfig): Promise<ReversePathRemoval> {
  const task = await findReverseTask(dms, config);
  if (!task?.ReplicationTaskArn) return { removed: true, taskStatus: 'not found' };
  const taskArn = task.ReplicationTaskArn;
  if (task.Status === 'running' || task.Status === 'starting') return { taskArn, removed: false, taskStatus: await stopTask(dms, taskArn) };
  if (task.Status === 'stopping' || task.Status === 'deleting') return { taskArn, removed: task.Status === 'deleting', taskStatus: task.Status };
  const deleted = await dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: taskArn }));
  return { taskArn, removed: true, taskStatus: deleted.ReplicationTask?.Status ?? 'deleting' };
}
