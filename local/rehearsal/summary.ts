import type { AwsEmulator } from '../emulator/server';
import type { StackAuthorizer } from '../iam';
import type { LocalExecution } from '../workflow/execute';
import { listed } from '../../functions/shared/bounded-text';
import type { OwnDatabaseReport } from './own-database';
import { describeOwnSource } from './own-source';
import type { SeedResult } from './sample-schema';

/** What the workflow's output holds that this summary reports in its own words, or that is only plumbing. */
const REPORTED_OUTPUT = new Set([
  'config', 'target', 'connectionChecks', 'connections', 'start', 'progress', 'validationWait', 'validation', 'approval', 'cutover', 'switched', 'error', 'failedStep',
  'runLock', 'gateInputs',
]);

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
}

/** The end-of-run report: outcome, timings, rows copied, validation, where the endpoint went. */
export function rehearsalSummary(facts: SummaryFacts): string {
  const { execution, emulator, seed, outcome } = facts;
  const finishedAt = Date.now();
  const lines: string[] = [];
  lines.push(outcome.exitCode === 0 ? `Rehearsal succeeded in ${seconds(finishedAt - facts.startedAt)}: the migration cut over.` : `Rehearsal FAILED after ${seconds(finishedAt - facts.startedAt)}: ${outcome.reason}`);

  lines.push('', 'Timings (states that took 0.1 s or more):');
  facts.stateTimings.forEach(({ state, at }, index) => {
    const took = (facts.stateTimings[index + 1]?.at ?? finishedAt) - at;
    if (took >= 100) lines.push(`  ${state.padEnd(34)} ${seconds(took).padStart(8)}`);
  });

  if (execution.retries.length > 0) {
    const retried = new Map<string, number>();
    for (const retry of execution.retries) retried.set(`${retry.state} after ${retry.error}`, (retried.get(`${retry.state} after ${retry.error}`) ?? 0) + 1);
    lines.push('', 'Retried:', ...[...retried].map(([what, times]) => `  ${what} (${times}x)`));
  }

  const tables = emulator.dms.describeTables();
  const copied = tables.reduce((sum, table) => sum + (table.FullLoadRows ?? 0), 0);
  const stats = emulator.dms.describeTask().ReplicationTaskStats;
  const loadMillis = stats?.FullLoadStartDate && stats.FullLoadFinishDate ? stats.FullLoadFinishDate.getTime() - stats.FullLoadStartDate.getTime() : undefined;
  const rate = loadMillis ? ` in ${seconds(loadMillis)} (${Math.round(copied / (loadMillis / 1000)).toLocaleString('en-US')} rows/s)` : '';
  lines.push('', `Full load: ${copied.toLocaleString('en-US')} of ${seed.totalRows.toLocaleString('en-US')} rows copied${rate}`);
  const nameWidth = Math.max(34, ...tables.map((table) => `${table.SchemaName}.${table.TableName}`.length));
  for (const table of tables) {
    lines.push(`  ${`${table.SchemaName}.${table.TableName}`.padEnd(nameWidth)} ${String((table.FullLoadRows ?? 0).toLocaleString('en-US')).padStart(9)} rows  ${table.TableState}; DMS validation: ${table.ValidationState}${table.ValidationFailedRecords ? ` (${table.ValidationFailedRecords} failed)` : ''}`);
  }

  if (emulator.dms.describeTask().MigrationType === 'full-load-and-cdc') {
    const changes = (field: 'Inserts' | 'Updates' | 'Deletes') => tables.reduce((sum, table) => sum + (table[field] ?? 0), 0);
    const capture = emulator.dms.describeCapture();
    const fromBinlog = capture ? `; ${capture.appliedTransactions} source transactions applied from the binlog, now at ${capture.binlogPosition}` : '';
    lines.push(`Ongoing replication (CDC): ${changes('Inserts')} inserts, ${changes('Updates')} updates, ${changes('Deletes')} deletes applied after the load${fromBinlog}`);
  }

  const output = execution.output ?? {};
  const validation = output.validation as { outcome?: string; counts?: Record<string, number> } | undefined;
  if (validation) lines.push('', `DMS validation: ${validation.outcome} (${Object.entries(validation.counts ?? {}).map(([name, count]) => `${count} ${name}`).join(', ')})`);
  // Reports of the other workflow steps (readiness, the independent comparison, ...), recognized by their shape.
  for (const [name, report] of Object.entries(output).filter(([name]) => !REPORTED_OUTPUT.has(name))) {
    lines.push('', ...describeReport(name, report));
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

/** Whether the run's AWS calls were held to the stack's IAM, how many, and each one denied. */
export function iamSummary(authorizer: StackAuthorizer | undefined): string[] {
  if (!authorizer) return ['IAM not enforced (--without-iam): the functions\' calls were not evaluated against their roles.'];
  const denied = authorizer.deniedCalls;
  return [
    `IAM enforced: ${authorizer.evaluatedCalls} calls evaluated, ${denied.length} denied`,
    ...denied.map((call) => `  DENIED ${call.action} on ${call.resources.join(', ')} for ${call.principal}`),
  ];
}

interface CheckReport {
  counts: Record<string, number>;
  checks: Array<{ name: string; status: string; seen?: string; remedy?: string }>;
}
interface ComparisonReport {
  outcome: string;
  tableCount: number;
  sourceRows?: number;
  targetRows?: number;
  report?: string;
}

/** A readiness-style report lists its checks; a comparison gives its outcome; anything else shows as JSON. */
export function describeReport(name: string, report: unknown): string[] {
  const value = report as Partial<CheckReport & ComparisonReport>;
  if (value && typeof value.counts === 'object' && Array.isArray(value.checks)) {
    const counts = Object.entries(value.counts).map(([status, count]) => `${count} ${status}`).join(', ');
    const notable = value.checks.filter((check) => check.status !== 'pass');
    return [`${name}: ${counts}`, ...notable.map((check) => `  ${check.status.toUpperCase()} ${check.name}: ${check.seen ?? ''}${check.remedy ? ` -> ${check.remedy}` : ''}`)];
  }
  if (value && typeof value.outcome === 'string' && typeof value.tableCount === 'number') {
    const rows = value.sourceRows !== undefined ? `, ${value.sourceRows.toLocaleString('en-US')} source rows, ${(value.targetRows ?? 0).toLocaleString('en-US')} target rows` : '';
    return [`${name}: ${value.outcome} (${value.tableCount} tables${rows})${value.report ? `; report ${value.report}` : ''}`];
  }
  const proof = report as { marker?: string; writtenAt?: string; seenOnTargetAt?: string };
  if (proof && typeof proof.marker === 'string' && proof.seenOnTargetAt) {
    return [`${name}: marker ${proof.marker} written on the source at ${proof.writtenAt}, seen on the target at ${proof.seenOnTargetAt}`];
  }
  const reverse = report as { taskArn?: string; taskStatus?: string; cdcStartPosition?: string };
  if (name === 'reverseReplication' && reverse?.cdcStartPosition) {
    return [`Start reverse replication: task ${reverse.taskArn} ${reverse.taskStatus} at the target's binlog position ${reverse.cdcStartPosition}`];
  }
  const json = JSON.stringify(report);
  return [`${name}: ${json.length > 200 ? `${json.slice(0, 200)}...` : json}`];
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
