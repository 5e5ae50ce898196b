import type { ReplicationEngine } from '../../functions/shared/replication';
import type { ReplicationReading } from '../emulator/dms/api';
import type { AwsEmulator } from '../emulator/server';
import type { StackAuthorizer } from '../iam';
import type { LocalExecution } from '../workflow/execute';
import { listed } from '../../functions/shared/bounded-text';
import type { OwnDatabaseReport } from './own-database';
import { describeOwnSource } from './own-source';
import type { SeedResult } from './sample-schema';
import { HEARTBEAT_TABLE } from '../../functions/cutover/catch-up';
import { approvalPurpose, capitalized } from '../../functions/shared/approval-purpose';
import type { Mode } from '../../functions/shared/migration-input';
import type { CutoverStep, Direction } from '../../functions/shared/cutover-vocabulary';
import { cutoverStepSentences } from '../../functions/shared/notifications/cutover-messages';
import { quoted, readableTime } from '../../functions/shared/operator-text';

/** The record of the switch to the target (`$.switched`, or `$.cutover` before the cutover was split in steps). */
export function switchRecordIn(output: Record<string, unknown> | undefined): { endpointParameterName: string; endpoint: string; snapshotIdentifier?: string } | undefined {
  for (const name of ['switched', 'cutover']) {
    const record = output?.[name] as { endpointParameterName?: unknown; endpoint?: unknown } | undefined;
    if (typeof record?.endpointParameterName === 'string' && typeof record.endpoint === 'string') return record as { endpointParameterName: string; endpoint: string };
  }
  return undefined;
}

export interface SummaryFacts {
  execution: LocalExecution;
  emulator: AwsEmulator;
  seed: SeedResult;
  startedAt: number;
  /** When each state was entered, in order. */
  stateTimings: Array<{ state: string; at: number }>;
  outboxFile: string;
  outcome: { exitCode: number; reason?: string };
  /** Absent when the rehearsal ran without IAM. */
  authorizer?: StackAuthorizer;
  /** What replicated: the engine, and the task's or replication config's ARN. */
  replication: { engine: ReplicationEngine; arn: string };
}

/** How the summary names each engine. */
const ENGINE_NAMES: Record<ReplicationEngine, string> = { task: 'DMS replication task on a replication instance', serverless: 'DMS Serverless replication' };

/** The end-of-run report: outcome, timings, rows copied, validation, where the endpoint went. */
export function rehearsalSummary(facts: SummaryFacts): string {
  const { execution, emulator, seed, outcome } = facts;
  const finishedAt = Date.now();
  const lines: string[] = [];
  lines.push(outcome.exitCode === 0 ? `Rehearsal succeeded in ${seconds(finishedAt - facts.startedAt)}: the migration cut over.` : `Rehearsal FAILED after ${seconds(finishedAt - facts.startedAt)}: ${outcome.reason}`);

  lines.push('', `Engine: ${ENGINE_NAMES[facts.replication.engine]}, ${facts.replication.arn}`);
  lines.push('', 'Timings (states that took 0.1 s or more in all):', ...stateTimingLines(facts.stateTimings, finishedAt, { minimumMillis: 100 }));

  if (execution.retries.length > 0) {
    const retried = new Map<string, number>();
    for (const retry of execution.retries) retried.set(`${retry.state} after ${retry.error}`, (retried.get(`${retry.state} after ${retry.error}`) ?? 0) + 1);
    lines.push('', 'Retried:', ...[...retried].map(([what, times]) => `  ${what} (${times}x)`));
  }

  lines.push('', ...loadLines(emulator.dms.reading(facts.replication.arn), seed));
  const output = execution.output ?? {};
  const validation = output.validation as { outcome?: string; counts?: Record<string, number> } | undefined;
  if (validation) lines.push('', `DMS validation: ${validation.outcome} (${Object.entries(validation.counts ?? {}).map(([name, count]) => `${count} ${words(name)}`).join(', ')})`);
  for (const [name, value] of Object.entries(output)) {
    const told = OUTPUT_REPORTS[name]?.(value as Record<string, unknown>, output);
    if (told) lines.push('', ...told);
  }

  const cutover = switchRecordIn(output);
  if (cutover) {
    const published = emulator.parameters.get(cutover.endpointParameterName);
    lines.push('', `Endpoint published: SSM parameter ${cutover.endpointParameterName} = ${published?.value ?? '(not set)'}`);
    if (cutover.snapshotIdentifier) lines.push(`Snapshot before cutover: ${cutover.snapshotIdentifier}`);
  }
  const failure = [...emulator.messages].reverse().find((message) => message.attributes.kind === 'failure');
  if (failure) lines.push('', `Failure notification: ${failure.subject}`, ...failure.message.split('\n').slice(0, 8).map((line) => `  ${line}`));
  lines.push('', `Notifications: ${emulator.messages.length} published, in ${facts.outboxFile}`);
  lines.push(...iamSummary(facts.authorizer));
  return lines.join('\n');
}

