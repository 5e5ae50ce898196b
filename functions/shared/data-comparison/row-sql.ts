import { escape, escapeId } from 'mysql2';
import type { ColumnShape, KeyShape, TableShape } from './table-shape';

/**
 * The SQL both sides run, built from the (reconciled) source shape so source and target evaluate exactly the
 * same text. Every function used exists with the same meaning in MySQL 8.0 (so Aurora MySQL 3) and MariaDB
 * 10.11: CONCAT_WS, CONCAT, LENGTH, IFNULL, SHA1, CRC32, CONV, LEFT, CAST(... AS SIGNED | UNSIGNED | BINARY |
 * DECIMAL(p,s) | DATETIME(n) | TIME(n)), CONVERT(... USING utf8mb4), GROUP_CONCAT(... SEPARATOR ...), COUNT,
 * SUM, IF, ABS, LOG10, FLOOR, ROUND, POW, and the @@warning_count variable (MySQL 8.0 Reference Manual,
 * "String Functions and Operators", "Encryption and Compression Functions", "Aggregate Functions",
 * "Mathematical Functions", "Cast Functions and Operators", "SHOW WARNINGS"; MariaDB knowledge base, same
 * names). None is specific to one of them.
 *
 * ## The row string
 * `CONCAT_WS('#', lengths of the string/binary values, value 1, ..., value n)`, where:
 * - numbers, dates and times, LOB/JSON digests (SHA1 hex) and rounded floats never contain '#' and are never
 *   the single letter `N`; a nullable one of them is `IFNULL(value, 'N')`. Strings and bytes may contain both,
 *   so their byte lengths come first, `N` for NULL, and CONCAT_WS then leaves the NULL value out. The lengths
 *   are one field per string/binary column, never absent, so the string decodes left to right into exactly
 *   one row: the encoding is injective, so `('ab','c')` and `('a','bc')`, NULL, '', 'N' and 'NULL' all
 *   differ, and rows joined by '#' decode into one sequence of rows. (It replaced a bitmap of ISNULL digits:
 *   one IFNULL per nullable column is cheaper than ISNULL plus a nested CONCAT, measured.)
 * - text is hashed as stored, or as utf8mb4 bytes where a column's character set differs between the sides
 *   or the row mixes collations (CONCAT_WS would refuse to mix them); the sessions are UTC and utf8mb4
 *   (functions/shared/mysql.ts), so TIMESTAMP renders alike; DECIMAL and temporal values are cast to a common
 *   type where the sides' precision differs (reconcileShapes); floats are rounded to the digits their type
 *   holds (7 for FLOAT, 15 for DOUBLE) and written as integer mantissa and exponent (significantDigits),
 *   since servers print the same double differently; LOBs and JSON enter as their SHA1, keeping every row
 *   string far below max_allowed_packet;
 * - a salt, 16 random hex digits chosen per comparison run, comes before the hashed text (once per chunk, or
 *   once per row when rows are hashed one by one), so nobody can prepare rows whose hashes collide.
 *
 * SHA1 rather than MD5: on MariaDB 10.11 (Debian's, OpenSSL 3, a CPU with SHA extensions) one MD5 call costs
 * about 4x one SHA1 call on a ~100-byte row (MariaDB's MD5 fetches its OpenSSL implementation anew on every
 * call: mysys_ssl/my_md5.cc, EVP_MD_fetch), and over a whole chunk SHA1 was faster per byte too.
 *
 * ## The chunk checksum, and its false-match bound
 * Ordered (tables read through a key both sides order alike): `SHA1(salt ‖ GROUP_CONCAT(row string SEPARATOR
 * '#'))` over the chunk read in key order, with the row count. The key is unique, so the chunk's rows in key
 * order are a sequence that determines the chunk's contents, and the concatenation (each row self-delimiting,
 * then '#') determines that sequence. Two chunks that differ in ANY way, values swapped or permuted between
 * rows included, therefore hash different strings, and a false match needs a 160-bit SHA1 collision between
 * two salted, non-adversarial strings: probability about 2^-160, far below the 2^-32 required per differing
 * chunk. One SHA1 stream per chunk costs less than one hash call per row (measured: GROUP_CONCAT plus one SHA1
 * is cheaper than a SHA1 per row and the CONV that turns it into a number to sum). The server returns
 * GROUP_CONCAT's rows in index order (FORCE INDEX, a range read); if a plan ever returned them in another
 * order (a parallel-query engine), the cost is a false MISmatch, which the order-independent checksum below
 * then clears.
 *
 * Unordered (tables without a usable key, or whose key orders differently on the target, and to confirm any
 * ordered mismatch): `COUNT(*)` and the exact `SUM` of 64 bits of each salted row string's SHA1 (MySQL sums
 * integers as DECIMAL: no overflow). For two different multisets of rows, the sums are equal only if
 * `sum_i c_i * h_i = 0`, where the c_i are the nonzero differences in multiplicity (duplicated rows included)
 * and the h_i independent uniform 64-bit row hashes; fixing all but one h_j leaves at most one value of h_j
 * that satisfies it, so the probability is at most 2^-64. A linear checksum (CRC32) combined with XOR fails
 * this: XOR cancels duplicates, and CRC32 is affine over GF(2): CRC32(a) xor CRC32(b) depends only on a xor b
 * for strings of one length, whatever salt precedes them, so equal-length swaps between rows cancel exactly,
 * any change by a multiple of its polynomial goes unseen, and sums or XORs of several salted CRC32s share
 * those blind changes. Only a non-linear row hash (SHA1 here) gives a bound that holds for every change.
 */

