import { InvalidInput } from '../shared/errors';
import { parseWave, type WaveConfig } from '../shared/wave-input';
import type * as z from 'zod/mini';
import type { waveInputSchema } from '../shared/wave-input';

/**
 * The wave's own decisions, each a pure function the wave's state machine calls between child executions:
 * what the preparation left ready, what the cutover window runs next and what a child's end means for the
 * rest, and the summary that says which migrations are on their target and which still on their source.
 */

/** A migration's preparation as the wave's Map reports it: its child ended ready for cutover, or failed. */
export interface PreparationResult {
  index: number;
  ready: boolean;
  /** Why the child did not reach "ready for cutover", in one line (explainChildFailure). */
  error?: string;
  /** The evidence of a ready one: its load and its DMS validation, as its run left them. */
  progress?: Record<string, unknown>;
  validation?: Record<string, unknown>;
}

export interface Assessment {
  /** Ready for cutover, in the wave's order, with their evidence: what the approver is asked about. */
  candidates: Array<{ name: string; progress?: Record<string, unknown>; validation?: Record<string, unknown> }>;
  notReady: Array<{ name: string; error: string }>;
  /** Whether anything goes to the approver: some migration ready, and all of them when the wave says requireAll. */
  proceed: boolean;
  /** Why not, when it does not. */
  because?: string;
}

export function validateWave(input: z.output<typeof waveInputSchema>, executionName: string): WaveConfig {
  const { wave, problems } = parseWave(input, executionName);
  if (problems.length > 0) throw new InvalidInput(problems);
  return wave;
}

export function assessPreparation(names: string[], requireAll: boolean, results: PreparationResult[]): Assessment {
  const byIndex = new Map(results.map((result) => [result.index, result]));
  const candidates = names.flatMap((name, index) => {
    const result = byIndex.get(index);
    return result?.ready ? [{ name, progress: result.progress, validation: result.validation }] : [];
  });
  const notReady = names.flatMap((name, index) => {
    const result = byIndex.get(index);
    return result?.ready ? [] : [{ name, error: result?.error ?? 'not prepared' }];
  });
  if (candidates.length === 0) return { candidates, notReady, proceed: false, because: 'no migration of the wave is ready for cutover' };
  if (requireAll && notReady.length > 0) {
    return { candidates, notReady, proceed: false, because: `requireAll: ${notReady.map((failed) => failed.name).join(', ')} not ready, so none is cut over` };
  }
  return { candidates, notReady, proceed: true };
}

/** What happened to each migration of the wave, once the window is over. */
export const MIGRATION_OUTCOMES = ['cut-over', 'rolled-back', 'dry-run-passed', 'failed', 'not-ready', 'not-approved', 'halted'] as const;
export type MigrationOutcome = (typeof MIGRATION_OUTCOMES)[number];

export interface CutoverWindow {
  /** Indexes into the wave's migrations still to run, in order. */
  queue: number[];
  outcomes: Record<string, { outcome: MigrationOutcome; error?: string }>;
}

export interface WindowPlan {
  names: string[];
  cutoverSequence: number[];
  rollingBack: boolean;
  /** Every migration when there was nothing to decide (a dry run, or nothing prepared). */
  approved: string[];
  notReady: Array<{ name: string; error: string }>;
}

/** The window's queue: the approved migrations in cutover order, or in reverse order for a rollback. */
export function planWindow(plan: WindowPlan): CutoverWindow {
  const outcomes: CutoverWindow['outcomes'] = {};
  for (const { name, error } of plan.notReady) outcomes[name] = { outcome: 'not-ready', error };
  const sequence = plan.rollingBack ? [...plan.cutoverSequence].reverse() : plan.cutoverSequence;
  const queue: number[] = [];
  for (const index of sequence) {
    const name = plan.names[index];
    if (outcomes[name]) continue;
    if (plan.approved.includes(name)) queue.push(index);
    else outcomes[name] = { outcome: 'not-approved' };
  }
  return { queue, outcomes };
}

/** How one child execution of the window's group ended: its failure (error name and cause) when it failed. */
export interface ChildEnd {
  /** The migration's index into the wave's migrations. */
  index: number;
  failure?: { Error: string; Cause?: string };
}

export interface GroupEnd {
  names: string[];
  window: CutoverWindow;
  /** The group that ran (the head of the queue, `cutoverConcurrency` at most), each child's end. */
  ends: ChildEnd[];
  rollingBack: boolean;
  dryRun: boolean;
  stopOnFirstCutoverFailure: boolean;
}