/**
 * The full load's rows per table, and what CDC applied after it; only that the load never started when the
 * run ended before it (no figures of a load that did not happen).
 */
export function loadLines(replication: ReplicationReading, seed: SeedResult): string[] {
  const { tables, stats } = replication;
  if (tables.length === 0 && !stats?.FullLoadStartDate) return ['Full load: not started (the run ended before it).'];
  const lines: string[] = [];
  const copied = tables.reduce((sum, table) => sum + (table.FullLoadRows ?? 0), 0);
  const loadMillis = stats?.FullLoadStartDate && stats.FullLoadFinishDate ? stats.FullLoadFinishDate.getTime() - stats.FullLoadStartDate.getTime() : undefined;
  const rate = loadMillis ? ` in ${seconds(loadMillis)} (${Math.round(copied / (loadMillis / 1000)).toLocaleString('en-US')} rows/s)` : '';
  lines.push(`Full load: ${copied.toLocaleString('en-US')} of ${seed.totalRows.toLocaleString('en-US')} rows copied${rate}`);
  const nameWidth = Math.max(34, ...tables.map((table) => `${table.SchemaName}.${table.TableName}`.length));
  for (const table of tables) {
    // The operator's preparation for the catch-up proof, not one of the seeded tables.
    const heartbeat = table.TableName === HEARTBEAT_TABLE ? ' (the cutover\'s heartbeat table)' : '';
    lines.push(`  ${`${table.SchemaName}.${table.TableName}`.padEnd(nameWidth)} ${String((table.FullLoadRows ?? 0).toLocaleString('en-US')).padStart(9)} rows  ${table.TableState}; DMS validation: ${table.ValidationState}${table.ValidationFailedRecords ? ` (${table.ValidationFailedRecords} failed)` : ''}${heartbeat}`);
  }
  if (replication.migrationType === 'full-load-and-cdc') {
    const changes = (field: 'Inserts' | 'Updates' | 'Deletes') => tables.reduce((sum, table) => sum + (table[field] ?? 0), 0);
    const { capture } = replication;
    const fromBinlog = capture ? `; ${capture.appliedTransactions} source transaction${capture.appliedTransactions === 1 ? '' : 's'} applied from the binlog, now at ${capture.binlogPosition}` : '';
    lines.push(`Ongoing replication (CDC): ${changes('Inserts')} inserts, ${changes('Updates')} updates, ${changes('Deletes')} deletes applied after the load${fromBinlog}`);
  }
  return lines;
}

/** Whether the run's AWS calls were held to the stack's IAM, how many, and each one denied. */
export function iamSummary(authorizer: StackAuthorizer | undefined): string[] {
  if (!authorizer) return ['IAM not enforced (--without-iam): the functions\' calls were not evaluated against their roles.'];
  const denied = authorizer.deniedCalls;
  return [
    `IAM enforced: ${authorizer.evaluatedCalls} calls evaluated, ${denied.length} denied`,
    ...denied.map((call) => `  DENIED ${call.action} on ${call.resources.join(', ')} for ${call.principal}`),
  ];
}

/** Lines telling one step's result (`value`, at its name in `$`), given the workflow's whole output. */
type Report = (value: Record<string, unknown>, output: Record<string, unknown>) => string[] | undefined;

/**
 * Each step's result in `$` the summary tells, in the words of the e-mails where they have them; the rest of
 * `$` is the workflow's own bookkeeping, or told above (the load, DMS validation, the endpoint, the failure).
 * Every name a state writes is in one of the two lists: a test holds the synthesized definition to it.
 */