/** A key bound: one value per key column, as text (binary columns as hex). */
export type KeyValues = string[];

/** Half-open key range: from `lower` (inclusive) to `upper` (exclusive); null is unbounded. */
export interface KeyRange {
  lower: KeyValues | null;
  upper: KeyValues | null;
}

export const WHOLE_TABLE: KeyRange = { lower: null, upper: null };

/** Salts the row strings of one comparison run (both sides use the same one). */
export type Salt = string;
export const saltPattern = /^[0-9a-f]{16}$/;

/** Largest chunk concatenation a session builds (less where max_allowed_packet is lower); a chunk beyond it is checksummed row by row instead. */
export const GROUP_CONCAT_BYTES = 64 * 1024 * 1024;

/** One identifier, quoted as a single name: dots and other punctuation stay inside it. */
export const quoteName = (name: string) => escapeId(name, true);

const isText = (column: ColumnShape) => column.category === 'string';
const hasLength = (column: ColumnShape) => column.category === 'string' || column.category === 'binary';

/** Whether the row's text must be hashed as utf8mb4 bytes, not as stored (see "The row string"). */
function textAsBytes(columns: ColumnShape[]): boolean {
  const text = columns.filter(isText);
  const collations = new Set(text.flatMap((column) => [column.collation, column.targetCollation === undefined ? column.collation : column.targetCollation]));
  return collations.size > 1 || text.some((column) => column.convertToUtf8mb4);
}

/** A column as both sides render it: cast to the common type where their precision differs. */
export function columnValue(column: ColumnShape): string {
  const id = quoteName(column.name);
  return column.comparedAs ? `CAST(${id} AS ${column.comparedAs})` : id;
}

/**
 * A float rounded to `digits` significant digits, as `integer mantissa e exponent` (0.1 -> `100000000000000e-1`
 * for a DOUBLE). Both parts are integers, so no server prints a double (MySQL and MariaDB may print the same
 * double differently, and the shortest-digits conversion is the costliest step of a raw scan); measured on
 * MariaDB 10.11, this costs about 0.3x what the former `CAST(mantissa AS DECIMAL)` encoding did. A value scaled
 * by 10^(digits-1-exponent) lies in [10^(digits-1), 10^digits], far below 2^53, so ROUND and CAST are exact.
 * Values below 1e-290 are scaled by 1e300 first: POW(10, 338) overflows, and subnormal doubles (down to
 * 4.9e-324) must stay distinct from each other and from NULL. A value that rounds up to 10^digits at one
 * exponent while its neighbour rounds to 10^(digits-1) at the next gets two spellings of one number: a false
 * mismatch at worst, never a false match, since each spelling stands for exactly one rounded value.
 */
