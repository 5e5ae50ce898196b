import type { ValidationSummary } from '../check-validation/check-validation';

/** What the cutover knows when it decides; gathered from DMS and CloudWatch, judged here without I/O. */
export interface CutoverFacts {
  taskStatus: string;
  migrationType: string;
  /** Maximum CDCLatencySource / CDCLatencyTarget per minute over the window, oldest first. */
  latencySeconds: { source: number[]; target: number[] };
  erroredTables: string[];
  /** Absent when the migration does not require DMS validation. */
  validation?: ValidationSummary;
}

export interface CutoverLimits {
  maxCdcLatencySeconds: number;
  latencyWindowMinutes: number;
}

/**
 * Every reason the cutover must not happen, in words an operator can act on; empty when it may proceed.
 * All reasons are collected, not just the first, so one refusal tells the whole story.
 */
export function cutoverBlockers(facts: CutoverFacts, limits: CutoverLimits): string[] {
  const blockers: string[] = [];
  if (facts.migrationType === 'full-load') {
    blockers.push('the task is full-load only: there is no CDC to drain, so writes made since the load would be lost');
  } else if (facts.taskStatus !== 'running') {
    blockers.push(`the task is "${facts.taskStatus}", not running CDC: changes on the source are not being replicated`);
  }
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
  if (facts.erroredTables.length > 0) blockers.push(`tables in error: ${facts.erroredTables.join(', ')}`);
  if (facts.validation && facts.validation.outcome !== 'passed') {
    const { outcome, offendingTableCount, counts } = facts.validation;
    blockers.push(
      outcome === 'failed'
        ? `DMS validation failed for ${offendingTableCount} table(s)`
        : outcome === 'pending'
          ? `DMS validation is still pending for ${counts.pending} table(s)`
          : 'DMS validation is not enabled on the task',
    );
  }
  return blockers;
}
