import type { Connection, RowDataPacket } from 'mysql2/promise';

/**
 * What the comparison needs to know about a table: its columns with the category that decides how each is
 * normalized before hashing, and the key that orders and bounds chunks. Read from information_schema, which
 * MySQL 5.7/8.0, Aurora MySQL and MariaDB all expose with the same columns.
 */
export type ColumnCategory =
  | 'integer'
  | 'decimal'
  | 'float'
  | 'double'
  | 'date'
  | 'datetime'
  | 'time'
  | 'year'
  | 'bit'
  | 'string'
  | 'text'
  | 'json'
  | 'binary'
  | 'blob'
  | 'other';

export interface ColumnShape {
  name: string;
  category: ColumnCategory;
  /** The declared type, e.g. `decimal(12,2)`, `datetime(6)`: named in the report when the sides differ. */
  columnType: string;
  nullable: boolean;
  charset: string | null;
  /** The column's collation, for key columns whose order must match on both sides. */
  collation: string | null;
  /** DECIMAL precision and scale; fractional-second digits of temporal types (scale). */
  precision: number | null;
  scale: number | null;
  /**
   * Set by reconcileShapes when the sides store the column with different precision (DECIMAL(10,2) against
   * DECIMAL(12,4), DATETIME against DATETIME(6)): the type both sides cast it to, so equal values hash and
   * compare as keys alike.
   */
  comparedAs?: string;
  /** Set by reconcileShapes when the sides store the text in different character sets: hashed as utf8mb4. */
  convertToUtf8mb4?: boolean;
  /** Set by reconcileShapes when the target's collation differs: key ranges and the row string depend on it. */
  targetCollation?: string | null;
}

export interface KeyShape {
  /** PRIMARY, or the name of a unique index over NOT NULL columns when the table has no primary key. */
  indexName: string;
  columns: ColumnShape[];
}

export interface TableShape {
  schema: string;
  table: string;
  /** Stored columns in ordinal order; virtual generated columns are left out (they are computed, not migrated). */
  columns: ColumnShape[];
  key: KeyShape | null;
  /** Every unique index over NOT NULL stored columns, by name: whether the target has the source's key. */
  uniqueIndexes: Record<string, string[]>;
}

const CATEGORIES: Record<string, ColumnCategory> = {
  tinyint: 'integer',
  smallint: 'integer',
  mediumint: 'integer',
  int: 'integer',
  bigint: 'integer',
  decimal: 'decimal',
  float: 'float',
  double: 'double',
  date: 'date',
  datetime: 'datetime',
  timestamp: 'datetime',
  time: 'time',
  year: 'year',
  bit: 'bit',
  char: 'string',
  varchar: 'string',
  enum: 'string',
  set: 'string',
  tinytext: 'text',
  text: 'text',
  mediumtext: 'text',
  longtext: 'text',
  json: 'json',
  binary: 'binary',
  varbinary: 'binary',
  tinyblob: 'blob',
  blob: 'blob',
  mediumblob: 'blob',
  longblob: 'blob',
};

export function columnCategory(dataType: string): ColumnCategory {
  return CATEGORIES[dataType.toLowerCase()] ?? 'other';
}

/** Base tables of the given schemas, in name order. */
export async function listTables(connection: Connection, schemas: string[]): Promise<Array<{ schema: string; table: string }>> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS schemaName, TABLE_NAME AS tableName FROM information_schema.TABLES
      WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    [schemas],
  );
  return rows.map((row) => ({ schema: String(row.schemaName), table: String(row.tableName) }));
}

