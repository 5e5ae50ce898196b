import {
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  paginateDescribeTableStatistics,
  type DatabaseMigrationServiceClient,
  type ReplicationInstance,
  type ReplicationTask,
  type TableStatistics,
} from '@aws-sdk/client-database-migration-service';
import { ResourceNotFound } from './errors';
import type { ReplicationEngine } from './replication/state';

/**
 * DMS speaks in strings. This module is the one place they are spelled out, as documented on the DMS API's
 * `ReplicationTask.Status`, `ReplicationTask.StopReason`, `Connection.Status` and `TableStatistics`
 * (TableState, ValidationState) fields. Anything DMS adds later arrives as a plain string and is treated as
 * unknown by the predicates below, never as success.
 */

/** ReplicationTask.Status values documented by DMS. */
export const TASK_STATUSES = [
  'moving',
  'creating',
  'deleting',
  'failed',
  'failed-move',
  'modifying',
  'ready',
  'running',
  'starting',
  'stopped',
  'stopping',
  'testing',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** ReplicationTask.StopReason values documented by DMS (the "Stop Reason " prefix is part of the string). */
export const STOP_REASONS = {
  normal: 'Stop Reason NORMAL',
  recoverableError: 'Stop Reason RECOVERABLE_ERROR',
  fatalError: 'Stop Reason FATAL_ERROR',
  fullLoadOnlyFinished: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
  stoppedAfterFullLoad: 'Stop Reason STOPPED_AFTER_FULL_LOAD',
  stoppedAfterCachedEvents: 'Stop Reason STOPPED_AFTER_CACHED_EVENTS',
  expressLicenseLimitsReached: 'Stop Reason EXPRESS_LICENSE_LIMITS_REACHED',
  stoppedAfterDdlApply: 'Stop Reason STOPPED_AFTER_DDL_APPLY',
  stoppedDueToLowMemory: 'Stop Reason STOPPED_DUE_TO_LOW_MEMORY',
  stoppedDueToLowDisk: 'Stop Reason STOPPED_DUE_TO_LOW_DISK',
  stoppedAtServerTime: 'Stop Reason STOPPED_AT_SERVER_TIME',
  stoppedAtCommitTime: 'Stop Reason STOPPED_AT_COMMIT_TIME',
  reconfigurationRestart: 'Stop Reason RECONFIGURATION_RESTART',
  recycleTask: 'Stop Reason RECYCLE_TASK',
} as const;

/** ReplicationTask.MigrationType. */
export type MigrationType = 'full-load' | 'cdc' | 'full-load-and-cdc';

/** Connection.Status values from DescribeConnections / TestConnection. */
export type ConnectionStatus = 'successful' | 'testing' | 'failed' | 'deleting';

/** TableStatistics.TableState values ("Valid states: ..." in the DMS API reference). */
export const TABLE_STATES = {
  doesNotExist: 'Table does not exist',
  beforeLoad: 'Before load',
  fullLoad: 'Full load',
  completed: 'Table completed',
  cancelled: 'Table cancelled',
  error: 'Table error',
  reloading: 'Table is being reloaded',
} as const;

/**
 * Tables DMS has not (or no longer) finished loading: before or in their full load, or being reloaded (a
 * ReloadTables, or DMS recovering a table). Errored and cancelled tables are reported on their own.
 */
export function tablesNotCompleted(tables: TableStatistics[]): string[] {
  const reportedElsewhere: ReadonlySet<string | undefined> = new Set([TABLE_STATES.completed, TABLE_STATES.error, TABLE_STATES.cancelled]);
  return tables.filter((table) => !reportedElsewhere.has(table.TableState)).map((table) => `${qualifiedTableName(table)} (${table.TableState ?? 'no state'})`);
}

/** TableStatistics.ValidationState values documented by DMS. */
export const VALIDATION_STATES = {
  notEnabled: 'Not enabled',
  pendingRecords: 'Pending records',
  mismatchedRecords: 'Mismatched records',
  suspendedRecords: 'Suspended records',
  noPrimaryKey: 'No primary key',
  tableError: 'Table error',
  validated: 'Validated',
  error: 'Error',
  pendingValidation: 'Pending validation',
  preparingTable: 'Preparing table',
  pendingRevalidation: 'Pending revalidation',
} as const;

/** `schema.table`, the way operators name tables in messages. */
export function qualifiedTableName(table: Pick<TableStatistics, 'SchemaName' | 'TableName'>): string {
  return `${table.SchemaName ?? '?'}.${table.TableName ?? '?'}`;
}

/** Reads one replication task by ARN; a missing task is a typed error, not an empty result. */
export async function describeReplicationTask(
  dms: DatabaseMigrationServiceClient,
  replicationTaskArn: string,
): Promise<ReplicationTask> {
  try {
    const response = await dms.send(
      new DescribeReplicationTasksCommand({
        Filters: [{ Name: 'replication-task-arn', Values: [replicationTaskArn] }],
        WithoutSettings: true,
      }),
    );
    const task = response.ReplicationTasks?.[0];
    if (task) return task;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceNotFoundFault')) throw error;
  }
  throw new ResourceNotFound(`Replication task ${replicationTaskArn} was not found`);
}

/** Every table statistics row of a task, following DescribeTableStatistics' Marker to the last page. */
export async function describeAllTableStatistics(
  dms: DatabaseMigrationServiceClient,
  replicationTaskArn: string,
): Promise<TableStatistics[]> {
  const tables: TableStatistics[] = [];
  // MaxRecords: DMS accepts 10-500 for DescribeTableStatistics; the largest page means fewest calls.
  const pages = paginateDescribeTableStatistics(
    { client: dms, pageSize: 500 },
    { ReplicationTaskArn: replicationTaskArn },
  );
  for await (const page of pages) tables.push(...(page.TableStatistics ?? []));
  return tables;
}

/** The resource id at the end of a DMS ARN (`arn:aws:dms:...:task:ABC` -> `ABC`). */
export function dmsResourceId(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/** Where a replication writes its log in CloudWatch Logs. */
export interface ReplicationLog {
  engine: ReplicationEngine;
  /** A task's `dms-tasks-<replication instance identifier>` (absent when DMS has not filled it in), or a serverless replication's group. */
  logGroup?: string;
  /** `dms-task-<the task ARN's resource id>`, or a serverless replication's stream. */
  logStream: string;
}

/**
 * Where the task logs, when its settings turn logging on (`Logging.EnableLogging`; DMS's default is off).
 * DMS names the group and stream itself and reports them in the same settings, read-only:
 * `CloudWatchLogGroup` = `dms-tasks-<replication instance identifier>`, `CloudWatchLogStream` =
 * `dms-task-<resource id from the task ARN>` (DMS User Guide, "Logging task settings"). The stream follows
 * from the ARN when DMS has not filled it in yet; the group needs the instance's identifier, which the task
 * does not carry. Needs the task described with its settings (`WithoutSettings: false`).
 */
export function taskLogOf(task: ReplicationTask): ReplicationLog | undefined {
  let logging: { EnableLogging?: unknown; CloudWatchLogGroup?: unknown; CloudWatchLogStream?: unknown } | undefined;
  try {
    logging = (JSON.parse(task.ReplicationTaskSettings ?? '{}') as { Logging?: typeof logging }).Logging;
  } catch {
    return undefined;
  }
  if (logging?.EnableLogging !== true) return undefined;
  const named = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  const logStream = named(logging.CloudWatchLogStream) ?? (task.ReplicationTaskArn ? `dms-task-${dmsResourceId(task.ReplicationTaskArn)}` : undefined);
  if (!logStream) return undefined;
  const logGroup = named(logging.CloudWatchLogGroup);
  return logGroup ? { engine: 'task', logGroup, logStream } : { engine: 'task', logStream };
}

/**
 * Where a DMS Serverless replication logs: DMS names the group `dms-serverless-replication-<resource ID>` and
 * the stream `dms-serverless-replication-orchestrator-<resource ID>`, after the replication config's resource ID,
 * and creates them once the replication runs; there is no logging setting to read (DMS User Guide, "AWS DMS
 * serverless replication logs"; docs/dms-serverless-facts.md).
 */
export function serverlessReplicationLogOf(replicationConfigArn: string): ReplicationLog {
  const resourceId = dmsResourceId(replicationConfigArn);
  return { engine: 'serverless', logGroup: `dms-serverless-replication-${resourceId}`, logStream: `dms-serverless-replication-orchestrator-${resourceId}` };
}

/**
 * Every page of a filtered DMS Describe call, following Marker. None found is an empty list: DMS answers
 * ResourceNotFoundFault rather than an empty page.
 */
export async function describeEveryPage<Item>(readPage: (marker: string | undefined) => Promise<{ items?: Item[]; marker?: string }>): Promise<Item[]> {
  const items: Item[] = [];
  let marker: string | undefined;
  do {
    try {
      const page = await readPage(marker);
      items.push(...(page.items ?? []));
      marker = page.marker;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundFault')) throw error;
      marker = undefined;
    }
  } while (marker);
  return items;
}

/** How many values one filter of a batched Describe call carries: a wave's hundred ARNs in one call. */
const FILTER_VALUES_PER_CALL = 100;

/** A Describe call filtered on many ARNs: FILTER_VALUES_PER_CALL filter values a call, every page of each. */
export async function describeByArns<Item>(arns: string[], readPage: (arns: string[], marker: string | undefined) => Promise<{ items?: Item[]; marker?: string }>): Promise<Item[]> {
  const items: Item[] = [];
  for (let start = 0; start < arns.length; start += FILTER_VALUES_PER_CALL) {
    const batch = arns.slice(start, start + FILTER_VALUES_PER_CALL);
    items.push(...(await describeEveryPage((marker) => readPage(batch, marker))));
  }
  return items;
}

/**
 * Many tasks in as few calls as DMS allows: DescribeReplicationTasks takes a `replication-task-arn` filter
 * with several values and answers up to 100 tasks a page (MaxRecords 20-100), following Marker. A wave's
 * status reads its hundred tasks in one call instead of a hundred, under DMS's API rate limits.
 */
export async function describeReplicationTasks(dms: DatabaseMigrationServiceClient, replicationTaskArns: string[]): Promise<ReplicationTask[]> {
  return describeByArns(replicationTaskArns, async (arns, marker) => {
    const response = await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: arns }], MaxRecords: 100, WithoutSettings: true, Marker: marker }));
    return { items: response.ReplicationTasks, marker: response.Marker };
  });
}

/**
 * Many replication instances the same way: DescribeReplicationInstances takes a `replication-instance-arn`
 * filter, up to 100 instances a page (MaxRecords 20-100). Their identifiers name the tasks' metrics.
 */
export async function describeReplicationInstances(dms: DatabaseMigrationServiceClient, replicationInstanceArns: string[]): Promise<ReplicationInstance[]> {
  return describeByArns(replicationInstanceArns, async (arns, marker) => {
    const response = await dms.send(new DescribeReplicationInstancesCommand({ Filters: [{ Name: 'replication-instance-arn', Values: arns }], MaxRecords: 100, Marker: marker }));
    return { items: response.ReplicationInstances, marker: response.Marker };
  });
}
