import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Connection } from 'mysql2/promise';
import * as z from 'zod/mini';
import { newSalt } from '../shared/data-comparison/compare-chunk';
import { chunksKey, putJson, tableKey, type ChunkItem, type ComparedTable } from '../shared/data-comparison/comparison-run';
import { chunkRowsFor, planRanges } from '../shared/data-comparison/key-ranges';
import { WHOLE_TABLE, type KeyRange, type Salt } from '../shared/data-comparison/row-sql';
import { withBothDatabases, type DatabaseAccess } from '../shared/data-comparison/sessions';
import { listTables, readTableShape, reconcileShapes, type TableShape } from '../shared/data-comparison/table-shape';
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
 * column, and tables that exist only on the target, are recorded with the reason, never silently skipped.
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
  const salt = newSalt();
  const record = async (compared: Omit<ComparedTable, 'index' | 'chunkCount'>, ranges: KeyRange[]) => {
    const index = tableCount++;
    await putJson(clients.s3, bucket, tableKey(runId, index), { ...compared, index, chunkCount: ranges.length } satisfies ComparedTable);
    ranges.forEach((range, chunkIndex) => chunks.push({ runId, tableIndex: index, chunkIndex, lower: range.lower, upper: range.upper }));
  };
  await withBothDatabases(clients.secretsManager, database, async (source, target) => {
    const sourceTables = await listTables(source, database.schemas);
    for (const { schema, table } of sourceTables) {
      const { compared, ranges } = await planTable(source, target, { schema, targetSchema: targetSchemaName(database, schema), table, salt }, settings.chunkRows);
      await record(compared, ranges);
    }
    for (const schema of database.schemas) {
      const targetSchema = targetSchemaName(database, schema);
      const onSource = new Set(sourceTables.filter((listed) => listed.schema === schema).map((listed) => listed.table));
      for (const { table } of await listTables(target, [targetSchema])) {
        if (onSource.has(table)) continue;
        const note = `${targetSchema}.${table} exists only on the target`;
        await record({ schema, targetSchema, table, salt, keyColumns: [], method: 'not-compared', shape: null, problem: 'only-on-target', note }, []);
      }
    }
  });
  await putJson(clients.s3, bucket, chunksKey(runId), chunks);
  const inline = Buffer.byteLength(JSON.stringify(chunks)) <= inlineLimitBytes;
  return { runId, bucket, chunksKey: chunksKey(runId), tableCount, chunkCount: chunks.length, maxConcurrency: settings.maxConcurrency, inline, chunks: inline ? chunks : [] };
}

async function planTable(
  source: Connection,
  target: Connection,
  names: { schema: string; targetSchema: string; table: string; salt: Salt },
  chunkRows: number,
): Promise<{ compared: Omit<ComparedTable, 'index' | 'chunkCount'>; ranges: KeyRange[] }> {
  const { schema, targetSchema, table } = names;
  const sourceShape = (await readTableShape(source, schema, table)) as TableShape;
  const targetShape = await readTableShape(target, targetSchema, table);
  const base = { ...names, keyColumns: sourceShape.key?.columns.map((column) => column.name) ?? [] };
  if (!targetShape) return { compared: { ...base, method: 'not-compared', shape: null, problem: 'missing-on-target', note: `${targetSchema}.${table} does not exist on the target` }, ranges: [] };
  const targetColumns = new Set(targetShape.columns.map((column) => column.name));
  const sourceColumns = new Set(sourceShape.columns.map((column) => column.name));
  const missing = [...sourceColumns].filter((name) => !targetColumns.has(name));
  const extra = [...targetColumns].filter((name) => !sourceColumns.has(name));
  if (missing.length > 0 || extra.length > 0) {
    const note = [missing.length > 0 ? `target lacks ${missing.join(', ')}` : '', extra.length > 0 ? `target adds ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
    return { compared: { ...base, method: 'not-compared', shape: null, problem: 'columns-differ', note }, ranges: [] };
  }
  const { shape, typeDifferences, keyOnTarget } = reconcileShapes(sourceShape, targetShape);
  const notes = (...weaker: string[]) => {
    const types = typeDifferences.length > 0 ? [`column types differ on the target (${typeDifferences.join(', ')}): compared by value`] : [];
    const all = [...weaker, ...types];
    return all.length > 0 ? { note: all.join('; ') } : {};
  };
  const withoutKey = { ...shape, key: null };
  if (!shape.key) {
    return { compared: { ...base, method: 'whole-table-without-key', shape, ...notes('no primary or unique key: row count and checksum of the whole table only; differing rows cannot be located') }, ranges: [WHOLE_TABLE] };
  }
  if (!keyOnTarget) {
    // Every chunk query forces the key's index, which the target lacks: compare the table as a keyless one.
    const note = `key missing on target (${shape.key.indexName} on ${base.keyColumns.join(', ')}): row count and checksum of the whole table only; differing rows cannot be located`;
    return { compared: { ...base, method: 'whole-table-without-key', shape: withoutKey, problem: 'key-missing-on-target', ...notes(note) }, ranges: [WHOLE_TABLE] };
  }
  const labelled = shape.key.columns.filter((column) => /^(enum|set)\(/.test(column.columnType));
  if (labelled.length > 0) {
    // The index orders ENUM and SET values by their number, but a bound compares them as text: key ranges would
    // leave rows out of every chunk, or put them in two.
    const note = `key column ${labelled.map((column) => column.name).join(', ')} is an ENUM or SET, ordered by number but compared by label: compared as one chunk, rows located only up to 200,000 rows`;
    return { compared: { ...base, method: 'whole-table-by-key', shape, ...notes(note) }, ranges: [WHOLE_TABLE] };
  }
  const differing = shape.key.columns.filter((column) => column.targetCollation !== undefined);
  if (differing.length > 0) {
    // Range bounds would select different rows under different collations; one unbounded chunk cannot.
    const note = `key collation differs on the target (${differing.map((column) => `${column.name}: ${column.collation} -> ${column.targetCollation}`).join(', ')}): compared as one chunk, rows located only up to 200,000 rows`;
    return { compared: { ...base, method: 'whole-table-by-key', shape, ...notes(note) }, ranges: [WHOLE_TABLE] };
  }
  const ranges = await planRanges(source, shape, await chunkRowsFor(source, shape, chunkRows));
  return { compared: { ...base, method: 'key-ranges', shape, ...notes() }, ranges };
}
