import type { Connection, RowDataPacket } from 'mysql2/promise';
import { from, keyComparison, keyOrder, keySelectList, keyValuesOf, rangePredicate, type KeyRange, type KeyValues } from './row-sql';
import type { ColumnShape, KeyShape, TableShape } from './table-shape';

/**
 * Cuts a key range into chunks of about `targetRows` rows without reading the rows: recursive bisection,
 * where each step costs two index dives (`ORDER BY key LIMIT 1`) and an EXPLAIN, whose row estimate InnoDB
 * computes from index dives too (records_in_range). A midpoint is computed on the first key column where the
 * range's first and last keys differ (integers, dates and times, strings, bytes), then snapped to the first
 * real key at or after it, so bounds are always real keys and any collation orders them consistently. When no
 * midpoint can be computed (adjacent values of a DECIMAL or FLOAT key, or a string midpoint that the column's
 * collation orders outside the range) the step falls back to walking half of that range with LIMIT/OFFSET:
 * correct, but it reads the range's index entries. Chunk sizes are estimates; the comparison counts real rows.
 */
export interface PlannedRange extends KeyRange {
  estimatedRows: number;
}

/** Chunks may exceed the target by this factor before they are split. */
const SPLIT_ABOVE = 1.5;
/** A range that cannot be split further after this many levels is kept as it is. */
const MAX_DEPTH = 40;

type KeyedShape = TableShape & { key: KeyShape };

/**
 * Chunks are sized so their row strings fill a quarter of MariaDB's default max_allowed_packet (16 MiB; MySQL
 * 8.0's is 64 MiB), which also caps a GROUP_CONCAT.
 */
const CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_CHUNK_ROWS = 1000;

/**
 * Rows per chunk for this table: the configured count, fewer for wide rows, so that a chunk's ordered checksum
 * (row-sql.ts) fits in one concatenation. AVG_ROW_LENGTH is the storage engine's estimate (LOBs included, which
 * the row string replaces by their 40-digit SHA1): a chunk that overflows anyway is checksummed row by row.
 */
export async function chunkRowsFor(connection: Connection, shape: TableShape, configuredRows: number): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT AVG_ROW_LENGTH AS rowBytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
    shape.schema,
    shape.table,
  ]);
  const rowBytes = Math.max(1, Number(rows[0]?.rowBytes ?? 0));
  return Math.max(MIN_CHUNK_ROWS, Math.min(configuredRows, Math.floor(CHUNK_BYTES / rowBytes)));
}

export async function estimateRows(connection: Connection, shape: TableShape, range: KeyRange): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>(`EXPLAIN SELECT 1 FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)}`);
  return rows.reduce((most, row) => Math.max(most, Number(row.rows ?? 0)), 0);
}

/** The first (or last) key in a range, or null when the range is empty. */
export async function edgeKey(connection: Connection, shape: KeyedShape, range: KeyRange, edge: 'first' | 'last', extraCondition?: string): Promise<KeyValues | null> {
  const where = [rangePredicate(shape.key, range), ...(extraCondition ? [extraCondition] : [])].join(' AND ');
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT ${keySelectList(shape.key)} FROM ${from(shape)} WHERE ${where} ORDER BY ${keyOrder(shape.key, edge === 'first' ? 'ASC' : 'DESC')} LIMIT 1`,
  );
  return rows.length > 0 ? keyValuesOf(rows[0], shape.key) : null;
}

export async function planRanges(connection: Connection, shape: TableShape, targetRows: number, range: KeyRange = { lower: null, upper: null }): Promise<PlannedRange[]> {
  const estimatedRows = await estimateRows(connection, shape, range);
  if (!shape.key || estimatedRows <= targetRows * SPLIT_ABOVE) return [{ ...range, estimatedRows }];
  const keyed = shape as KeyedShape;
  const first = await edgeKey(connection, keyed, range, 'first');
  const last = await edgeKey(connection, keyed, range, 'last');
  if (!first || !last) return [{ ...range, estimatedRows }];
  const planned: PlannedRange[] = [];
  await split(connection, keyed, { ...range, estimatedRows }, first, last, targetRows, 0, planned);
  return planned;
}

async function split(
  connection: Connection,
  shape: KeyedShape,
  range: PlannedRange,
  first: KeyValues,
  last: KeyValues,
  targetRows: number,
  depth: number,
  planned: PlannedRange[],
): Promise<void> {
  const middle = range.estimatedRows > targetRows * SPLIT_ABOVE && depth < MAX_DEPTH ? await splitKey(connection, shape, range, first, last) : null;
  if (!middle) {
    planned.push(range);
    return;
  }
  const lowerHalf: KeyRange = { lower: range.lower, upper: middle };
  const upperHalf: KeyRange = { lower: middle, upper: range.upper };
  const [lowerRows, upperRows, lowerLast] = await Promise.all([
    estimateRows(connection, shape, lowerHalf),
    estimateRows(connection, shape, upperHalf),
    edgeKey(connection, shape, lowerHalf, 'last'),
  ]);
  await split(connection, shape, { ...lowerHalf, estimatedRows: lowerRows }, first, lowerLast ?? first, targetRows, depth + 1, planned);
  await split(connection, shape, { ...upperHalf, estimatedRows: upperRows }, middle, last, targetRows, depth + 1, planned);
}

/** A real key strictly after `first` and at most `last`, near the middle of the range; null if there is none. */
async function splitKey(connection: Connection, shape: KeyedShape, range: PlannedRange, first: KeyValues, last: KeyValues): Promise<KeyValues | null> {
  const position = first.findIndex((value, index) => value !== last[index]);
  if (position < 0) return null;
  const column = shape.key.columns[position];
  const middle = midpoint(column, first[position], last[position]);
  // Adjacent values (5 and 6): split after the first value's group; its rows are then split on the next column.
  const candidate = [...first.slice(0, position), middle ?? last[position]];
  const afterFirst = keyComparison(shape.key, first, '>');
  const snapped = await edgeKey(connection, shape, range, 'first', `${afterFirst} AND ${keyComparison(shape.key, candidate, '>=')}`);
  if (snapped && (middle !== null || !['decimal', 'float', 'double', 'other'].includes(column.category))) return snapped;
  // No usable midpoint: walk to the middle row of the range.
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT ${keySelectList(shape.key)} FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)} AND ${afterFirst}
      ORDER BY ${keyOrder(shape.key)} LIMIT 1 OFFSET ${Math.max(0, Math.floor(range.estimatedRows / 2) - 1)}`,
  );
  return rows.length > 0 ? keyValuesOf(rows[0], shape.key) : snapped;
}

