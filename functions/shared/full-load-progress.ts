import type { DatabaseMigrationServiceClient, ReplicationTask } from '@aws-sdk/client-database-migration-service';
import {
  TABLE_STATES,
  describeAllTableStatistics,
  describeReplicationTask,
  hasFailed,
  isFullLoadComplete,
  qualifiedTableName,
  taskPhase,
  type TaskPhase,
} from './dms';
import { listed } from './bounded-text';
import { TablesErrored, TaskInUnexpectedState } from './errors';
import type { MigrationConfig } from './migration-input';

export interface FullLoadProgress {
  status: string;
  phase: TaskPhase;
  migrationType: string;
  fullLoadProgressPercent: number;
  tables: { loaded: number; loading: number; queued: number; errored: number };
  elapsedSeconds: number;
  fullLoadComplete: boolean;
  fullLoadStartedAt?: string;
  fullLoadFinishedAt?: string;
  fullLoadDurationSeconds?: number;
  /** Sum of FullLoadRows over every table; read once the full load is complete. */
  rowsLoaded?: number;
  /** Tables DMS is reloading: the load is not over although the task's statistics may say 100 %. */
  reloadingTables?: string[];
  stopReason?: string;
}

/**
 * Reads the replication task and says where the full load stands. A failed task or an errored table is
 * an error, not a progress report: the workflow must stop and tell someone.
 */
export async function checkProgress(
  dms: DatabaseMigrationServiceClient,
  config: Pick<MigrationConfig, 'replicationTaskArn'>,
): Promise<FullLoadProgress> {
  const task = await describeReplicationTask(dms, config.replicationTaskArn);
  if (hasFailed(task)) throw taskFailure(task);

  const progress = summarizeTask(task);
  if (progress.tables.errored > 0 || progress.fullLoadComplete) {
    const tables = await describeAllTableStatistics(dms, config.replicationTaskArn);
    const erroredTables = tables.filter((table) => table.TableState === TABLE_STATES.error).map(qualifiedTableName);
    if (erroredTables.length > 0 || progress.tables.errored > 0) {
      throw tablesErrored(task, erroredTables, progress.tables.errored);
    }
    const reloading = tables.filter((table) => table.TableState === TABLE_STATES.reloading).map(qualifiedTableName);
    if (reloading.length > 0) {
      // DMS reports the task's load at 100 % while it reloads a table (ReloadTables, or its own recovery).
      const { fullLoadFinishedAt: _finished, fullLoadDurationSeconds: _duration, ...loading } = progress;
      return { ...loading, phase: 'full-load', fullLoadComplete: false, reloadingTables: reloading };
    }
    progress.rowsLoaded = tables.reduce((sum, table) => sum + (table.FullLoadRows ?? 0), 0);
  }
  return progress;
}

/** The task's own statistics, normalized; no further API calls. */
export function summarizeTask(task: ReplicationTask): FullLoadProgress {
  const stats = task.ReplicationTaskStats ?? {};
  const fullLoadComplete = isFullLoadComplete(task);
  const progress: FullLoadProgress = {
    status: task.Status ?? 'unknown',
    phase: taskPhase(task),
    migrationType: task.MigrationType ?? 'unknown',
    fullLoadProgressPercent: stats.FullLoadProgressPercent ?? 0,
    tables: {
      loaded: stats.TablesLoaded ?? 0,
      loading: stats.TablesLoading ?? 0,
      queued: stats.TablesQueued ?? 0,
      errored: stats.TablesErrored ?? 0,
    },
    elapsedSeconds: Math.round((stats.ElapsedTimeMillis ?? 0) / 1000),
    fullLoadComplete,
  };
  if (stats.FullLoadStartDate) progress.fullLoadStartedAt = stats.FullLoadStartDate.toISOString();
  if (fullLoadComplete && stats.FullLoadFinishDate) {
    progress.fullLoadFinishedAt = stats.FullLoadFinishDate.toISOString();
    if (stats.FullLoadStartDate) {
      progress.fullLoadDurationSeconds = Math.round(
        (stats.FullLoadFinishDate.getTime() - stats.FullLoadStartDate.getTime()) / 1000,
      );
    }
  }
  if (task.StopReason) progress.stopReason = task.StopReason;
  return progress;
}

function taskFailure(task: ReplicationTask): TaskInUnexpectedState {
  const reason = task.StopReason ? ` (${task.StopReason})` : '';
  const dmsMessage = task.LastFailureMessage ? `: ${task.LastFailureMessage}` : '';
  return new TaskInUnexpectedState(
    `Replication task ${task.ReplicationTaskIdentifier} is ${task.Status}${reason}${dmsMessage}. ` +
      'Fix the cause in the task log, then start the migration again (startPolicy "resume", or "reload" to start over).',
  );
}

function tablesErrored(task: ReplicationTask, erroredTables: string[], erroredCount: number): TablesErrored {
  const names = erroredTables.length > 0 ? listed(erroredTables) : `${erroredCount} table(s)`;
  const dmsMessage = task.LastFailureMessage ? ` DMS says: ${task.LastFailureMessage}` : '';
  return new TablesErrored(
    `Full load failed for ${names} on replication task ${task.ReplicationTaskIdentifier}.${dmsMessage} ` +
      'Fix the cause, then reload those tables (DMS ReloadTables) before continuing.',
    erroredTables,
  );
}
