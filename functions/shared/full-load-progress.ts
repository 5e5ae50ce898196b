import { TABLE_STATES, qualifiedTableName } from './dms';
import { listed } from './bounded-text';
import { TablesErrored, TaskInUnexpectedState } from './errors';
import { hasFailed, isFullLoadComplete, replicationPhase, type Replication, type ReplicationPhase, type ReplicationState } from './replication';

export interface FullLoadProgress {
  status: string;
  phase: ReplicationPhase;
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
  /** Tables DMS is reloading: the load is not over although the replication's statistics may say 100 %. */
  reloadingTables?: string[];
  stopReason?: string;
  /** DMS Serverless only: its provisioning state and capacity units, as DMS reports them. */
  provisioning?: { state?: string; capacityUnits?: number };
}

/**
 * Reads the replication and says where the full load stands. A failed replication or an errored table is
 * an error, not a progress report: the workflow must stop and tell someone.
 */
export async function checkProgress(replication: Replication): Promise<FullLoadProgress> {
  const state = await replication.describe();
  if (hasFailed(state)) throw replicationFailure(state);

  const progress = summarizeReplication(state);
  if (progress.tables.errored > 0 || progress.fullLoadComplete) {
    const tables = await replication.tableStatistics();
    const erroredTables = tables.filter((table) => table.TableState === TABLE_STATES.error).map(qualifiedTableName);
    if (erroredTables.length > 0 || progress.tables.errored > 0) {
      throw tablesErrored(state, erroredTables, progress.tables.errored);
    }
    const reloading = tables.filter((table) => table.TableState === TABLE_STATES.reloading).map(qualifiedTableName);
    if (reloading.length > 0) {
      // DMS reports the load at 100 % while it reloads a table (ReloadTables, or its own recovery).
      const { fullLoadFinishedAt: _finished, fullLoadDurationSeconds: _duration, ...loading } = progress;
      return { ...loading, phase: 'full-load', fullLoadComplete: false, reloadingTables: reloading };
    }
    progress.rowsLoaded = tables.reduce((sum, table) => sum + (table.FullLoadRows ?? 0), 0);
  }
  return progress;
}

/** The replication's own statistics, normalized; no further API calls. */
export function summarizeReplication(state: ReplicationState): FullLoadProgress {
  const stats = state.stats;
  const fullLoadComplete = isFullLoadComplete(state);
  const progress: FullLoadProgress = {
    status: state.status,
    phase: replicationPhase(state),
    migrationType: state.migrationType,
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
  if (state.stopReason) progress.stopReason = state.stopReason;
  if (state.provisioning) progress.provisioning = state.provisioning;
  return progress;
}

/** "replication task x" or "serverless replication x", as operators find them in the DMS console. */
function named(state: ReplicationState): string {
  return `${state.engine === 'task' ? 'replication task' : 'serverless replication'} ${state.identifier}`;
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function replicationFailure(state: ReplicationState): TaskInUnexpectedState {
  const reason = state.stopReason ? ` (${state.stopReason})` : '';
  const dmsMessage = state.failureMessage ? `: ${state.failureMessage}` : '';
  const where = state.engine === 'task' ? 'the task log' : 'the replication’s failure messages and log';
  return new TaskInUnexpectedState(
    `${capitalized(named(state))} is ${state.status}${reason}${dmsMessage}. ` +
      `Fix the cause in ${where}, then start the migration again (startPolicy "resume", or "reload" to start over).`,
  );
}

function tablesErrored(state: ReplicationState, erroredTables: string[], erroredCount: number): TablesErrored {
  const names = erroredTables.length > 0 ? listed(erroredTables) : `${erroredCount} table(s)`;
  const dmsMessage = state.failureMessage ? ` DMS says: ${state.failureMessage}` : '';
  return new TablesErrored(
    `Full load failed for ${names} on ${named(state)}.${dmsMessage} ` +
      'Fix the cause, then reload those tables (DMS ReloadTables) before continuing.',
    erroredTables,
  );
}