export const OUTPUT_REPORTS: Readonly<Record<string, Report>> = {
  readiness: (report) => readinessLines(report),
  dataComparison: (report) => [comparisonLine('Independent data comparison', report)],
  dataRecheck: (report) => [comparisonLine('Independent data comparison before cutover', report)],
  // Only an approval (or a rollback's emergency skip) lands here: a rejection ends the run through `$.error`.
  approval: (record, output) => {
    const name = capitalized(approvalPurpose((output.config as { mode?: Mode } | undefined)?.mode).name);
    if (record.decision === 'skipped') return [`${name} approval skipped in an emergency (rollback.emergencySkipApproval) at ${readableTime(text(record.at))}.`];
    return typeof record.decidedBy === 'string' ? [`${name} approved by ${record.decidedBy} at ${readableTime(text(record.decidedAt))}.`, ...(typeof record.reason === 'string' ? [quoted(record.reason)] : [])] : undefined;
  },
  undeliveredNotifications: (undelivered) => [
    'Notifications not delivered (the run went on without them):',
    ...Object.values(undelivered as Record<string, { notification?: string; error?: string }>).map((record) => `  ${record.notification ?? 'a notification'}: ${record.error ?? 'refused'}`),
  ],
  reversePath: (path) => [
    `Way back: reverse replication task ${text(path.taskArn) ?? '(not created)'} ${String(path.taskStatus)}, its endpoints' connection tests ${String((path.connections as { status?: string } | undefined)?.status ?? 'not run')}.`,
  ],
  gate: (gate, output) => cutoverStepLines('Cutover gate', 'gate', gate, output),
  freeze: (freeze, output) => cutoverStepLines('Write freeze', 'freeze', freeze, output),
  catchUp: (proof, output) => cutoverStepLines('Catch-up proof', 'catch-up', proof, output),
  unfreeze: (unfreeze, output) => {
    const restored = unfreeze.restored as Record<string, unknown> | undefined;
    const side = text((output.freeze as Record<string, unknown> | undefined)?.side) ?? 'frozen side';
    return restored ? [`Writes restored on the ${side} after the failure: read_only=${String(restored.readOnly)}.`] : undefined;
  },
  reverseReplication: (reverse, output) => cutoverStepLines('After the switch', 'start-reverse', reverse, output),
  soak: (soak) => [`Soak time after the cutover: over at ${readableTime(text(soak.soakEndedAt))}.`],
  complete: (removal, output) => cutoverStepLines('Completion', 'complete', removal, output),
};

/** The workflow's bookkeeping in `$`, and what the summary tells in its own lines. */
export const OUTPUT_NOT_REPORTED: ReadonlySet<string> = new Set([
  'config', 'target', 'runLock', 'connectionChecks', 'connections', 'checks', 'start', 'progress', 'validationWait', 'validation', 'gateInputs', 'switched', 'error', 'failedStep', 'failure',
]);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** A readiness report by its counts and the checks that did not pass, with their remedy. */
export function readinessLines(report: Record<string, unknown>): string[] {
  const { counts, checks } = report as { counts?: Record<string, number>; checks?: Array<{ name: string; status: string; seen?: string; remedy?: string }> };
  if (!counts || !Array.isArray(checks)) return ['Readiness checks: not run (no database access in the input)'];
  const notable = checks.filter((check) => check.status !== 'pass');
  return [
    `Readiness checks: ${Object.entries(counts).map(([status, count]) => `${count} ${status}`).join(', ')}`,
    ...notable.map((check) => `  ${check.status.toUpperCase()} ${check.name}: ${check.seen ?? ''}${check.remedy ? ` -> ${check.remedy}` : ''}`),
  ];
}

/** A comparison's outcome, tables, rows and where the full report is. */
export function comparisonLine(title: string, report: Record<string, unknown>): string {
  const { outcome, tableCount, sourceRows, targetRows } = report as { outcome?: string; tableCount?: number; sourceRows?: number; targetRows?: number };
  const rows = sourceRows !== undefined ? `, ${sourceRows.toLocaleString('en-US')} source rows, ${(targetRows ?? 0).toLocaleString('en-US')} target rows` : '';
  return `${title}: ${outcome ?? 'unknown'} (${tableCount ?? '?'} tables${rows})${text(report.report) ? `; report ${String(report.report)}` : ''}`;
}