/**
 * Takes the group that ran off the head of the queue, each with its outcome. A failure with
 * stopOnFirstCutoverFailure halts the rest: the group's other children were started with it and ran to their
 * end (a cutover is never stopped half way), so each keeps its own outcome; nothing after the group starts.
 */
export function recordGroupEnd(end: GroupEnd): CutoverWindow {
  const ran = end.ends.map((child) => child.index);
  const head = end.window.queue.slice(0, ran.length);
  if (ran.length === 0 || ran.some((index) => !head.includes(index))) {
    throw new InvalidInput([`ends: the migrations that ran (${ran.join(', ') || 'none'}) are not the head of the window's queue (${end.window.queue.join(', ') || 'empty'})`]);
  }
  const outcomes = { ...end.window.outcomes };
  const succeeded: MigrationOutcome = end.dryRun ? 'dry-run-passed' : end.rollingBack ? 'rolled-back' : 'cut-over';
  for (const { index, failure } of end.ends) {
    outcomes[end.names[index]] = failure ? { outcome: 'failed', error: explainChildFailure(failure.Error, failure.Cause) } : { outcome: succeeded };
  }
  const rest = end.window.queue.slice(ran.length);
  if (!end.stopOnFirstCutoverFailure || end.ends.every((child) => !child.failure)) return { queue: rest, outcomes };
  for (const index of rest) outcomes[end.names[index]] = { outcome: 'halted' };
  return { queue: [], outcomes };
}

export interface WaveSummary {
  /** Where the applications of each migration point now. */
  onTarget: string[];
  onSource: string[];
  failed: Array<{ name: string; error: string }>;
  /** Every migration ended as asked: cut over (or rolled back, or its dry run passed). */
  complete: boolean;
  lines: string[];
  /** What was not done, in one sentence: the wave's failure cause when it is not complete. */
  because: string;
}

const OUTCOME_TEXT: Record<MigrationOutcome, string> = {
  'cut-over': 'cut over: on the target',
  'rolled-back': 'rolled back: on the source',
  'dry-run-passed': 'dry run passed: still on the source',
  failed: 'FAILED',
  'not-ready': 'not ready for cutover: still on the source',
  'not-approved': 'not approved: still on the source',
  halted: 'halted after an earlier failure: still on the source',
};

export function summarizeWave(names: string[], window: CutoverWindow, rollingBack: boolean): WaveSummary {
  const onTarget: string[] = [];
  const onSource: string[] = [];
  const failed: WaveSummary['failed'] = [];
  const lines: string[] = [];
  for (const name of names) {
    const { outcome, error } = window.outcomes[name] ?? { outcome: 'halted' as const };
    // A failed cutover ends on the source (its failure path gave the source its writes back, or says it did not);
    // a failed rollback leaves the applications on the target.
    const onTheTarget = outcome === 'cut-over' || (rollingBack && outcome !== 'rolled-back');
    (onTheTarget ? onTarget : onSource).push(name);
    if (outcome === 'failed' || outcome === 'not-ready') failed.push({ name, error: error ?? outcome });
    lines.push(`${name}: ${OUTCOME_TEXT[outcome]}${error ? ` (${error})` : ''}`);
  }
  const done: MigrationOutcome[] = ['cut-over', 'rolled-back', 'dry-run-passed'];
  const undone = names.filter((name) => !done.includes(window.outcomes[name]?.outcome ?? 'halted'));
  const because = undone.length === 0 ? '' : `Wave incomplete: ${lines.filter((_, index) => undone.includes(names[index])).join('; ')}. On the target: ${onTarget.join(', ') || 'none'}; on the source: ${onSource.join(', ') || 'none'}.`;
  return { onTarget, onSource, failed, complete: undone.length === 0, lines, because };
}

/**
 * A child execution's failure in one line, from the Cause a `.sync` task reports: the child's
 * DescribeExecution (its `error` and `cause`), or the text itself when it is not that JSON (a refused start).
 */
export function explainChildFailure(error: string, cause: string | undefined): string {
  try {
    const described = JSON.parse(cause ?? '') as { error?: unknown; cause?: unknown; status?: unknown };
    if (typeof described.error === 'string') return `${described.error}${typeof described.cause === 'string' ? `: ${firstLine(described.cause)}` : ''}`;
    if (typeof described.status === 'string') return `${error}: the child execution ended ${described.status}`;
  } catch {
    // Not the child's description: the start itself failed (a denial, a throttle), said in the cause.
  }
  return cause ? `${error}: ${firstLine(cause)}` : error;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