function significantDigits(id: string, digits: number): string {
  const exponent = `FLOOR(LOG10(ABS(${id})))`;
  const scaled = `IF(ABS(${id}) < 1e-290, ${id} * 1e300 * POW(10, ${digits - 301} - ${exponent}), ${id} * POW(10, ${digits - 1} - ${exponent}))`;
  return `IF(${id} = 0, '0', CONCAT(CAST(ROUND(${scaled}) AS SIGNED), 'e', ${exponent}))`;
}

/** One column's value in the row string (NULL when the column is NULL: rowString marks it). */
export function encodedColumn(column: ColumnShape, asBytes = false): string {
  const id = quoteName(column.name);
  const utf8mb4 = (expression: string) => (column.convertToUtf8mb4 ? `CONVERT(${expression} USING utf8mb4)` : expression);
  switch (column.category) {
    case 'integer':
    case 'decimal':
    case 'year':
    case 'date':
    case 'datetime':
    case 'time':
      return columnValue(column);
    case 'bit':
      return `CAST(${id} AS UNSIGNED)`;
    case 'float':
      return significantDigits(id, 7);
    case 'double':
      return significantDigits(id, 15);
    case 'string':
      return asBytes ? `CAST(${utf8mb4(id)} AS BINARY)` : id;
    case 'binary':
      return id;
    case 'text':
      return `SHA1(${utf8mb4(id)})`;
    case 'json':
      return `SHA1(CAST(CONVERT(CAST(${id} AS CHAR) USING utf8mb4) AS BINARY))`;
    case 'blob':
    case 'other':
      return `SHA1(${id})`;
  }
}

/** `'N'` in place of a nullable value that is NULL (no non-NULL value encodes as `N`: see "The row string"). */
const nullMarked = (column: ColumnShape, expression: string) => (column.nullable ? `IFNULL(${expression}, 'N')` : expression);

/**
 * The row string (see "The row string" above); with a salt as its first field when the row is hashed on its
 * own. One length per string or binary column comes first (`N` when NULL, and CONCAT_WS then leaves the value
 * out), so a decoder knows which values follow and where each ends.
 */
export function rowString(columns: ColumnShape[], salt?: Salt): string {
  const asBytes = textAsBytes(columns);
  const values = columns.map((column) => encodedColumn(column, asBytes));
  const lengths = columns.flatMap((column, index) => (hasLength(column) ? [nullMarked(column, `LENGTH(${values[index]})`)] : []));
  const fields = columns.map((column, index) => (hasLength(column) ? values[index] : nullMarked(column, values[index])));
  return `CONCAT_WS('#', ${[...(salt === undefined ? [] : [saltLiteral(salt)]), ...lengths, ...fields].join(', ')})`;
}

function saltLiteral(salt: Salt): string {
  if (!saltPattern.test(salt)) throw new Error('The row salt must be 16 lowercase hex digits');
  return `'${salt}'`;
}

/** 16 hex digits (64 bits) of the salted row string's SHA1. */
export function rowHashHex(columns: ColumnShape[], salt: Salt): string {
  return `LEFT(SHA1(${rowString(columns, salt)}), 16)`;
}

/** Count and exact sum of the 64-bit row hashes over a range: independent of row order and of duplicates. */
export function unorderedAggregateQuery(shape: TableShape, range: KeyRange, salt: Salt): string {
  const hash = `CAST(CONV(${rowHashHex(shape.columns, salt)}, 16, 10) AS UNSIGNED)`;
  return `SELECT COUNT(*) AS rowCount, CAST(COALESCE(SUM(${hash}), 0) AS CHAR) AS checksum FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)}`;
}

