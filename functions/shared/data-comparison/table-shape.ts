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
  /** Whether the column already stores utf8mb4 (no conversion needed before hashing). */
  utf8mb4: boolean;
  /** The column's collation, for key columns whose order must match on both sides. */
  collation: string | null;
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
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation,
            IS_NULLABLE AS nullable, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [schema, table],
  );
  if (columnRows.length === 0) return null;
  const all = columnRows.map((row) => ({
    shape: {
      name: String(row.name),
      category: columnCategory(String(row.dataType)),
      utf8mb4: row.charset === 'utf8mb4',
      collation: row.collation === null ? null : String(row.collation),
    } satisfies ColumnShape,
    nullable: row.nullable === 'YES',
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
  for (const [indexName, names] of uniqueIndexes) {
    const columns = names.map((name) => byName.get(name));
    // A unique index over nullable columns admits several rows with NULL: it does not identify a row.
    if (columns.every((column) => column && !column.nullable && !column.virtual)) {
      key = { indexName, columns: columns.map((column) => column!.shape) };
      break;
    }
  }
  return { schema, table, columns: all.filter((column) => !column.virtual).map((column) => column.shape), key };
}
