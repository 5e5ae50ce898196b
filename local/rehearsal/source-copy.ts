import type { Connection as CallbackConnection } from 'mysql2';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { aggregatePair, newSalt } from '../../functions/shared/data-comparison/compare-chunk';
import { WHOLE_TABLE } from '../../functions/shared/data-comparison/row-sql';
import { readTableShape } from '../../functions/shared/data-comparison/table-shape';
import { exactValue, identifier, qualified, selectedValue } from '../emulator/dms/table-copy';

/**
 * Copies the operator's schemas into the rehearsal's throwaway source, reading their server only:
 * - one transaction, `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`, on the read-only session of
 *   source-inspection.ts: every table is copied as of one moment, and the server refuses any write;
 * - base tables only, each created from SHOW CREATE TABLE (collations the copy's MariaDB lacks replaced, and
 *   reported), then streamed (never a whole table in memory) into multi-row INSERTs, foreign key checks off
 *   on the copy as DMS's own load does; generated columns are computed again, not copied;
 * - values as exact text (DATETIME(6), DECIMAL, BIGINT UNSIGNED, FLOAT/DOUBLE as the server prints them,
 *   JSON as text), bytes as bytes (BIT, BINARY, BLOB, GEOMETRY), in UTC sessions;
 * - the size guard: a table whose estimated rows exceed `maxRowsPerTable` stops the copy before anything is
 *   copied, or with `sample` is copied as its first `maxRowsPerTable` rows in key order; a table that turns
 *   out larger than its estimate while copying stops the copy then;
 * - each table copied whole is then compared with its original inside the same snapshot, with the
 *   independent comparison's checksum (functions/shared/data-comparison): the copy is what the server holds.
 */
export interface CopySettings {
  schemas: string[];
  maxRowsPerTable: number;
  sample: boolean;
}

export interface CopyProgress {
  table: string;
  tableRows: number;
  /** Rows copied so far, all tables. */
  copiedRows: number;
  /** Rows the copy expects in all (estimates, capped at the per-table limit). */
  expectedRows: number;
  tableDone: boolean;
}

export interface CopyResult {
  rowsByTable: Record<string, number>;
  totalRows: number;
  /** About the bytes of values sent to the copy (text and binary values by their length, others as 8). */
  bytes: number;
  millis: number;
  /** Tables copied as a sample, with their estimated size. */
  sampledTables: Array<{ table: string; estimatedRows: number; copiedRows: number }>;
  /** `schema.table: collation -> replacement`, for collations the copy's server does not have. */
  collationsReplaced: string[];
  /** Tables compared with their original after the copy, and those that differ (none, unless the copy is wrong). */
  verifiedTables: number;
  differingTables: string[];
}

/** A table larger than the size guard allows; nothing was copied. */
export class SourceTooLarge extends Error {
  override readonly name = 'SourceTooLarge';
}

const INSERT_ROWS = 1000;
const INSERT_BYTES = 4 * 1024 * 1024;

interface PlannedTable {
  schema: string;
  table: string;
  estimatedRows: number;
  /** Stored columns, in order: generated columns are left for the copy's server to compute. */
  columns: string[];
  /** What the SELECT reads for each column: the column, or a FLOAT widened to DOUBLE (see selectedValue). */
  selectList: string[];
  key: string[] | null;
}

