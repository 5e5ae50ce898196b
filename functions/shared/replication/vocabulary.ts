import { TASK_STATUSES, type TaskStatus } from '../dms';
import type { ReplicationEngine, StatusMeaning } from './state';

/**
 * Each engine's statuses and what they mean to the workflow. Sources (docs/dms-serverless-facts.md):
 * tasks: `ReplicationTask.Status` in the DMS API reference; serverless: `Replication.Status` is a plain
 * string in the API model, its values are the states of the DMS User Guide's "AWS DMS Serverless components"
 * as the API spells them (terraform-provider-aws internal/service/dms/consts.go, which waits on them).
 */

/** Replication.Status values of a DMS Serverless replication. */
export const SERVERLESS_STATUSES = [
  'created',
  'ready',
  'initializing',
  'preparing_metadata_resources',
  'testing_connection',
  'fetching_metadata',
  'calculating_capacity',
  'provisioning_capacity',
  'replication_starting',
  'running',
  'stopping',
  'stopped',
  'failed',
  'deleting',
] as const;
export type ServerlessStatus = (typeof SERVERLESS_STATUSES)[number];

const inProgress = (phase: StatusMeaning['phase']): StatusMeaning => ({ start: 'in-progress', phase });
const wait = (phase: StatusMeaning['phase'], reason: string): StatusMeaning => ({ start: 'wait', phase, reason });

export const TASK_STATUS_MEANINGS: Record<TaskStatus, StatusMeaning> = {
  creating: wait('starting', 'DMS is still creating the task; run the migration again once it is ready'),
  modifying: wait('starting', 'the task is being modified; run the migration again once it is stopped or ready'),
  moving: wait('starting', 'the task is moving to another replication instance; run the migration again once the move ends'),
  deleting: wait('stopped', 'the task is being deleted; it cannot be started'),
  testing: wait('starting', 'a premigration assessment is running on the task; run the migration again when it ends'),
  stopping: wait('stopped', 'the task is stopping; run the migration again once it is stopped'),
  'failed-move': wait('failed', 'moving the task to another replication instance failed: fix the move in DMS first'),
  failed: { start: 'failed', phase: 'failed' },
  ready: { start: 'ready', phase: 'starting' },
  starting: inProgress('starting'),
  running: inProgress('replicating'),
  stopped: { start: 'stopped', phase: 'stopped' },
};

/**
 * Serverless: `created` is a config never started; from `initializing` to `replication_starting` DMS connects
 * to the source, tests both connections, sizes and provisions capacity (DMS User Guide, "AWS DMS Serverless
 * components"): the replication is starting, so nothing is sent again.
 */
export const SERVERLESS_STATUS_MEANINGS: Record<ServerlessStatus, StatusMeaning> = {
  created: { start: 'ready', phase: 'starting' },
  ready: { start: 'ready', phase: 'starting' },
  initializing: inProgress('starting'),
  preparing_metadata_resources: inProgress('starting'),
  testing_connection: inProgress('starting'),
  fetching_metadata: inProgress('starting'),
  calculating_capacity: inProgress('starting'),
  provisioning_capacity: inProgress('starting'),
  replication_starting: inProgress('starting'),
  running: inProgress('replicating'),
  stopping: wait('stopped', 'the replication is stopping; run the migration again once it is stopped'),
  stopped: { start: 'stopped', phase: 'stopped' },
  failed: { start: 'failed', phase: 'failed' },
  deleting: wait('stopped', 'the replication config is being deleted; it cannot be started'),
};

/** The meaning of an engine's status, or undefined for one this tool does not know. */
export function meaningOf(engine: ReplicationEngine, status: string | undefined): StatusMeaning | undefined {
  if (status === undefined) return undefined;
  const table: Readonly<Record<string, StatusMeaning>> = engine === 'task' ? TASK_STATUS_MEANINGS : SERVERLESS_STATUS_MEANINGS;
  return Object.hasOwn(table, status) ? table[status] : undefined;
}

/** Every documented status of an engine, for tests that walk the whole table. */
export const STATUSES: Record<ReplicationEngine, readonly string[]> = { task: TASK_STATUSES, serverless: SERVERLESS_STATUSES };

/**
 * StartReplicationTaskType and StartReplication's StartReplicationType take the same three values
 * (API model: StartReplicationTaskTypeValue; StartReplicationMessage.StartReplicationType's documentation).
 */
export const START_TYPES = ['start-replication', 'resume-processing', 'reload-target'] as const;
export type StartType = (typeof START_TYPES)[number];

/**
 * How the engines are named to operators, and the EventBridge detail-type of their state changes. `noun` names
 * the replication; `resourceNoun` the DMS resource that defines it, as DMS names it (CreateReplicationTask makes
 * a task; CreateReplicationConfig a replication config, whose replication runs once started): the word for
 * what holds the table mappings and what the cutover creates and removes for the way back.
 */
export const ENGINE_FACTS: Record<ReplicationEngine, { noun: string; resourceNoun: string; arnResourceType: string; stateChangeDetailType: string }> = {
  task: { noun: 'task', resourceNoun: 'task', arnResourceType: 'task', stateChangeDetailType: 'DMS Replication Task State Change' },
  serverless: { noun: 'replication', resourceNoun: 'replication config', arnResourceType: 'replication-config', stateChangeDetailType: 'DMS Replication State Change' },
};

/**
 * The engine a DMS ARN belongs to, from its resource type (`arn:aws:dms:<region>:<account>:task:<id>` or
 * `…:replication-config:<id>`, Service Authorization Reference): for messages that carry only the ARN.
 */
export function engineOfArn(arn: string): ReplicationEngine | undefined {
  const resourceType = arn.split(':')[5];
  return (['task', 'serverless'] as const).find((engine) => ENGINE_FACTS[engine].arnResourceType === resourceType);
}

/**
 * A status in which a replication is idle and may be started: ready (never started) or stopped, in either
 * engine. The two tables agree on every status they share, so the status alone answers (the way back's
 * read-out carries only the status).
 */
export function isIdleStatus(status: string): boolean {
  return (['task', 'serverless'] as const).some((engine) => {
    const start = meaningOf(engine, status)?.start;
    return start === 'ready' || start === 'stopped';
  });
}
