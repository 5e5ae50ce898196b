import type { TableStatistics } from '@aws-sdk/client-database-migration-service';
import { VALIDATION_STATES, qualifiedTableName } from './dms';
import type { MigrationConfig } from './migration-input';

/**
 * DMS data validation, summarized from the task's table statistics: the validation check waits on it, the
 * cutover gate judges it, and the CLI's status prints it.
 */

export type ValidationOutcome = 'passed' | 'pending' | 'failed' | 'not-enabled';

export interface TableValidation {
  table: string;
  validationState: string;
  failedRecords: number;
  suspendedRecords: number;
  pendingRecords: number;
  details?: string;
}

export interface ValidationSummary {
  outcome: ValidationOutcome;
  tableCount: number;
  /** `keyless`: tables DMS cannot validate (no primary key) that the independent comparison checks instead. */
  counts: { validated: number; pending: number; failed: number; notEnabled: number; keyless: number };
  /** How many tables keep validation from passing (failed, or unvalidated in a partly validated task). */
  offendingTableCount: number;
  /** Those tables, worst first; at most MAX_LISTED_TABLES. */
  offendingTables: TableValidation[];
  /** Tables still being validated; at most MAX_LISTED_TABLES. */
  pendingTables: TableValidation[];
  /** Keyless tables left to the independent comparison; at most MAX_LISTED_TABLES. */
  keylessTables: string[];
}

export interface ValidationCoverage {
  /**
   * The independent data comparison runs (the input has a `database` block): it compares keyless tables by
   * count and checksum, so DMS's "No primary key" is not a failure but a table left to it.
   */
  keylessTablesCompared: boolean;
}

/** Lists stay short: the summary travels through Step Functions (256 KB payload limit) and into e-mails. */
export const MAX_LISTED_TABLES = 25;

type TableVerdict = 'validated' | 'pending' | 'failed' | 'notEnabled' | 'keyless';

const FAILED_STATES: ReadonlySet<string> = new Set([
  VALIDATION_STATES.mismatchedRecords,
  VALIDATION_STATES.suspendedRecords,
  VALIDATION_STATES.tableError,
  VALIDATION_STATES.error,
]);

/**
 * One table's DMS validation verdict. Failed or suspended record counts fail a table whatever its state
 * says, because DMS can report "Pending records" while some records already mismatched. A state DMS adds
 * later is treated as pending: never as passed. DMS validates only tables with a primary key (or unique
 * index); "No primary key" fails a table unless the independent comparison checks it instead.
 */
export function tableVerdict(table: TableStatistics, coverage: ValidationCoverage = { keylessTablesCompared: false }): TableVerdict {
  const state = table.ValidationState ?? '';
  if (FAILED_STATES.has(state) || (table.ValidationFailedRecords ?? 0) > 0 || (table.ValidationSuspendedRecords ?? 0) > 0) {
    return 'failed';
  }
  if (state === VALIDATION_STATES.noPrimaryKey) return coverage.keylessTablesCompared ? 'keyless' : 'failed';
  if (state === VALIDATION_STATES.validated) return 'validated';
  if (state === VALIDATION_STATES.notEnabled) return 'notEnabled';
  return 'pending';
}

/**
 * The task's validation outcome. A mix of validated and "Not enabled" tables is a failure, not a pass:
 * validation is a task-wide setting, so a table DMS did not validate is a table nobody checked, and the
 * cutover must not treat it as proven. Only when no table is validated at all is validation "not enabled".
 * A task with no table statistics yet is pending. Keyless tables left to the independent comparison count
 * neither way: DMS's verdict is about the tables it can validate.
 */
export function summarizeValidation(tables: TableStatistics[], coverage?: ValidationCoverage): ValidationSummary {
  const byVerdict: Record<TableVerdict, TableValidation[]> = { validated: [], pending: [], failed: [], notEnabled: [], keyless: [] };
  for (const table of tables) byVerdict[tableVerdict(table, coverage)].push(describeTable(table));

  const counts = {
    validated: byVerdict.validated.length,
    pending: byVerdict.pending.length,
    failed: byVerdict.failed.length,
    notEnabled: byVerdict.notEnabled.length,
    keyless: byVerdict.keyless.length,
  };
  const validatable = tables.length - counts.keyless;
  const partlyEnabled = counts.notEnabled > 0 && counts.notEnabled < validatable;
  let outcome: ValidationOutcome;
  if (counts.failed > 0 || partlyEnabled) outcome = 'failed';
  else if (validatable > 0 && counts.notEnabled === validatable) outcome = 'not-enabled';
  else if (counts.pending > 0 || tables.length === 0) outcome = 'pending';
  else outcome = 'passed';

  const offending = [...byVerdict.failed].sort((a, b) => badRecords(b) - badRecords(a));
  if (partlyEnabled) offending.push(...byVerdict.notEnabled);
  return {
    outcome,
    tableCount: tables.length,
    counts,
    offendingTableCount: offending.length,
    offendingTables: offending.slice(0, MAX_LISTED_TABLES),
    pendingTables: byVerdict.pending.slice(0, MAX_LISTED_TABLES),
    keylessTables: byVerdict.keyless.slice(0, MAX_LISTED_TABLES).map((table) => table.table),
  };
}

export function validationCoverage(config: Pick<MigrationConfig, 'database'>): ValidationCoverage {
  return { keylessTablesCompared: config.database !== undefined };
}

export function describeMismatch(summary: ValidationSummary): string {
  const total = summary.offendingTableCount;
  const listed = summary.offendingTables.map(
    (table) =>
      `${table.table} (${table.validationState}: ${table.failedRecords} failed, ${table.suspendedRecords} suspended` +
      `${table.details ? `; ${table.details}` : ''})`,
  );
  const more = total > listed.length ? ` and ${total - listed.length} more` : '';
  const keylessHint = summary.offendingTables.some((table) => table.validationState === VALIDATION_STATES.noPrimaryKey)
    ? ' DMS cannot validate a table without a primary key: add a database block to the input so the independent comparison checks it (by count and checksum), or give the table a primary key.'
    : '';
  return `DMS validation failed for ${total} of ${summary.tableCount} table(s): ${listed.join(', ')}${more}.${keylessHint}`;
}

function describeTable(table: TableStatistics): TableValidation {
  const described: TableValidation = {
    table: qualifiedTableName(table),
    validationState: table.ValidationState ?? 'unknown',
    failedRecords: table.ValidationFailedRecords ?? 0,
    suspendedRecords: table.ValidationSuspendedRecords ?? 0,
    pendingRecords: table.ValidationPendingRecords ?? 0,
  };
  if (table.ValidationStateDetails) described.details = table.ValidationStateDetails;
  return described;
}

function badRecords(table: TableValidation): number {
  return table.failedRecords + table.suspendedRecords;
}
