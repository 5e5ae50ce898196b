import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Connection } from 'mysql2/promise';
import * as z from 'zod/mini';
import { chunksKey, putJson, tableKey, type ChunkItem, type ComparedTable } from '../shared/data-comparison/comparison-run';
import { planRanges } from '../shared/data-comparison/key-ranges';
import { WHOLE_TABLE, type KeyRange } from '../shared/data-comparison/row-sql';
import { withBothDatabases, type DatabaseAccess } from '../shared/data-comparison/sessions';
import { listTables, readTableShape, type TableShape } from '../shared/data-comparison/table-shape';
import { independentValidationSettings, targetSchemaName, type MigrationConfig } from '../shared/migration-input';

/** Chunk lists up to this size travel in the state (inline Map); larger ones are read from S3 by a Distributed Map. */
export const INLINE_PLAN_BYTES = 64 * 1024;

export interface ComparisonPlan {
  runId: string;
  bucket: string;
  chunksKey: string;
  tableCount: number;
  chunkCount: number;
  maxConcurrency: number;
  /** Whether `chunks` holds the whole list (otherwise it is empty and the list is only in S3). */
  inline: boolean;
  chunks: ChunkItem[];
}

export interface PlanClients {
  secretsManager: SecretsManagerClient;
  s3: S3Client;
}

/**
 * Decides how each table of the migrated schemas is compared and cuts keyed tables into chunks, reading only
 * metadata, index dives and EXPLAIN estimates (key-ranges.ts). Tables the comparison cannot match column for
 * column are recorded with the reason, never silently skipped.
 */
export async function planDataComparison(
  clients: PlanClients,
  bucket: string,
  config: MigrationConfig & { database: DatabaseAccess },
  runId: string,
  inlineLimitBytes = INLINE_PLAN_BYTES,
): Promise<ComparisonPlan> {
  const settings = z.parse(independentValidationSettings, config.independentValidation ?? {});
  const { database } = config;
  const chunks: ChunkItem[] = [];
  let tableCount = 0;
  await withBothDatabases(clients.secretsManager, database, async (source, target) => {
    for (const { schema, table } of await listTables(source, database.schemas)) {
      const index = tableCount++;
      const { compared, ranges } = await planTable(source, target, schema, targetSchemaName(database, schema), table, settings.chunkRows);
      await putJson(clients.s3, bucket, tableKey(runId, index), { ...compared, index, chunkCount: ranges.length } satisfies ComparedTable);
      ranges.forEach((range, chunkIndex) => chunks.push({ runId, tableIndex: index, chunkIndex, lower: range.lower, upper: range.upper }));
    }
  });
  await putJson(clients.s3, bucket, chunksKey(runId), chunks);
  const inline = Buffer.byteLength(JSON.stringify(chunks)) <= inlineLimitBytes;
  return { runId, bucket, chunksKey: chunksKey(runId), tableCount, chunkCount: chunks.length, maxConcurrency: settings.maxConcurrency, inline, chunks: inline ? chunks : [] };
}

async function planTable(
  source: Connection,
  target: Connection,
  schema: string,
  targetSchema: string,
  table: string,
  chunkRows: number,
): Promise<{ compared: Omit<ComparedTable, 'index' | 'chunkCount'>; ranges: KeyRange[] }> {
  const shape = (await readTableShape(source, schema, table)) as TableShape;
  const targetShape = await readTableShape(target, targetSchema, table);
  const base = { schema, targetSchema, table, keyColumns: shape.key?.columns.map((column) => column.name) ?? [] };
  if (!targetShape) return { compared: { ...base, method: 'not-compared', shape: null, problem: 'missing-on-target', note: `${targetSchema}.${table} does not exist on the target` }, ranges: [] };
  const targetColumns = new Set(targetShape.columns.map((column) => column.name));
  const sourceColumns = new Set(shape.columns.map((column) => column.name));
  const missing = [...sourceColumns].filter((name) => !targetColumns.has(name));
  const extra = [...targetColumns].filter((name) => !sourceColumns.has(name));
  if (missing.length > 0 || extra.length > 0) {
    const note = [missing.length > 0 ? `target lacks ${missing.join(', ')}` : '', extra.length > 0 ? `target adds ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
    return { compared: { ...base, method: 'not-compared', shape: null, problem: 'columns-differ', note }, ranges: [] };
  }
  if (!shape.key) {
    return { compared: { ...base, method: 'whole-table-without-key', shape, note: 'no primary or unique key: row count and checksum of the whole table only; differing rows cannot be located' }, ranges: [WHOLE_TABLE] };
  }
  const targetCollations = new Map(targetShape.columns.map((column) => [column.name, column.collation]));
  const differing = shape.key.columns.filter((column) => column.collation !== targetCollations.get(column.name));
  if (differing.length > 0) {
    // Range bounds would select different rows under different collations; one unbounded chunk cannot.
    const note = `key collation differs on the target (${differing.map((column) => `${column.name}: ${column.collation} -> ${targetCollations.get(column.name)}`).join(', ')}): compared as one chunk, rows located only up to 200,000 rows`;
    return { compared: { ...base, method: 'whole-table-by-key', shape, note }, ranges: [WHOLE_TABLE] };
  }
  return { compared: { ...base, method: 'key-ranges', shape }, ranges: await planRanges(source, shape, chunkRows) };
}
