import type { S3Client } from '@aws-sdk/client-s3';
import type { DifferingKeys } from '../shared/data-comparison/compare-chunk';
import { getJson, listKeys, putJson, reportKey, resultsPrefix, tableKey, type ChunkResult, type ComparedTable } from '../shared/data-comparison/comparison-run';
import { DataMismatch } from '../shared/errors';

/** Tables named in the step output and the failure message; the full report is in S3. */
export const MAX_TABLES_LISTED = 10;
/** Keys quoted per category in the failure message. */
const KEYS_QUOTED = 3;
/** Objects read from S3 at once. */
const READ_CONCURRENCY = 16;

export interface TableReport {
  table: string;
  method: ComparedTable['method'];
  status: 'match' | 'mismatch' | 'not-compared' | 'incomplete';
  /** Why the comparison is weaker than key by key, or did not happen. */
  note?: string;
  keyColumns: string[];
  chunks: { planned: number; compared: number; differing: number };
  sourceRows: number;
  targetRows: number;
  missingOnTarget: DifferingKeys;
  extraOnTarget: DifferingKeys;
  different: DifferingKeys;
}

/** The run in numbers: what an approver weighs next to DMS validation. Stored in report.json and returned. */
export interface ComparisonTotals {
  tableCount: number;
  /** Tables compared in full, and those that could not be compared at all (missing, extra, columns differ). */
  comparedTables: number;
  notComparedTables: number;
  differingTables: number;
  /** Rows compared on each side. */
  sourceRows: number;
  targetRows: number;
  /** Located rows, by category, over all tables (exact counts). */
  differences: { missingOnTarget: number; extraOnTarget: number; different: number };
  /** Tables compared the weaker way (no key, key missing on target, key collation differs), with the reason. */
  weakerCases: Array<{ table: string; method: TableReport['method']; note: string }>;
}

export interface ComparisonSummary extends ComparisonTotals {
  outcome: 'match';
  /** Tables that matched but were compared without key ranges, by name (the first MAX_TABLES_LISTED). */
  weakerTables: string[];
  report: string;
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]);
  });
  await Promise.all(lanes);
  return results;
}

const addKeys = (into: DifferingKeys, from: DifferingKeys | undefined, maxKeys: number) => {
  if (!from) return;
  into.count += from.count;
  into.keys.push(...from.keys.slice(0, Math.max(0, maxKeys - into.keys.length)));
};

export function tableReport(table: ComparedTable, results: ChunkResult[], maxKeys: number): TableReport {
  const report: TableReport = {
    table: `${table.schema}.${table.table}`,
    method: table.method,
    status: 'match',
    ...(table.note ? { note: table.note } : {}),
    keyColumns: table.keyColumns,
    chunks: { planned: table.chunkCount, compared: results.length, differing: 0 },
    sourceRows: 0,
    targetRows: 0,
    missingOnTarget: { count: 0, keys: [] },
    extraOnTarget: { count: 0, keys: [] },
    different: { count: 0, keys: [] },
  };
  for (const result of [...results].sort((a, b) => a.chunkIndex - b.chunkIndex)) {
    report.sourceRows += result.source.rowCount;
    report.targetRows += result.target.rowCount;
    if (result.match) continue;
    report.chunks.differing += 1;
    addKeys(report.missingOnTarget, result.differences?.missingOnTarget, maxKeys);
    addKeys(report.extraOnTarget, result.differences?.extraOnTarget, maxKeys);
    addKeys(report.different, result.differences?.different, maxKeys);
  }
  report.status = table.method === 'not-compared' ? 'not-compared' : results.length < table.chunkCount ? 'incomplete' : report.chunks.differing > 0 ? 'mismatch' : 'match';
  return report;
}

/** `id=5` or `(region=us, seq=700)`. */
export function formatKey(keyColumns: string[], values: string[]): string {
  const pairs = values.map((value, index) => `${keyColumns[index]}=${value}`);
  return pairs.length === 1 ? pairs[0] : `(${pairs.join(', ')})`;
}

