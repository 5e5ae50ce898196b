import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { ConnectionTestFailed, NothingToRollBack, TaskInUnexpectedState } from '../shared/errors';
import { logger } from '../shared/logger';
import { REVERSE_TAG_KEY } from '../shared/cutover-vocabulary';
import { migrationSlug, type MigrationConfig } from '../shared/migration-input';
import type { EndpointConnection } from '../shared/connection-tests';
import { ENGINE_FACTS, engineOf, replicationOf, type ReplicationEngine, type ReplicationState } from '../shared/replication';
import { isIdleStatus } from '../shared/replication/vocabulary';

/**
 * The way back: a CDC-only replication from the target (reverse source endpoint) to the old source (reverse
 * target endpoint), on the forward replication's engine (a task on the same instance, or a serverless config
 * with the same compute settings), created and checked before the freeze, started right after the switch at
 * the target's binlog position, so the old source keeps receiving every write made on the target. Its
 * endpoints are the operator's (named in `rollback`); the replication is ours, named after the migration.
 */
export function reverseTaskIdentifier(migrationName: string): string {
  return `dms-orch-${migrationSlug(migrationName).slice(0, 200)}-reverse`;
}

export interface ReversePath {
  /** The way back's engine: the forward replication's. */
  engine: ReplicationEngine;
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

/** The way back's replication, or undefined when it was never created (found by identifier, as DMS names it). */
export function findReverseTask(dms: DatabaseMigrationServiceClient, config: MigrationConfig): Promise<ReplicationState | undefined> {
  return replicationOf(dms, config).find(reverseTaskIdentifier(config.migrationName));
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
 * Creates the way back's replication if it does not exist. The workflow then reads the way back
 * (readReversePath), starting the endpoint tests once, and waits between reads until it is `ready` (DMS takes
 * a minute or two to create a task and test endpoints).
 */
export async function createReverseTask(dms: DatabaseMigrationServiceClient, config: MigrationConfig): Promise<void> {
  const endpoints = reverseEndpoints(config);
  if (await findReverseTask(dms, config)) return;
  const engine = replicationOf(dms, config);
  const taskArn = await engine.createCdcOnly({
    identifier: reverseTaskIdentifier(config.migrationName),
    sourceEndpointArn: endpoints.reverseSourceEndpointArn,
    targetEndpointArn: endpoints.reverseTargetEndpointArn,
    tableMappings: reverseTableMappings(await engine.forward.tableMappings()),
    tags: [{ Key: REVERSE_TAG_KEY, Value: config.migrationName }],
  });
  logger.info('Reverse replication created', { engine: engine.engine, taskArn });
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
    engine: engineOf(config),
    taskStatus: task?.status ?? 'not created',
    connections: await reverseConnections(dms, config, endpoints, options),
    ready: false,
    ...(task?.arn ? { taskArn: task.arn } : { wouldCreateTask: true }),
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
    const engine = replicationOf(dms, config);
    // A serverless check reads the replication it checks for: the way back's own, once it exists.
    const reverse = engine.engine === 'task' ? engine.forward : await findReverseReplication(dms, config);
    if (!reverse) return { status: 'testing', endpoints: [] };
    const result = await reverse.testConnections(
      { sourceEndpointArn: endpoints.reverseSourceEndpointArn, targetEndpointArn: endpoints.reverseTargetEndpointArn },
      options.startTests ?? false,
    );
    return { status: result.status, endpoints: result.connections };
  } catch (error) {
    if (!(error instanceof ConnectionTestFailed) || !options.reportFailedTests) throw error;
    return { status: 'failed', endpoints: [], problem: error.message };
  }
}

/** The way back as DMS names its resource, for operator messages: "reverse task" or "reverse replication config". */
export function reverseResource(engine: ReplicationEngine): string {
  return `reverse ${ENGINE_FACTS[engine].resourceNoun}`;
}

/** Why the way back is not ready, for the gate; empty when it is. */
export function reversePathBlockers(path: ReversePath): string[] {
  const blockers: string[] = [];
  const wayBack = `the ${reverseResource(path.engine)}`;
  if (!path.taskArn) blockers.push(`${wayBack} does not exist yet`);
  else if (!isIdleStatus(path.taskStatus)) blockers.push(`${wayBack} is "${path.taskStatus}", not ready to start`);
  if (path.connections.status !== 'successful') blockers.push(`the reverse endpoints have not passed their connection tests${path.connections.problem ? `: ${path.connections.problem}` : ''}`);
  return blockers;
}

/** The way back's replication, addressed for its verbs, or undefined when it was never created. */
async function findReverseReplication(dms: DatabaseMigrationServiceClient, config: MigrationConfig) {
  const found = await findReverseTask(dms, config);
  return found ? replicationOf(dms, config).byArn(found.arn) : undefined;
}

/** Starts the way back (CDC only) at the binlog position read on the target at the switch. */
export async function startReverseReplication(dms: DatabaseMigrationServiceClient, config: MigrationConfig, taskArn: string, cdcStartPosition: string): Promise<{ taskArn: string; taskStatus: string; cdcStartPosition: string }> {
  reverseEndpoints(config);
  const reverse = replicationOf(dms, config).byArn(taskArn);
  const state = await reverse.describe();
  if (state.meaning?.start === 'in-progress') return { taskArn, taskStatus: state.status, cdcStartPosition };
  return { taskArn, taskStatus: await reverse.start('start-replication', cdcStartPosition), cdcStartPosition };
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
  if (!task?.arn) return { removed: true, taskStatus: 'not found' };
  const taskArn = task.arn;
  const reverse = replicationOf(dms, config).byArn(taskArn);
  // Running or on its way (serverless: provisioning): stop it first; DMS refuses to delete it before.
  if (task.meaning?.start === 'in-progress') return { taskArn, removed: false, taskStatus: await reverse.stop() };
  if (task.status === 'stopping' || task.status === 'deleting') return { taskArn, removed: task.status === 'deleting', taskStatus: task.status };
  try {
    return { taskArn, removed: true, taskStatus: await reverse.delete() };
  } catch (error) {
    // DMS answers InvalidResourceStateFault while it still holds the stopped replication (a serverless one
    // releasing its capacity): nothing was deleted, so the workflow waits and calls again, as after the stop.
    if (error instanceof Error && error.name === 'InvalidResourceStateFault') return { taskArn, removed: false, taskStatus: task.status };
    throw error;
  }
}