/**
 * Count and SHA1 of the salt followed by the range's row strings in key order. The salt is written once: SHA1
 * is a chain, so every row's collision-finding work would need a state that depends on it. One SELECT, no
 * derived table: measured on MariaDB 10.11, materializing the concatenation to read its length cost about
 * 0.14x a raw CRC32 scan. A concatenation cut short (at group_concat_max_len, or at max_allowed_packet, which
 * yields NULL) always raises a warning, so the caller reads @@warning_count instead of the length.
 */
export function orderedAggregateQuery(shape: TableShape & { key: KeyShape }, range: KeyRange, salt: Salt): string {
  return `SELECT COUNT(*) AS rowCount, SHA1(CONCAT(${saltLiteral(salt)}, GROUP_CONCAT(${rowString(shape.columns)} SEPARATOR '#'))) AS checksum FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)}`;
}

/**
 * Key and CRC32 of the row string of every row in a range, for locating the rows that differ in a chunk already
 * known to differ. CRC32 is the cheapest row hash both servers compute natively (measured: about 0.1x a raw
 * scan's cost on top of the row string, against 0.25x for SHA1 and more to turn SHA1 into a number), and it only locates: a changed row whose CRC32 happens to stay equal is not listed, but the
 * chunk's verdict never rests on it (compare-chunk.ts confirms an empty list with the order-independent
 * checksum). CRC32 sees every change confined to 32 consecutive bits of a row string of unchanged length, such
 * as any one value of up to 4 bytes replaced by another of the same length.
 */
export function rowHashesQuery(shape: TableShape & { key: KeyShape }, range: KeyRange, limit?: number): string {
  return `SELECT ${keySelectList(shape.key)}, CRC32(${rowString(shape.columns)}) AS rowHash FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)}${limit === undefined ? '' : ` LIMIT ${limit}`}`;
}

export function from(shape: TableShape): string {
  const table = `${quoteName(shape.schema)}.${quoteName(shape.table)}`;
  // Forcing the key keeps every chunk a range read on the index the plan was cut on, whatever the optimizer thinks.
  return shape.key ? `${table} FORCE INDEX (${quoteName(shape.key.indexName)})` : table;
}

/** Key columns as the plan stores them: text, with binary values as hex. */
export function keySelectList(key: KeyShape): string {
  return key.columns
    .map((column, index) => `${column.category === 'binary' ? `HEX(${quoteName(column.name)})` : columnValue(column)} AS k${index}`)
    .join(', ');
}

export function keyOrder(key: KeyShape, direction: 'ASC' | 'DESC' = 'ASC'): string {
  return key.columns.map((column) => `${quoteName(column.name)} ${direction}`).join(', ');
}

export function keyValuesOf(row: Record<string, unknown>, key: KeyShape): KeyValues {
  return key.columns.map((_, index) => String(row[`k${index}`]));
}

/**
 * A literal for a key value. Integers and decimals are written as numbers: compared with a quoted string, MySQL compares an
 * integer column as DOUBLE and loses precision above 2^53. Binary values are hex literals; everything else a
 * quoted string, which MySQL converts to the column's type and character set (so the index range still applies).
 */
export function keyLiteral(column: ColumnShape, value: string): string {
  if (column.category === 'integer') {
    if (!/^-?\d+$/.test(value)) throw new Error(`Key value of ${column.name} is not an integer`);
    return value;
  }
  if (column.category === 'decimal') {
    // Unquoted, so MySQL compares DECIMAL with DECIMAL exactly; a quoted string would be compared as DOUBLE.
    if (!/^-?\d+(\.\d+)?$/.test(value)) throw new Error(`Key value of ${column.name} is not a decimal number`);
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
    const id = quoteName(column.name);
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