/** The table's shape, or null when it does not exist. */
export async function readTableShape(connection: Connection, schema: string, table: string): Promise<TableShape | null> {
  const [columnRows] = await connection.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, CHARACTER_SET_NAME AS charset,
            COLLATION_NAME AS collation, IS_NULLABLE AS nullable, EXTRA AS extra, NUMERIC_PRECISION AS numericPrecision,
            NUMERIC_SCALE AS numericScale, DATETIME_PRECISION AS datetimePrecision
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [schema, table],
  );
  if (columnRows.length === 0) return null;
  const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  const all = columnRows.map((row) => ({
    shape: {
      name: String(row.name),
      category: columnCategory(String(row.dataType)),
      columnType: String(row.columnType).toLowerCase(),
      nullable: row.nullable === 'YES',
      charset: row.charset === null ? null : String(row.charset),
      collation: row.collation === null ? null : String(row.collation),
      precision: numberOrNull(row.numericPrecision),
      scale: numberOrNull(row.numericScale) ?? numberOrNull(row.datetimePrecision),
    } satisfies ColumnShape,
    // MySQL says "VIRTUAL GENERATED", MariaDB "VIRTUAL GENERATED" (10.2+) or "VIRTUAL".
    virtual: /VIRTUAL/i.test(String(row.extra ?? '')),
  }));
  const byName = new Map(all.map((column) => [column.shape.name, column]));

  const [indexRows] = await connection.query<RowDataPacket[]>(
    `SELECT INDEX_NAME AS indexName, COLUMN_NAME AS columnName FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
    [schema, table],
  );
  const uniqueIndexes = new Map<string, string[]>();
  for (const row of indexRows) {
    const name = String(row.indexName);
    uniqueIndexes.set(name, [...(uniqueIndexes.get(name) ?? []), String(row.columnName)]);
  }
  let key: KeyShape | null = null;
  const identifying: Record<string, string[]> = {};
  for (const [indexName, names] of uniqueIndexes) {
    const columns = names.map((name) => byName.get(name));
    // A unique index over nullable columns admits several rows with NULL: it does not identify a row.
    if (!columns.every((column) => column && !column.shape.nullable && !column.virtual)) continue;
    identifying[indexName] = names;
    key ??= { indexName, columns: columns.map((column) => column!.shape) };
  }
  return { schema, table, columns: all.filter((column) => !column.virtual).map((column) => column.shape), key, uniqueIndexes: identifying };
}

export interface ReconciledShape {
  /** The source's shape, each column marked with how both sides must render it to hash alike. */
  shape: TableShape;
  /** Columns whose declared type differs, e.g. `amount decimal(10,2) -> decimal(12,4)`; compared by value. */
  typeDifferences: string[];
  /** Whether the target has the unique index the source's key is read through (same name, same columns). */
  keyOnTarget: boolean;
}

const TEXT_CATEGORIES: ReadonlySet<ColumnCategory> = new Set(['string', 'text', 'json']);

/**
 * Prepares one table for comparison when both sides have the same column names. Where the sides store a
 * column differently, both cast it to one type that holds either side's values (DECIMAL digits and scale,
 * fractional-second digits), or convert its text to utf8mb4: a real difference then shows as one differing
 * row, never as every key "missing" on one side and "extra" on the other.
 */
export function reconcileShapes(source: TableShape, target: TableShape): ReconciledShape {
  const targetColumns = new Map(target.columns.map((column) => [column.name, column]));
  const typeDifferences: string[] = [];
  const reconcile = (column: ColumnShape): ColumnShape => {
    const other = targetColumns.get(column.name);
    if (!other) return column;
    if (other.columnType !== column.columnType) typeDifferences.push(`${column.name} ${column.columnType} -> ${other.columnType}`);
    const reconciled: ColumnShape = { ...column, nullable: column.nullable || other.nullable };
    const widerScale = Math.max(column.scale ?? 0, other.scale ?? 0);
    if (column.category === 'decimal' && other.category === 'decimal' && (column.precision !== other.precision || column.scale !== other.scale)) {
      const integerDigits = Math.max((column.precision ?? 0) - (column.scale ?? 0), (other.precision ?? 0) - (other.scale ?? 0));
      // MySQL caps DECIMAL at 65 digits, 30 after the point; both sides' values fit whenever each side's do.
      reconciled.comparedAs = `DECIMAL(${Math.min(65, integerDigits + widerScale)}, ${Math.min(30, widerScale)})`;
    }
    if ((column.category === 'datetime' || column.category === 'time') && other.category === column.category && column.scale !== other.scale) {
      reconciled.comparedAs = `${column.category === 'time' ? 'TIME' : 'DATETIME'}(${widerScale})`;
    }
    if (TEXT_CATEGORIES.has(column.category) && other.charset !== column.charset) reconciled.convertToUtf8mb4 = true;
    if (other.collation !== column.collation) reconciled.targetCollation = other.collation;
    return reconciled;
  };
  const columns = source.columns.map(reconcile);
  const byName = new Map(columns.map((column) => [column.name, column]));
  const key = source.key ? { ...source.key, columns: source.key.columns.map((column) => byName.get(column.name) as ColumnShape) } : null;
  const targetIndex = source.key ? target.uniqueIndexes[source.key.indexName] : undefined;
  const keyOnTarget = source.key !== null && targetIndex !== undefined && targetIndex.join('\u0000') === source.key.columns.map((column) => column.name).join('\u0000');
  return { shape: { ...source, columns, key }, typeDifferences, keyOnTarget };
}
