import type { ReplicationStats } from '@aws-sdk/client-database-migration-service';
import { STOP_REASONS } from '../dms';
import { meaningOf } from './vocabulary';

/**
 * What both engines report about a replication, in one shape: a replication task on a replication instance
 * (DescribeReplicationTasks) and a DMS Serverless replication (DescribeReplications). The status string stays
 * the engine's own, for messages; what it means for the workflow comes from the engine's status table
 * (vocabulary.ts), so every decision below is made once for both engines.
 */
export type ReplicationEngine = 'task' | 'serverless';

/**
 * What a status means to the workflow:
 * - `ready`: created and idle; `neverRun` tells a first start from a restart.
 * - `in-progress`: starting (for serverless: provisioning) or replicating; nothing to send.
 * - `stopped`: stopped; its stop reason says whether by error or because the work was done.
 * - `failed`: failed; a confirmed reload may start it again.
 * - `wait`: busy with something else (creating, modifying, stopping, deleting...): refuse to act now, with `reason`.
 */
export type StartMeaning = 'ready' | 'in-progress' | 'stopped' | 'failed' | 'wait';

/** Where a replication is in the migration, in the words an operator uses. */
export type ReplicationPhase = 'starting' | 'full-load' | 'cdc' | 'stopped' | 'failed';

export interface StatusMeaning {
  start: StartMeaning;
  /** The phase while not running (a running replication's phase follows from its statistics). */
  phase: Exclude<ReplicationPhase, 'full-load' | 'cdc'> | 'replicating';
  /** Why nothing can be done now (start `wait`), in words the operator acts on. */
  reason?: string;
}

export interface ReplicationState {
  engine: ReplicationEngine;
  /** The task ARN or the replication config ARN. */
  arn: string;
  /** ReplicationTaskIdentifier or ReplicationConfigIdentifier. */
  identifier: string;
  status: string;
  /** undefined for a status the engine's table does not list: never treated as success. */
  meaning?: StatusMeaning;
  /** full-load, cdc, full-load-and-cdc (MigrationType / ReplicationType). */
  migrationType: string;
  stopReason?: string;
  failureMessage?: string;
  /** DMS has never started it, so a start cannot overwrite a previous load. */
  neverRun: boolean;
  sourceEndpointArn?: string;
  targetEndpointArn?: string;
  /** ReplicationTaskStats and ReplicationStats carry the same fields. */
  stats: ReplicationStats;
  /** DMS Serverless only: ProvisionData, reported as DMS gives it (its states are not enumerated in the API model). */
  provisioning?: { state?: string; capacityUnits?: number };
}

type Reported = 'stopReason' | 'failureMessage' | 'sourceEndpointArn' | 'targetEndpointArn' | 'provisioning';

/**
 * A reading in the common shape, from an engine's status, type and statistics: what DMS did not report is left
 * out rather than set to undefined, so readings compare equal whichever engine made them.
 */
export function readingOf(
  engine: ReplicationEngine,
  reading: Omit<ReplicationState, Reported | 'engine' | 'meaning' | 'status' | 'migrationType'> & { status?: string; migrationType?: string },
  reported: { [Key in Reported]?: ReplicationState[Key] },
): ReplicationState {
  const present = Object.fromEntries(Object.entries(reported).filter(([, value]) => value !== undefined && value !== ''));
  return {
    ...reading,
    engine,
    status: reading.status ?? 'unknown',
    meaning: meaningOf(engine, reading.status),
    migrationType: reading.migrationType ?? 'unknown',
    ...present,
  };
}

/**
 * Stop reasons that mean the replication did not stop because its work was done or someone asked it to: DMS
 * hit an error, ran out of memory or disk, or reached a licence limit. It needs an operator. Both engines use
 * the same strings (ReplicationTask.StopReason and Replication.StopReason document the same list).
 */
const ERROR_STOP_REASONS: ReadonlySet<string> = new Set([
  STOP_REASONS.recoverableError,
  STOP_REASONS.fatalError,
  STOP_REASONS.stoppedDueToLowMemory,
  STOP_REASONS.stoppedDueToLowDisk,
  STOP_REASONS.expressLicenseLimitsReached,
]);

/**
 * A full-load-and-cdc replication configured to stop after the load (StopTaskCachedChangesNotApplied/Applied)
 * stops with one of these: STOPPED_AFTER_FULL_LOAD, STOPPED_AFTER_CACHED_EVENTS, or FULL_LOAD_ONLY_FINISHED
 * (the load is done and, with StopTaskCachedChangesApplied, the cached changes applied). Each is a finished load.
 */
const STOPPED_AFTER_FULL_LOAD_REASONS: ReadonlySet<string> = new Set([
  STOP_REASONS.stoppedAfterFullLoad,
  STOP_REASONS.stoppedAfterCachedEvents,
  STOP_REASONS.fullLoadOnlyFinished,
]);

type Judged = Pick<ReplicationState, 'meaning' | 'stopReason'>;

export function isStoppedByError(stopReason: string | undefined): boolean {
  return stopReason !== undefined && ERROR_STOP_REASONS.has(stopReason);
}

export function hasFailed(state: Judged): boolean {
  if (state.meaning?.phase === 'failed') return true;
  return state.meaning?.start === 'stopped' && isStoppedByError(state.stopReason);
}

/**
 * Whether the full load is over, by migration type:
 * - `full-load`: DMS stops with "Stop Reason FULL_LOAD_ONLY_FINISHED" when every table is loaded.
 * - `full-load-and-cdc`: it keeps running into CDC, so the signal is the statistics: 100 % loaded and no table
 *   loading or queued. One set to stop after the full load stops instead, with STOPPED_AFTER_FULL_LOAD_REASONS.
 * - `cdc`: there is no full load.
 */
export function isFullLoadComplete(state: Pick<ReplicationState, 'meaning' | 'stopReason' | 'migrationType' | 'stats'>): boolean {
  const stopped = state.meaning?.start === 'stopped';
  switch (state.migrationType) {
    case 'cdc':
      return true;
    case 'full-load':
      return stopped && state.stopReason === STOP_REASONS.fullLoadOnlyFinished;
    case 'full-load-and-cdc': {
      if (stopped) return STOPPED_AFTER_FULL_LOAD_REASONS.has(state.stopReason ?? '');
      const stats = state.stats;
      return state.meaning?.phase === 'replicating' && state.meaning.start === 'in-progress' &&
        stats.FullLoadProgressPercent === 100 && (stats.TablesLoading ?? 0) === 0 && (stats.TablesQueued ?? 0) === 0;
    }
    default:
      return false;
  }
}

export function replicationPhase(state: Pick<ReplicationState, 'meaning' | 'stopReason' | 'migrationType' | 'stats'>): ReplicationPhase {
  if (hasFailed(state)) return 'failed';
  const phase = state.meaning?.phase ?? 'starting';
  if (phase !== 'replicating') return phase;
  return state.migrationType !== 'full-load' && isFullLoadComplete(state) ? 'cdc' : 'full-load';
}