/** A cutover step told as its e-mail tells it, under a title; the direction is the gate's. */
export function cutoverStepLines(title: string, step: CutoverStep, outcome: Record<string, unknown>, output: Record<string, unknown>): string[] {
  const direction: Direction = (output.gate as { direction?: unknown } | undefined)?.direction === 'to-source' ? 'to-source' : 'to-target';
  return [`${title}:`, ...(cutoverStepSentences(step, outcome, direction) ?? []).map((sentence) => `  ${sentence}`)];
}

/** One line per state name, in the order they were first entered; a state entered again (a loop) once, with its count. */
export function stateTimingLines(
  stateTimings: Array<{ state: string; at: number }>,
  finishedAt: number,
  { minimumMillis = 0, nameWidth = 34, include = (_state: string): boolean => true } = {},
): string[] {
  const byName = new Map<string, { millis: number; times: number }>();
  stateTimings.forEach(({ state, at }, index) => {
    const entry = byName.get(state) ?? { millis: 0, times: 0 };
    byName.set(state, { millis: entry.millis + (stateTimings[index + 1]?.at ?? finishedAt) - at, times: entry.times + 1 });
  });
  return [...byName]
    .filter(([state, { millis }]) => include(state) && millis >= minimumMillis)
    .map(([state, { millis, times }]) => `  ${state.padEnd(nameWidth)} ${seconds(millis).padStart(8)}${times > 1 ? `  (${times} times)` : ''}`);
}

/** `notEnabled` -> `not enabled`: field names as words. */
export function words(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, (_, lower: string, upper: string) => `${lower} ${upper.toLowerCase()}`);
}

export function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

/**
 * For `--source`: what the operator's real migration would meet, from the readiness checks run on their own
 * server (the workflow on the copy ran against the copy's server settings, which the rehearsal chose), and
 * what the copy changed or left out.
 */
export function ownDatabaseSummary({ source, inspection, copy }: OwnDatabaseReport): string {
  const lines = [`Your database ${describeOwnSource(source)}: what your real migration would meet`];
  const describe = (check: (typeof inspection.checks)[number]) => `    ${check.name}: ${check.seen}${check.remedy ? ` -> ${check.remedy}` : ''}`;
  const blocking = inspection.checks.filter((check) => check.status === 'fail');
  const warning = inspection.checks.filter((check) => check.status === 'warn');
  lines.push(
    blocking.length === 0 ? '  Nothing would have blocked its start.' : `  Would have BLOCKED its start (the readiness step fails on your server as it is):`,
    ...blocking.map(describe),
    warning.length === 0 ? '  No warnings.' : '  Would have warned:',
    ...warning.map(describe),
  );
  if (inspection.collationsInUse.length > 1) {
    const inUse = inspection.collationsInUse.map(({ collation, columns }) => (columns.length > 3 ? `${collation} (${columns.length} columns)` : `${collation} (${columns.join(', ')})`));
    lines.push(`  Collations in use, more than one (the readiness step compares each with your real target's): ${inUse.join('; ')}`);
  }
  const onTheCopy = [
    ...copy.sampledTables.map((table) => `sampled: ${table.table}, its first ${table.copiedRows.toLocaleString('en-US')} of about ${table.estimatedRows.toLocaleString('en-US')} rows (--sample)`),
    ...(copy.collationsReplaced.length > 0 ? [`collations the copy's MariaDB lacks, replaced: ${listed(copy.collationsReplaced)}`] : []),
    ...(['views', 'triggers', 'routines'] as const)
      .filter((kind) => inspection.notCopied[kind].length > 0)
      .map((kind) => `not copied (the rehearsal copies base tables): ${kind} ${listed(inspection.notCopied[kind])}`),
  ];
  if (onTheCopy.length > 0) lines.push('  The copy differs from your database:', ...onTheCopy.map((line) => `    ${line}`));
  lines.push(`Your server was only read, in one read-only session: nothing was written to it, it was never frozen, and none of its settings changed.`);
  return lines.join('\n');
}