export function describeTable(report: TableReport): string {
  switch (report.status) {
    case 'not-compared':
      return `${report.table}: not compared, ${report.note}`;
    case 'incomplete':
      return `${report.table}: only ${report.chunks.compared} of ${report.chunks.planned} chunks have a result`;
    default: {
      const located = report.missingOnTarget.count + report.extraOnTarget.count + report.different.count;
      if (report.keyColumns.length === 0 || located === 0) {
        return `${report.table}: ${report.sourceRows} rows on the source, ${report.targetRows} on the target, checksums differ (${report.note ?? 'rows not located'})`;
      }
      const category = (label: string, found: DifferingKeys) =>
        found.count === 0 ? [] : [`${found.count} ${label} (${found.keys.slice(0, KEYS_QUOTED).map((key) => formatKey(report.keyColumns, key)).join('; ')}${found.count > KEYS_QUOTED ? '; ...' : ''})`];
      return `${report.table}: ${[...category('missing on target', report.missingOnTarget), ...category('extra on target', report.extraOnTarget), ...category('different', report.different)].join(', ')}`;
    }
  }
}

export function comparisonTotals(reports: TableReport[]): ComparisonTotals {
  const sum = (pick: (report: TableReport) => number) => reports.reduce((total, report) => total + pick(report), 0);
  return {
    tableCount: reports.length,
    comparedTables: reports.filter((report) => report.status !== 'not-compared').length,
    notComparedTables: reports.filter((report) => report.status === 'not-compared').length,
    differingTables: reports.filter((report) => report.status === 'mismatch').length,
    sourceRows: sum((report) => report.sourceRows),
    targetRows: sum((report) => report.targetRows),
    differences: {
      missingOnTarget: sum((report) => report.missingOnTarget.count),
      extraOnTarget: sum((report) => report.extraOnTarget.count),
      different: sum((report) => report.different.count),
    },
    weakerCases: reports
      .filter((report) => report.method === 'whole-table-by-key' || report.method === 'whole-table-without-key')
      .map((report) => ({ table: report.table, method: report.method, note: report.note ?? '' })),
  };
}

/**
 * Joins the chunk results into one report per table and stores it next to the plan. Any table that differs,
 * could not be compared, or lacks chunk results fails the step, listing the tables and the first keys.
 */
export async function reportDataComparison(s3: S3Client, bucket: string, run: { runId: string; tableCount: number; maxReportedKeys: number }): Promise<ComparisonSummary> {
  const tables = await mapLimited(Array.from({ length: run.tableCount }, (_, index) => index), READ_CONCURRENCY, (index) => getJson<ComparedTable>(s3, bucket, tableKey(run.runId, index)));
  const results = await mapLimited(await listKeys(s3, bucket, resultsPrefix(run.runId)), READ_CONCURRENCY, (key) => getJson<ChunkResult>(s3, bucket, key));
  const byTable = new Map<number, ChunkResult[]>();
  for (const result of results) byTable.set(result.tableIndex, [...(byTable.get(result.tableIndex) ?? []), result]);
  const reports = tables.map((table) => tableReport(table, byTable.get(table.index) ?? [], run.maxReportedKeys));
  const location = `s3://${bucket}/${reportKey(run.runId)}`;
  const totals = comparisonTotals(reports);
  await putJson(s3, bucket, reportKey(run.runId), { runId: run.runId, totals, tables: reports });

  const failing = reports.filter((report) => report.status !== 'match');
  if (failing.length > 0) {
    const listed = failing.slice(0, MAX_TABLES_LISTED).map(describeTable);
    const more = failing.length > MAX_TABLES_LISTED ? [`and ${failing.length - MAX_TABLES_LISTED} more tables`] : [];
    throw new DataMismatch(`${failing.length} of ${reports.length} tables differ between source and target: ${[...listed, ...more].join('; ')}. Full report: ${location}`);
  }
  return {
    outcome: 'match',
    ...totals,
    weakerCases: totals.weakerCases.slice(0, MAX_TABLES_LISTED),
    weakerTables: totals.weakerCases.slice(0, MAX_TABLES_LISTED).map((weaker) => weaker.table),
    report: location,
  };
}