export async function copySchemas(source: Connection, copy: Connection, settings: CopySettings, onProgress: (progress: CopyProgress) => void): Promise<CopyResult> {
  const startedAt = Date.now();
  const tables = await planTables(source, settings.schemas);
  const tooLarge = tables.filter((table) => table.estimatedRows > settings.maxRowsPerTable);
  if (tooLarge.length > 0 && !settings.sample) {
    throw new SourceTooLarge(
      `${tooLarge.map((table) => `${table.schema}.${table.table} (about ${table.estimatedRows.toLocaleString('en-US')} rows)`).join(', ')} ` +
        `exceed${tooLarge.length === 1 ? 's' : ''} --max-rows ${settings.maxRowsPerTable.toLocaleString('en-US')}. Nothing was copied. ` +
        'Raise --max-rows, or add --sample to copy the first rows of larger tables.',
    );
  }
  const available = new Set((await copy.query<RowDataPacket[]>('SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS'))[0].map((row) => String(row.name)));
  const result: CopyResult = { rowsByTable: {}, totalRows: 0, bytes: 0, millis: 0, sampledTables: [], collationsReplaced: [], verifiedTables: 0, differingTables: [] };
  const expectedRows = tables.reduce((sum, table) => sum + Math.min(table.estimatedRows, settings.maxRowsPerTable), 0);

  // As mysqldump restores: a 0 in an AUTO_INCREMENT column stays 0; values the source server accepted go in as they are.
  await copy.query("SET SESSION foreign_key_checks = 0, unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  await source.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await source.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  try {
    for (const schema of settings.schemas) {
      const [[defaults]] = await source.query<RowDataPacket[]>('SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema]);
      const collation = replaceCollations(`COLLATE ${String(defaults.collation)}`, available, (replaced) => result.collationsReplaced.push(`${schema}: ${replaced}`));
      await copy.query(`CREATE DATABASE ${identifier(schema)} CHARACTER SET ${String(defaults.charset)} ${collation}`);
    }
    const salt = newSalt();
    for (const table of tables) {
      const name = `${table.schema}.${table.table}`;
      const [[definition]] = await source.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualified(table.schema, table.table)}`);
      const createStatement = String(definition['Create Table']).replace(/^CREATE TABLE `(?:[^`]|``)+`/, `CREATE TABLE ${qualified(table.schema, table.table)}`);
      await copy.query(replaceCollations(createStatement, available, (replaced) => result.collationsReplaced.push(`${name}: ${replaced}`)));

      const limit = settings.sample ? settings.maxRowsPerTable : settings.maxRowsPerTable + 1;
      let tableRows = 0;
      for await (const batch of streamedBatches(source, table, limit)) {
        tableRows += batch.rows.length;
        if (tableRows > settings.maxRowsPerTable) {
          throw new SourceTooLarge(`${name} has more than ${settings.maxRowsPerTable.toLocaleString('en-US')} rows (--max-rows), though its estimate was ${table.estimatedRows.toLocaleString('en-US')}. Raise --max-rows, or add --sample.`);
        }
        await copy.query(`INSERT INTO ${qualified(table.schema, table.table)} (${table.columns.map(identifier).join(', ')}) VALUES ?`, [batch.rows]);
        result.bytes += batch.bytes;
        result.totalRows += batch.rows.length;
        onProgress({ table: name, tableRows, copiedRows: result.totalRows, expectedRows, tableDone: false });
      }
      result.rowsByTable[name] = tableRows;
      const sampled = settings.sample && tableRows === settings.maxRowsPerTable && (await hasMoreRows(source, table, tableRows));
      if (sampled) {
        result.sampledTables.push({ table: name, estimatedRows: table.estimatedRows, copiedRows: tableRows });
      } else {
        // The same snapshot on the source, the finished copy on the other side: a difference is the copy's fault.
        const shape = await readTableShape(source, table.schema, table.table);
        const [original, copied] = await aggregatePair({ connection: source, shape: shape! }, { connection: copy, shape: shape! }, WHOLE_TABLE, salt, false);
        result.verifiedTables += 1;
        if (original.rowCount !== copied.rowCount || original.checksum !== copied.checksum) result.differingTables.push(name);
      }
      onProgress({ table: name, tableRows, copiedRows: result.totalRows, expectedRows, tableDone: true });
    }
  } finally {
    // Ends the read-only snapshot; after a failure the session may be gone, and the first error is the one to tell.
    await source.query('COMMIT').catch(() => undefined);
  }
  result.millis = Date.now() - startedAt;
  return result;
}

/** Base tables of the schemas with their estimated rows, stored columns and key (primary, else unique NOT NULL). */
async function planTables(source: Connection, schemas: string[]): Promise<PlannedTable[]> {
  const [tables] = await source.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS schemaName, TABLE_NAME AS tableName, COALESCE(TABLE_ROWS, 0) AS estimatedRows FROM information_schema.TABLES
      WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    [schemas],
  );
  const planned: PlannedTable[] = [];
  for (const row of tables) {
    const schema = String(row.schemaName);
    const table = String(row.tableName);
    const [columns] = await source.query<RowDataPacket[]>(
      'SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [schema, table],
    );
    // MySQL and MariaDB say "VIRTUAL GENERATED" / "STORED GENERATED" (MariaDB also "PERSISTENT GENERATED"); MySQL's
    // "DEFAULT_GENERATED" is a column with an expression default, which is copied.
    const stored = columns.filter((column) => !/\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/i.test(String(column.extra ?? '')));
    const shape = await readTableShape(source, schema, table);
    planned.push({
      schema,
      table,
      estimatedRows: Number(row.estimatedRows),
      columns: stored.map((column) => String(column.name)),
      selectList: stored.map((column) => selectedValue(String(column.name), String(column.dataType))),
      key: shape?.key?.columns.map((column) => column.name) ?? null,
    });
  }
  return planned;
}

