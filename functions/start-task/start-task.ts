import { TaskInUnexpectedState } from '../shared/errors';
import { logger } from '../shared/logger';
import type { MigrationConfig, StartPolicy } from '../shared/migration-input';
import { STOP_REASONS } from '../shared/dms';
import { ENGINE_FACTS, type Replication, type ReplicationState, type StartType } from '../shared/replication';
import { isStoppedByError, type ReplicationEngine } from '../shared/replication/state';
import { meaningOf } from '../shared/replication/vocabulary';

/** What the replication looks like before we touch it: the facts the start decision depends on. */
export interface StartFacts {
  engine: ReplicationEngine;
  status: string;
  migrationType: string;
  stopReason?: string;
  /** DMS has never started it, so starting it cannot overwrite a previous load. */
  neverRun: boolean;
  lastFailureMessage?: string;
}

export type StartDecision =
  | { kind: 'start'; startType: StartType; reason: string }
  | { kind: 'leave'; outcome: 'already-running' | 'already-complete'; reason: string }
  | { kind: 'refuse'; reason: string };

/**
 * Decides how to start the replication, never in a way that overwrites target data the operator did not ask
 * to replace. `start-replication` on one that ran before, and `reload-target` always, truncate or recreate
 * target tables (per its TargetTablePrepMode), so they happen only on a never-run replication or under
 * `startPolicy: "reload"` with `confirmReloadTarget`. Deciding from the current status also makes the step
 * idempotent: once started, the replication reads starting (serverless: provisioning) or running, and a
 * second run sends nothing. One table for both engines: each engine's statuses map to what they mean
 * (replication/vocabulary.ts), and both take the same start types.
 */
export function decideStartAction(task: StartFacts, policy: StartPolicy, confirmReloadTarget: boolean): StartDecision {
  const noun = ENGINE_FACTS[task.engine].noun;
  const reloadConfirmed = policy === 'reload' && confirmReloadTarget;
  if (policy === 'reload' && !confirmReloadTarget) {
    return { kind: 'refuse', reason: 'startPolicy "reload" truncates the target; it needs confirmReloadTarget: true' };
  }
  const meaning = meaningOf(task.engine, task.status);
  switch (meaning?.start) {
    case 'in-progress':
      return {
        kind: 'leave',
        outcome: 'already-running',
        reason:
          policy === 'reload'
            ? `the ${noun} is already running, so nothing was reloaded (DMS reloads only a stopped ${noun}; stop it first to reload)`
            : `the ${noun} is already running; nothing was sent to DMS`,
      };
    case 'ready':
      if (task.neverRun) {
        return { kind: 'start', startType: 'start-replication', reason: `the ${noun} has never run: starting its first full load` };
      }
      return stoppedTaskDecision(task, policy, reloadConfirmed);
    case 'stopped':
      return stoppedTaskDecision(task, policy, reloadConfirmed);
    case 'failed':
      return reloadConfirmed
        ? { kind: 'start', startType: 'reload-target', reason: `the ${noun} failed; reloading the target as confirmed` }
        : {
            kind: 'refuse',
            reason: `the ${noun} failed${task.lastFailureMessage ? ` (${task.lastFailureMessage})` : ''}: fix the cause, then run again with startPolicy "reload" and confirmReloadTarget: true to reload the target`,
          };
    case 'wait':
      return { kind: 'refuse', reason: meaning.reason ?? `the ${noun} is ${task.status}` };
    default:
      return { kind: 'refuse', reason: `DMS reports a ${noun} status this tool does not know ("${task.status}"); check the ${noun} in DMS` };
  }
}

function stoppedTaskDecision(task: StartFacts, policy: StartPolicy, reloadConfirmed: boolean): StartDecision {
  const noun = ENGINE_FACTS[task.engine].noun;
  if (reloadConfirmed) {
    return { kind: 'start', startType: 'reload-target', reason: 'reloading every target table, as confirmed' };
  }
  if (task.migrationType === 'full-load' && task.stopReason === STOP_REASONS.fullLoadOnlyFinished) {
    return {
      kind: 'leave',
      outcome: 'already-complete',
      reason: `the full-load ${noun} already finished; nothing was restarted (use startPolicy "reload" to load it again)`,
    };
  }
  if (isStoppedByError(task.stopReason) && policy === 'auto') {
    return {
      kind: 'refuse',
      reason: `the ${noun} stopped on an error (${task.stopReason}): fix the cause, then run again with startPolicy "resume" (or "reload" to start over)`,
    };
  }
  return { kind: 'start', startType: 'resume-processing', reason: `the ${noun} was stopped: resuming where it left off` };
}

export function startFacts(state: ReplicationState): StartFacts {
  const facts: StartFacts = { engine: state.engine, status: state.status, migrationType: state.migrationType, neverRun: state.neverRun };
  if (state.stopReason) facts.stopReason = state.stopReason;
  if (state.failureMessage) facts.lastFailureMessage = state.failureMessage;
  return facts;
}

export interface StartTaskResult {
  action: StartType | 'none';
  outcome: 'started' | 'already-running' | 'already-complete';
  previousStatus: string;
  migrationType: string;
  reason: string;
}

export async function startTask(
  replication: Replication,
  config: Pick<MigrationConfig, 'startPolicy' | 'confirmReloadTarget'>,
): Promise<StartTaskResult> {
  const facts = startFacts(await replication.describe());
  const decision = decideStartAction(facts, config.startPolicy, config.confirmReloadTarget);
  logger.info('Start decision', { status: facts.status, policy: config.startPolicy, decision: decision.kind });
  const summary = { previousStatus: facts.status, migrationType: facts.migrationType, reason: decision.reason };
  const noun = ENGINE_FACTS[replication.engine].noun;

  if (decision.kind === 'refuse') {
    throw new TaskInUnexpectedState(`Replication ${replication.engine === 'task' ? 'task ' : ''}not started: ${decision.reason}.`);
  }
  if (decision.kind === 'leave') return { action: 'none', outcome: decision.outcome, ...summary };

  try {
    await replication.start(decision.startType);
  } catch (error) {
    // The replication changed state between our read and the start (someone else started or modified it).
    if (error instanceof Error && error.name === 'InvalidResourceStateFault') {
      throw new TaskInUnexpectedState(`DMS refused to ${decision.startType} the ${noun}: ${error.message}`);
    }
    throw error;
  }
  return { action: decision.startType, outcome: 'started', ...summary };
}
