import type { Connection, RowDataPacket } from 'mysql2/promise';

/** What the emulated DMS does to one table: select it, recreate it on the target, copy it, compare it. */
export interface SourceTable {
  schema: string;
  table: string;
  /** The schema on the target: the source's, unless a transformation rule renames it. */
  targetSchema: string;
  columns: string[];
  /** What a SELECT reads for each column, exactly (selectedValue). */
  selectList: string[];
  estimatedRows: number;
}

type MappingRule = Record<string, unknown> & { 'rule-type'?: string; 'rule-action'?: string; 'object-locator'?: Record<string, string>; value?: string };

/** `%` is DMS's wildcard in object locators, as in SQL LIKE. */
const like = (pattern: string) => new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`);

/** The tables a task's selection rules include and do not exclude, with their target schema. */
export async function selectedTables(source: Connection, mappings: { rules: MappingRule[] }): Promise<SourceTable[]> {
  const [rows] = await source.query<RowDataPacket[]>(
    "SELECT TABLE_SCHEMA AS schemaName, TABLE_NAME AS tableName FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
  );
  const matches = (rule: MappingRule, schema: string, table?: string) => {
    const locator = rule['object-locator'] ?? {};
    return like(locator['schema-name'] ?? '%').test(schema) && (table === undefined || like(locator['table-name'] ?? '%').test(table));
  };
  const selection = mappings.rules.filter((rule) => rule['rule-type'] === 'selection');
  const tables: SourceTable[] = [];
  for (const { schemaName, tableName } of rows as Array<{ schemaName: string; tableName: string }>) {
    const applicable = selection.filter((rule) => matches(rule, schemaName, tableName));
    if (!applicable.some((rule) => rule['rule-action'] === 'include') || applicable.some((rule) => rule['rule-action'] === 'exclude')) continue;
    const rename = mappings.rules.find(
      (rule) => rule['rule-type'] === 'transformation' && rule['rule-target'] === 'schema' && rule['rule-action'] === 'rename' && matches(rule, schemaName),
    );
    const [columns] = await source.query<RowDataPacket[]>(
      'SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [schemaName, tableName],
    );
    const count = await countRows(source, schemaName, tableName);
    // Dropped since the listing above: ongoing replication reads the catalogue while the source keeps changing.
    if (count === undefined) continue;
    tables.push({
      schema: schemaName,
      table: tableName,
      targetSchema: rename?.value ?? schemaName,
      columns: columns.map((column) => String(column.name)),
      selectList: columns.map((column) => selectedValue(String(column.name), String(column.dataType))),
      estimatedRows: count,
    });
  }
  return tables;
}

/** The columns DMS identifies rows by: the primary key, else the first unique index over NOT NULL columns. */
async function countRows(source: Connection, schema: string, table: string): Promise<number | undefined> {
  try {
    const [[{ count }]] = await source.query<RowDataPacket[]>(`SELECT COUNT(*) AS count FROM ${qualified(schema, table)}`);
    return Number(count);
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_NO_SUCH_TABLE') return undefined;
    throw error;
  }
}

export async function findRowKey(connection: Connection, table: Pick<SourceTable, 'schema' | 'table'>): Promise<string[] | undefined> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT s.INDEX_NAME AS indexName, s.COLUMN_NAME AS columnName, c.IS_NULLABLE AS nullable
       FROM information_schema.STATISTICS s
       JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
      WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0
      ORDER BY s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`,
    [table.schema, table.table],
  );
  const indexes = new Map<string, Array<{ columnName: string; nullable: string }>>();
  for (const row of rows as Array<{ indexName: string; columnName: string; nullable: string }>) {
    indexes.set(row.indexName, [...(indexes.get(row.indexName) ?? []), row]);
  }
  const key = [...indexes.values()].find((columns) => columns.every((column) => column.nullable === 'NO'));
  return key?.map((column) => column.columnName);
}

/** DMS's default target table preparation, DROP_AND_CREATE: the target table starts empty, shaped like the source's. */
export async function recreateTable(source: Connection, target: Connection, table: SourceTable): Promise<void> {
  const [[definition]] = await source.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualified(table.schema, table.table)}`);
  const createStatement = String(definition['Create Table']).replace(/^CREATE TABLE `[^`]+`/, `CREATE TABLE ${qualified(table.targetSchema, table.table)}`);
  await target.query(`CREATE DATABASE IF NOT EXISTS ${identifier(table.targetSchema)}`);
  await target.query(`DROP TABLE IF EXISTS ${qualified(table.targetSchema, table.table)}`);
  await target.query(createStatement);
}

/**
 * Copies the table in batches of `batchRows`, in key order when it has a key (each batch starts after the
 * last key copied), by offset otherwise. `onBatch` sees each batch's row count once it is committed.
 */
export async function copyTable(source: Connection, target: Connection, table: SourceTable, batchRows: number, onBatch: (rows: number) => void): Promise<void> {
  const key = await findRowKey(source, table);
  const columnList = table.columns.map(identifier).join(', ');
  const insert = `INSERT INTO ${qualified(table.targetSchema, table.table)} (${columnList}) VALUES ?`;
  for await (const batch of batches(source, table, key, batchRows)) {
    await target.query(insert, [batch]);
    onBatch(batch.length);
  }
}