/** A value strictly between `low` and `high` in the column's natural order, or null when none is known. */
export function midpoint(column: ColumnShape, low: string, high: string): string | null {
  switch (column.category) {
    case 'integer':
    case 'year': {
      const middle = (BigInt(low) + BigInt(high)) / 2n;
      return middle > BigInt(low) && middle < BigInt(high) ? middle.toString() : null;
    }
    case 'date':
    case 'datetime': {
      const [lowTime, highTime] = [Date.parse(`${low.replace(' ', 'T')}Z`), Date.parse(`${high.replace(' ', 'T')}Z`)];
      if (Number.isNaN(lowTime) || Number.isNaN(highTime) || highTime - lowTime < 2) return null;
      const iso = new Date(Math.floor((lowTime + highTime) / 2)).toISOString();
      return column.category === 'date' ? iso.slice(0, 10) : iso.slice(0, 23).replace('T', ' ');
    }
    case 'string':
    case 'text':
      return stringMidpoint(low, high);
    case 'binary':
      return bytesMidpoint(low, high);
    default:
      return null;
  }
}

/** Code-point midpoint at the first differing position (printable characters only). */
function stringMidpoint(low: string, high: string): string | null {
  const [lowChars, highChars] = [[...low], [...high]];
  let position = 0;
  while (position < lowChars.length && lowChars[position] === highChars[position]) position += 1;
  if (position >= highChars.length) return null;
  const lowCode = lowChars[position]?.codePointAt(0) ?? 0x1f;
  const highCode = highChars[position].codePointAt(0) as number;
  const prefix = lowChars.slice(0, position).join('');
  if (highCode - lowCode > 1) return prefix + String.fromCodePoint(clampCodePoint(Math.floor((lowCode + highCode) / 2)));
  const nextLow = lowChars[position + 1]?.codePointAt(0) ?? 0x1f;
  return prefix + String.fromCodePoint(lowCode < 0x20 ? 0x20 : lowCode) + String.fromCodePoint(clampCodePoint(Math.floor((nextLow + 0x7f) / 2)));
}

function clampCodePoint(code: number): number {
  // Surrogate halves are not characters; skip below them.
  return code >= 0xd800 && code <= 0xdfff ? 0xd7ff : Math.max(code, 0x20);
}

function bytesMidpoint(lowHex: string, highHex: string): string | null {
  const [low, high] = [Buffer.from(lowHex, 'hex'), Buffer.from(highHex, 'hex')];
  let position = 0;
  while (position < low.length && low[position] === high[position]) position += 1;
  if (position >= high.length) return null;
  const lowByte = position < low.length ? low[position] : -1;
  const prefix = low.subarray(0, position);
  if (high[position] - lowByte > 1) return Buffer.concat([prefix, Buffer.from([Math.floor((lowByte + high[position]) / 2)])]).toString('hex');
  const nextLow = position + 1 < low.length ? low[position + 1] : 0;
  return Buffer.concat([prefix, Buffer.from([Math.max(lowByte, 0), Math.floor((nextLow + 0x100) / 2)])]).toString('hex');
}
