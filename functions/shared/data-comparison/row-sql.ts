import { escape, escapeId } from 'mysql2';
import type { ColumnShape, KeyShape, TableShape } from './table-shape';

/**
 * The SQL both sides run, built from the source's table shape so source and target evaluate exactly the same
 * text. Two properties matter:
 *
 * - The row hash is an unambiguous encoding of every stored column, hashed with MD5, of which 64 bits are
 *   summed. Strings and bytes are length-prefixed (`('a#','b')` and `('a','#b')` differ), NULL has its own
 *   marker that no value encodes to (NULL differs from ''), and the sum is exact (MySQL sums integers as
 *   DECIMAL) and order-independent without XOR's blind spots: duplicated rows add up instead of cancelling,
 *   and unlike CRC32 the hash is not linear, so swapping values between rows changes the sum.
 * - Formatting cannot differ between servers: sessions are UTC/utf8mb4 (functions/shared/mysql.ts), text is
 *   converted to utf8mb4 bytes, fractional seconds are always printed with 6 digits (DATETIME vs DATETIME(6)),
 *   and floating-point values are rounded to the digits the type holds (7 for FLOAT, 15 for DOUBLE), since
 *   MySQL and MariaDB versions print the same double differently. A one-ulp float difference is therefore
 *   deliberately not reported. LOBs and JSON enter as their MD5, keeping the row string far below
 *   max_allowed_packet (CONCAT returns NULL beyond it).
 */

/** A key bound: one value per key column, as text (binary columns as hex). */
export type KeyValues = string[];

/** Half-open key range: from `lower` (inclusive) to `upper` (exclusive); null is unbounded. */
export interface KeyRange {
  lower: KeyValues | null;
  upper: KeyValues | null;
}

export const WHOLE_TABLE: KeyRange = { lower: null, upper: null };

function binaryText(column: ColumnShape): string {
  const id = escapeId(column.name);
  return column.utf8mb4 ? `CAST(${id} AS BINARY)` : `CAST(CONVERT(${id} USING utf8mb4) AS BINARY)`;
}

function significantDigits(id: string, digits: number): string {
  const exponent = `FLOOR(LOG10(ABS(${id})))`;
  return `IF(${id} = 0, '0', CONCAT(CAST(${id} / POW(10, ${exponent}) AS DECIMAL(30, ${digits - 1})), 'e', ${exponent}))`;
}

/** One column's contribution to the row string; never NULL, and self-delimiting. */
export function encodedColumn(column: ColumnShape): string {
  const id = escapeId(column.name);
  const delimited = (expression: string) => `COALESCE(CONCAT(${expression}, ','), 'N')`;
  const lengthPrefixed = (expression: string) => `COALESCE(CONCAT(LENGTH(${expression}), ':', ${expression}), 'N')`;
  switch (column.category) {
    case 'integer':
    case 'decimal':
    case 'year':
    case 'date':
      return delimited(id);
    case 'bit':
      return delimited(`CAST(${id} AS UNSIGNED)`);
    case 'float':
      return delimited(significantDigits(id, 7));
    case 'double':
      return delimited(significantDigits(id, 15));
    case 'datetime':
      return delimited(`DATE_FORMAT(${id}, '%Y-%m-%d %H:%i:%s.%f')`);
    case 'time':
      return delimited(`TIME_FORMAT(${id}, '%H:%i:%s.%f')`);
    case 'string':
      return lengthPrefixed(binaryText(column));
    case 'binary':
      return lengthPrefixed(id);
    case 'text':
      return delimited(`MD5(${binaryText(column)})`);
    case 'json':
      return delimited(`MD5(CAST(CONVERT(CAST(${id} AS CHAR) USING utf8mb4) AS BINARY))`);
    case 'blob':
    case 'other':
      return delimited(`MD5(${id})`);
  }
}

/** 16 hex digits (64 bits) of the row's MD5. */
export function rowHashHex(columns: ColumnShape[]): string {
  return `LEFT(MD5(CONCAT(${columns.map(encodedColumn).join(', ')})), 16)`;
}

/** Count and exact sum of the 64-bit row hashes over a range. */
export function aggregateQuery(shape: TableShape, range: KeyRange): string {
  const hash = `CAST(CONV(${rowHashHex(shape.columns)}, 16, 10) AS UNSIGNED)`;
  return `SELECT COUNT(*) AS rowCount, CAST(COALESCE(SUM(${hash}), 0) AS CHAR) AS checksum FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)}`;
}

/** Key and row hash of every row in a range, for locating the rows that differ. */
export function rowHashesQuery(shape: TableShape & { key: KeyShape }, range: KeyRange, limit?: number): string {
  return `SELECT ${keySelectList(shape.key)}, ${rowHashHex(shape.columns)} AS rowHash FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)}${limit === undefined ? '' : ` LIMIT ${limit}`}`;
}

export function from(shape: TableShape): string {
  const table = `${escapeId(shape.schema)}.${escapeId(shape.table)}`;
  // Forcing the key keeps every chunk a range read on the index the plan was cut on, whatever the optimizer thinks.
  return shape.key ? `${table} FORCE INDEX (${escapeId(shape.key.indexName)})` : table;
}

/** Key columns as the plan stores them: text, with binary values as hex. */
export function keySelectList(key: KeyShape): string {
  return key.columns
    .map((column, index) => `${column.category === 'binary' ? `HEX(${escapeId(column.name)})` : escapeId(column.name)} AS k${index}`)
    .join(', ');
}

export function keyOrder(key: KeyShape, direction: 'ASC' | 'DESC' = 'ASC'): string {
  return key.columns.map((column) => `${escapeId(column.name)} ${direction}`).join(', ');
}

export function keyValuesOf(row: Record<string, unknown>, key: KeyShape): KeyValues {
  return key.columns.map((_, index) => String(row[`k${index}`]));
}

/**
 * A literal for a key value. Integers are written as numbers: compared with a quoted string, MySQL compares an
 * integer column as DOUBLE and loses precision above 2^53. Binary values are hex literals; everything else a
 * quoted string, which MySQL converts to the column's type and character set (so the index range still applies).
 */
export function keyLiteral(column: ColumnShape, value: string): string {
  if (column.category === 'integer') {
    if (!/^-?\d+$/.test(value)) throw new Error(`Key value of ${column.name} is not an integer`);
    return value;
  }
  if (column.category === 'binary') {
    if (!/^[0-9A-Fa-f]*$/.test(value)) throw new Error(`Key value of ${column.name} is not hex`);
    return `X'${value}'`;
  }
  return escape(value);
}

/**
 * `key >= values` (or `<`) over the first `values.length` key columns, written out as `a > x OR (a = x AND ...)`:
 * MySQL and MariaDB both turn this form into index ranges.
 */
export function keyComparison(key: KeyShape, values: KeyValues, operator: '>=' | '<' | '>'): string {
  const strict = operator === '>=' ? '>' : operator;
  const build = (index: number): string => {
    const column = key.columns[index];
    const id = escapeId(column.name);
    const literal = keyLiteral(column, values[index]);
    if (index === values.length - 1) return `${id} ${operator} ${literal}`;
    return `(${id} ${strict} ${literal} OR (${id} = ${literal} AND ${build(index + 1)}))`;
  };
  return build(0);
}

export function rangePredicate(key: KeyShape | null, range: KeyRange): string {
  const conditions: string[] = [];
  if (key && range.lower) conditions.push(keyComparison(key, range.lower, '>='));
  if (key && range.upper) conditions.push(keyComparison(key, range.upper, '<'));
  return conditions.length > 0 ? conditions.join(' AND ') : 'TRUE';
}