/** Rows not identical on both sides (compared by key, as DMS validation does), including rows missing from the target. */
export async function compareTable(source: Connection, target: Connection, table: SourceTable, key: string[], batchRows: number): Promise<number> {
  const keyIndexes = key.map((column) => table.columns.indexOf(column));
  const keyOf = (row: unknown[]) => JSON.stringify(keyIndexes.map((index) => row[index]));
  let mismatched = 0;
  for await (const sourceRows of batches(source, table, key, batchRows)) {
    const first = keyIndexes.map((index) => sourceRows[0][index]);
    const last = keyIndexes.map((index) => sourceRows[sourceRows.length - 1][index]);
    const keyColumns = key.map(identifier).join(', ');
    const [targetRows] = await target.query<RowDataPacket[]>({
      sql: `SELECT ${table.selectList.join(', ')} FROM ${qualified(table.targetSchema, table.table)} WHERE (${keyColumns}) >= (?) AND (${keyColumns}) <= (?)`,
      values: [first, last],
      rowsAsArray: true,
      typeCast: exactValue as never,
    });
    const onTarget = new Map((targetRows as unknown as unknown[][]).map((row) => [keyOf(row), JSON.stringify(row)]));
    for (const row of sourceRows) if (onTarget.get(keyOf(row)) !== JSON.stringify(row)) mismatched += 1;
  }
  return mismatched;
}

/** The "alter a target row" fault: one row's first text column gets a suffix, as a stray write on the target would. */
export async function alterOneRow(target: Connection, table: SourceTable, key: string[]): Promise<void> {
  const [columns] = await target.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('varchar', 'char', 'text') ORDER BY ORDINAL_POSITION",
    [table.targetSchema, table.table],
  );
  const column = columns.map((row) => String(row.name)).find((name) => !key.includes(name));
  if (!column) throw new Error(`Cannot alter a row of ${table.targetSchema}.${table.table}: it has no text column outside its key`);
  await target.query(
    `UPDATE ${qualified(table.targetSchema, table.table)} SET ${identifier(column)} = CONCAT(${identifier(column)}, ' (altered)') WHERE ${identifier(column)} IS NOT NULL ORDER BY ${key.map(identifier).join(', ')} LIMIT 1`,
  );
}

async function* batches(source: Connection, table: SourceTable, key: string[] | undefined, batchRows: number): AsyncGenerator<unknown[][]> {
  const select = `SELECT ${table.selectList.join(', ')} FROM ${qualified(table.schema, table.table)}`;
  if (!key) {
    for (let offset = 0; ; offset += batchRows) {
      const [rows] = await source.query({ sql: `${select} LIMIT ? OFFSET ?`, values: [batchRows, offset], rowsAsArray: true, typeCast: exactValue as never });
      const batch = rows as unknown as unknown[][];
      if (batch.length === 0) return;
      yield batch;
    }
  }
  const keyIndexes = key.map((column) => table.columns.indexOf(column));
  const keyColumns = key.map(identifier).join(', ');
  let after: unknown[] | undefined;
  for (;;) {
    const [rows] = await source.query({
      sql: `${select}${after ? ` WHERE (${keyColumns}) > (?)` : ''} ORDER BY ${keyColumns} LIMIT ?`,
      values: after ? [after, batchRows] : [batchRows],
      rowsAsArray: true,
      typeCast: exactValue as never,
    });
    const batch = rows as unknown as unknown[][];
    if (batch.length === 0) return;
    yield batch;
    after = keyIndexes.map((index) => batch[batch.length - 1][index]);
  }
}

/**
 * A FLOAT is read widened to DOUBLE: the text protocol prints a FLOAT with 6 significant digits (MariaDB
 * 10.11: 0.14285715 arrives as "0.142857"), its DOUBLE with every digit, and the DOUBLE's text stored back
 * into a FLOAT column rounds to the very same float. (CAST ... AS DOUBLE: MariaDB 10.11, MySQL 8.0.17+.)
 */
export function selectedValue(column: string, dataType: string): string {
  return dataType.toLowerCase() === 'float' ? `CAST(${identifier(column)} AS DOUBLE)` : identifier(column);
}

interface TypeCastField {
  type: string;
  /** MariaDB marks its JSON columns (LONGTEXT underneath) in the extended metadata. */
  extendedFormat?: string;
  string(encoding?: string): string | null;
  buffer(): Buffer | null;
}

/** How values leave the source: text as the server prints it, bytes as bytes, never a parsed JSON or geometry object. */
export function exactValue(field: TypeCastField, next: () => unknown): unknown {
  // MySQL sends JSON with the binary character set; its text is UTF-8 (JSON's own encoding).
  if (field.type === 'JSON') return field.string('utf8');
  if (field.extendedFormat === 'json') return field.string();
  switch (field.type) {
    case 'FLOAT':
    case 'DOUBLE':
      return field.string();
    case 'GEOMETRY':
      return field.buffer();
    default:
      return next();
  }
}

export function identifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export function qualified(schema: string, table: string): string {
  return `${identifier(schema)}.${identifier(table)}`;
}