/**
 * MySQL 8's UCA 9.0 collations (`utf8mb4_0900_ai_ci` and its kin) do not exist in MariaDB 10.11, the copy's
 * server: they become `<charset>_unicode_520_ci` (UCA 5.2.0, the newest MariaDB 10.11 has), reported, because
 * sorting and comparisons on the copy may then differ from the original. Any other collation the copy lacks is
 * an error.
 */
export function replaceCollations(sql: string, available: ReadonlySet<string>, onReplaced: (replacement: string) => void): string {
  const replaced = new Set<string>();
  const result = sql.replace(/\b(COLLATE[ =]+)(\w+)/gi, (whole, keyword: string, collation: string) => {
    if (available.has(collation.toLowerCase())) return whole;
    const uca900 = /^(\w+?)_0900_\w+$/i.exec(collation);
    if (!uca900 || !available.has(`${uca900[1].toLowerCase()}_unicode_520_ci`)) {
      throw new Error(`The copy's server (MariaDB) has no collation ${collation}: this table cannot be rehearsed on it`);
    }
    const replacement = `${uca900[1].toLowerCase()}_unicode_520_ci`;
    replaced.add(`${collation} -> ${replacement}`);
    return `${keyword}${replacement}`;
  });
  for (const replacement of replaced) onReplaced(replacement);
  return result;
}

/** The table's rows in key order (table order without a key), at most `limit`, in batches sized for one INSERT each. */
async function* streamedBatches(source: Connection, table: PlannedTable, limit: number): AsyncGenerator<{ rows: unknown[][]; bytes: number }> {
  const order = table.key ? ` ORDER BY ${table.key.map(identifier).join(', ')}` : '';
  const sql = `SELECT ${table.selectList.join(', ')} FROM ${qualified(table.schema, table.table)}${order} LIMIT ${limit}`;
  // The promise API buffers a whole result; its callback connection underneath (typed in mysql2's own classes
  // only for pool connections) streams it, pausing the socket while the consumer is behind.
  const { connection } = source as unknown as { connection: CallbackConnection };
  const stream = connection.query({ sql, rowsAsArray: true, typeCast: exactValue as never }).stream({ highWaterMark: INSERT_ROWS });
  let rows: unknown[][] = [];
  let bytes = 0;
  for await (const row of stream as AsyncIterable<unknown[]>) {
    rows.push(row);
    bytes += row.reduce<number>((sum, value) => sum + (typeof value === 'string' ? Buffer.byteLength(value) : Buffer.isBuffer(value) ? value.length : 8), 0);
    if (rows.length >= INSERT_ROWS || bytes >= INSERT_BYTES) {
      yield { rows, bytes };
      rows = [];
      bytes = 0;
    }
  }
  if (rows.length > 0) yield { rows, bytes };
}

async function hasMoreRows(source: Connection, table: PlannedTable, copiedRows: number): Promise<boolean> {
  const [rows] = await source.query<RowDataPacket[]>(`SELECT 1 FROM ${qualified(table.schema, table.table)} LIMIT 1 OFFSET ${copiedRows}`);
  return rows.length > 0;
}
