import {
  StartReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
  type ReplicationTask,
  type StartReplicationTaskTypeValue,
} from '@aws-sdk/client-database-migration-service';
import { STOP_REASONS, describeReplicationTask, hasFailed } from '../shared/dms';
import { TaskInUnexpectedState } from '../shared/errors';
import { logger } from '../shared/logger';
import type { MigrationConfig, StartPolicy } from '../shared/migration-input';

/** What the task looks like before we touch it: the facts the start decision depends on. */
export interface TaskFacts {
  status: string;
  migrationType: string;
  stopReason?: string;
  /** DMS has never started this task, so starting it cannot overwrite a previous load. */
  neverRun: boolean;
  lastFailureMessage?: string;
}

export type StartDecision =
  | { kind: 'start'; startType: StartReplicationTaskTypeValue; reason: string }
  | { kind: 'leave'; outcome: 'already-running' | 'already-complete'; reason: string }
  | { kind: 'refuse'; reason: string };

const WAIT_FOR: Record<string, string> = {
  creating: 'DMS is still creating the task; run the migration again once it is ready',
  modifying: 'the task is being modified; run the migration again once it is stopped or ready',
  moving: 'the task is moving to another replication instance; run the migration again once the move ends',
  deleting: 'the task is being deleted; it cannot be started',
  testing: 'a premigration assessment is running on the task; run the migration again when it ends',
  stopping: 'the task is stopping; run the migration again once it is stopped',
};

/**
 * Decides how to start the task, never in a way that overwrites target data the operator did not ask to
 * replace. `start-replication` on a task that ran before, and `reload-target` always, truncate or recreate
 * target tables (per the task's TargetTablePrepMode), so they happen only on a never-run task or under
 * `startPolicy: "reload"` with `confirmReloadTarget`. Deciding from the current status also makes the step
 * idempotent: once started, the task reads `starting`/`running` and a second run sends nothing.
 */
export function decideStartAction(task: TaskFacts, policy: StartPolicy, confirmReloadTarget: boolean): StartDecision {
  const reloadConfirmed = policy === 'reload' && confirmReloadTarget;
  if (policy === 'reload' && !confirmReloadTarget) {
    return { kind: 'refuse', reason: 'startPolicy "reload" truncates the target; it needs confirmReloadTarget: true' };
  }
  switch (task.status) {
    case 'running':
    case 'starting':
      return {
        kind: 'leave',
        outcome: 'already-running',
        reason:
          policy === 'reload'
            ? 'the task is already running, so nothing was reloaded (DMS reloads only a stopped task; stop it first to reload)'
            : 'the task is already running; nothing was sent to DMS',
      };
    case 'ready':
      if (task.neverRun) {
        return { kind: 'start', startType: 'start-replication', reason: 'the task has never run: starting its first full load' };
      }
      return stoppedTaskDecision(task, policy, reloadConfirmed);
    case 'stopped':
      return stoppedTaskDecision(task, policy, reloadConfirmed);
    case 'failed':
      return reloadConfirmed
        ? { kind: 'start', startType: 'reload-target', reason: 'the task failed; reloading the target as confirmed' }
        : {
            kind: 'refuse',
            reason: `the task failed${task.lastFailureMessage ? ` (${task.lastFailureMessage})` : ''}: fix the cause, then run again with startPolicy "reload" and confirmReloadTarget: true to reload the target`,
          };
    case 'failed-move':
      return { kind: 'refuse', reason: 'moving the task to another replication instance failed: fix the move in DMS first' };
    default:
      return {
        kind: 'refuse',
        reason: WAIT_FOR[task.status] ?? `DMS reports a task status this tool does not know ("${task.status}"); check the task in DMS`,
      };
  }
}

function stoppedTaskDecision(task: TaskFacts, policy: StartPolicy, reloadConfirmed: boolean): StartDecision {
  if (reloadConfirmed) {
    return { kind: 'start', startType: 'reload-target', reason: 'reloading every target table, as confirmed' };
  }
  if (task.migrationType === 'full-load' && task.stopReason === STOP_REASONS.fullLoadOnlyFinished) {
    return {
      kind: 'leave',
      outcome: 'already-complete',
      reason: 'the full-load task already finished; nothing was restarted (use startPolicy "reload" to load it again)',
    };
  }
  if (hasFailed({ Status: 'stopped', StopReason: task.stopReason }) && policy === 'auto') {
    return {
      kind: 'refuse',
      reason: `the task stopped on an error (${task.stopReason}): fix the cause, then run again with startPolicy "resume" (or "reload" to start over)`,
    };
  }
  return { kind: 'start', startType: 'resume-processing', reason: 'the task was stopped: resuming where it left off' };
}

export function taskFacts(task: ReplicationTask): TaskFacts {
  const stats = task.ReplicationTaskStats;
  return {
    status: task.Status ?? 'unknown',
    migrationType: task.MigrationType ?? 'unknown',
    stopReason: task.StopReason,
    // A task that ever started has a start date; "ready" alone is not enough (a modified task can read "ready").
    neverRun: !task.ReplicationTaskStartDate && !stats?.StartDate && !stats?.FreshStartDate,
    lastFailureMessage: task.LastFailureMessage,
  };
}

export interface StartTaskResult {
  action: StartReplicationTaskTypeValue | 'none';
  outcome: 'started' | 'already-running' | 'already-complete';
  previousStatus: string;
  migrationType: string;
  reason: string;
}

export async function startTask(
  dms: DatabaseMigrationServiceClient,
  config: Pick<MigrationConfig, 'replicationTaskArn' | 'startPolicy' | 'confirmReloadTarget'>,
): Promise<StartTaskResult> {
  const facts = taskFacts(await describeReplicationTask(dms, config.replicationTaskArn));
  const decision = decideStartAction(facts, config.startPolicy, config.confirmReloadTarget);
  logger.info('Start decision', { status: facts.status, policy: config.startPolicy, decision: decision.kind });
  const summary = { previousStatus: facts.status, migrationType: facts.migrationType, reason: decision.reason };

  if (decision.kind === 'refuse') {
    throw new TaskInUnexpectedState(`Replication task not started: ${decision.reason}.`);
  }
  if (decision.kind === 'leave') return { action: 'none', outcome: decision.outcome, ...summary };

  try {
    await dms.send(
      new StartReplicationTaskCommand({
        ReplicationTaskArn: config.replicationTaskArn,
        StartReplicationTaskType: decision.startType,
      }),
    );
  } catch (error) {
    // The task changed state between our read and the start (someone else started or modified it).
    if (error instanceof Error && error.name === 'InvalidResourceStateFault') {
      throw new TaskInUnexpectedState(`DMS refused to ${decision.startType} the task: ${error.message}`);
    }
    throw error;
  }
  return { action: decision.startType, outcome: 'started', ...summary };
}
