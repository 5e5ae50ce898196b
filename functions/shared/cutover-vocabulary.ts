import type { MigrationConfig } from './migration-input';

/**
 * The cutover's words, shared by the cutover function, the state machine that calls it step by step
 * (statemachine/cutover-sequence.ts) and the notifications that report it.
 */

/**
 * Which way the applications move: `to-target` is the migration's cutover, `to-source` the rollback, which
 * runs the same steps back through the reverse task. The execution input says it with `mode`.
 */
export type Direction = 'to-target' | 'to-source';

export type DatabaseSide = 'source' | 'target';

export function directionOf(mode: MigrationConfig['mode']): Direction {
  return mode === 'rollback' ? 'to-source' : 'to-target';
}

/**
 * The side the applications leave (its writes are frozen, the marker is written there) and the side they
 * move to (it must have caught up before the switch).
 */
export function sidesOf(direction: Direction): { from: DatabaseSide; to: DatabaseSide } {
  return direction === 'to-source' ? { from: 'target', to: 'source' } : { from: 'source', to: 'target' };
}

/** The steps the cutover function runs, one per state machine task; the workflow names the one to run. */
export const CUTOVER_STEPS = ['gate', 'prepare-way-back', 'check-way-back', 'freeze', 'catch-up', 'unfreeze', 'switch', 'start-reverse', 'check-soak', 'complete'] as const;
export type CutoverStep = (typeof CUTOVER_STEPS)[number];

/**
 * A database the failure path may leave read-only, said in the failure notification before anything else:
 * applications cannot write there until someone acts. `switch-failed`: the switch failed after the freeze,
 * and the endpoint may already be published; `unfreeze-failed`: giving the frozen side its settings back failed;
 * `switched`: the switch is done and a later step failed, so the side applications left stays read-only on
 * purpose (writes there would never reach the side they use now).
 */
export const LEFT_READ_ONLY_REASONS = ['switch-failed', 'unfreeze-failed', 'switched'] as const;
export interface LeftReadOnly {
  side: DatabaseSide;
  because: (typeof LEFT_READ_ONLY_REASONS)[number];
}

/** The tag the way back's replication carries, and the condition its IAM grants are scoped by (infra/phases/cutover.ts). */
export const REVERSE_TAG_KEY = 'dms-orchestrator:migration';
