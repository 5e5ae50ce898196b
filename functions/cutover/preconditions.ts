import { listed } from '../shared/bounded-text';
import type { ValidationSummary } from '../shared/validation-summary';

/** What the cutover knows when it decides; gathered from DMS and CloudWatch, judged here without I/O. */
export interface CutoverFacts {
  taskStatus: string;
  migrationType: string;
  /** For a full-load task: DMS finished loading every table (stopped with FULL_LOAD_ONLY_FINISHED). */
  fullLoadFinished: boolean;
  /** Maximum CDCLatencySource / CDCLatencyTarget per minute over the window, oldest first. */
  latencySeconds: { source: number[]; target: number[] };
  erroredTables: string[];
  /** Tables not `Table completed` (loading, reloading), with their state; every mapped table must be loaded. */
  incompleteTables: string[];
  /** Absent when the migration does not require DMS validation. */
  validation?: ValidationSummary;
  /** Records DMS has yet to validate, over all tables. */
  pendingValidationRecords?: number;
}

export interface CutoverLimits {
  maxCdcLatencySeconds: number;
  latencyWindowMinutes: number;
  /** Pending-only validation passes when no more records than this are pending. @default 0 */
  maxPendingValidationRecords?: number;
}

/**
 * Every reason the cutover must not happen, in words an operator can act on; empty when it may proceed.
 * All reasons are collected, not just the first, so one refusal tells the whole story.
 */
export function cutoverBlockers(facts: CutoverFacts, limits: CutoverLimits): string[] {
  const blockers: string[] = [];
  if (facts.migrationType === 'full-load') {
    // A full-load-only migration copies a source that no longer changes (writes stopped before the load):
    // there is no CDC to drain, so the finished load is the whole precondition on the task.
    if (!facts.fullLoadFinished) blockers.push(`the full-load task has not finished loading (it is "${facts.taskStatus}")`);
  } else {
    if (facts.taskStatus !== 'running') {
      blockers.push(`the task is "${facts.taskStatus}", not running CDC: changes on the source are not being replicated`);
    }
    blockers.push(...latencyBlockers(facts, limits));
  }
  if (facts.erroredTables.length > 0) blockers.push(`tables in error: ${listed(facts.erroredTables)}`);
  // Checked apart from validation: with DMS validation off, nothing else would notice a table still loading.
  if (facts.incompleteTables.length > 0) blockers.push(`tables not completed: ${listed(facts.incompleteTables)}`);
  if (facts.validation && facts.validation.outcome !== 'passed' && !pendingWithinLimit(facts, limits)) blockers.push(validationBlocker(facts.validation));
  return blockers;
}

/** CDC latency, source and target, over the whole window; no data is as bad as too much latency. */
function latencyBlockers(facts: CutoverFacts, limits: CutoverLimits): string[] {
  const blockers: string[] = [];
  for (const side of ['source', 'target'] as const) {
    const samples = facts.latencySeconds[side];
    const metric = side === 'source' ? 'CDCLatencySource' : 'CDCLatencyTarget';
    if (samples.length === 0) {
      blockers.push(`no ${metric} data in the last ${limits.latencyWindowMinutes} minutes: DMS is not reporting CDC latency`);
      continue;
    }
    const worst = Math.max(...samples);
    if (worst > limits.maxCdcLatencySeconds) {
      blockers.push(
        `${metric} reached ${worst} s in the last ${limits.latencyWindowMinutes} minutes (maximum ${limits.maxCdcLatencySeconds} s)`,
      );
    }
  }
  return blockers;
}

/** Under CDC, validation of the latest changes is always a little behind: a few pending records, none failed, may pass. */
function pendingWithinLimit(facts: CutoverFacts, limits: CutoverLimits): boolean {
  return facts.validation?.outcome === 'pending' && (facts.pendingValidationRecords ?? Infinity) <= (limits.maxPendingValidationRecords ?? 0);
}

function validationBlocker({ outcome, offendingTableCount, counts }: ValidationSummary): string {
  if (outcome === 'failed') return `DMS validation failed for ${offendingTableCount} table(s)`;
  if (outcome === 'pending') return `DMS validation is still pending for ${counts.pending} table(s)`;
  return 'DMS validation is not enabled on the task';
}
