import { randomBytes } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { planRanges } from './key-ranges';
import {
  GROUP_CONCAT_BYTES,
  keyOrder,
  keySelectList,
  keyValuesOf,
  from,
  orderedAggregateQuery,
  rangePredicate,
  rowHashesQuery,
  unorderedAggregateQuery,
  type KeyRange,
  type KeyValues,
  type Salt,
} from './row-sql';
import type { KeyShape, TableShape } from './table-shape';

/**
 * Compares one chunk: the same aggregate on source and target, at the same time (row-sql.ts explains both
 * checksums and their bounds); the cheap ordered checksum where both sides order the key alike. A chunk that
 * differs is looked at again after `confirmAfterMs`: a keyed chunk of up to `maxUnsplitRows` rows by diffing
 * its (key, row hash) lists, which confirms and locates at once; anything else by the order-independent
 * checksum, and then, when the key allows ranges, by bisection on the side with more rows, each part compared
 * by aggregate again, down to parts of at most `leafRows` rows whose lists are diffed.
 */
export interface Aggregate {
  rowCount: number;
  checksum: string;
}

/** A fresh salt for one comparison run. */
export const newSalt = (): Salt => randomBytes(8).toString('hex');

export interface DifferingKeys {
  /** Number of rows in this category: exact, except that a changed row whose CRC32 stays equal is not counted (row-sql.ts). */
  count: number;
  /** The first `maxKeys` of them, as key values in key-column order. */
  keys: KeyValues[];
}

export interface ChunkComparison {
  source: Aggregate;
  target: Aggregate;
  match: boolean;
  /** Present when the chunk differs and the table has a key. */
  differences?: {
    missingOnTarget: DifferingKeys;
    extraOnTarget: DifferingKeys;
    different: DifferingKeys;
  };
}

export interface CompareSettings {
  /** The run's row salt: the same on both sides and for every chunk of the run. */
  salt: Salt;
  /** Parts at most this large are diffed row by row. @default 2000 */
  leafRows?: number;
  /** Keys listed per difference category. @default 20 */
  maxKeys?: number;
  /**
   * When the aggregates differ, wait this long and compare again before locating: while DMS CDC runs, a row
   * changed on the source reaches the target a moment later, and that is latency, not a difference. @default 0
   */
  confirmAfterMs?: number;
  /**
   * Whether both sides order the key alike, so that a chunk may be checksummed in key order and a differing
   * chunk too large to list whole cut into key ranges to locate rows. Not when the key's collation differs
   * between the sides: ranges would select different rows. The chunk is then checksummed order-independently,
   * and beyond `maxUnsplitRows` its rows are not located. @default true
   */
  keyOrderMatches?: boolean;
  /** A differing chunk of at most this many rows a side is located by diffing its whole (key, row hash) lists. @default 200000 */
  maxUnsplitRows?: number;
}

/** Order-independent aggregate: row count and exact sum of 64-bit row hashes. */
export async function unorderedAggregate({ connection, shape }: Side, range: KeyRange, salt: Salt): Promise<Aggregate> {
  const [rows] = await connection.query<RowDataPacket[]>(unorderedAggregateQuery(shape, range, salt));
  return { rowCount: Number(rows[0].rowCount), checksum: String(rows[0].checksum) };
}

const concatenationLimits = new WeakSet<Connection>();

/**
 * Raises the session's GROUP_CONCAT limit to the smaller of GROUP_CONCAT_BYTES and max_allowed_packet, which
 * also cuts a GROUP_CONCAT whatever group_concat_max_len says (seen on MariaDB 10.11: 16 MiB). Either cut
 * raises a warning (1260 "Row N was cut by GROUP_CONCAT()", 1301 "...larger than max_allowed_packet").
 */
async function raiseConcatenationLimit(connection: Connection): Promise<void> {
  if (concatenationLimits.has(connection)) return;
  const [rows] = await connection.query<RowDataPacket[]>('SELECT @@max_allowed_packet AS packetBytes');
  await connection.query(`SET SESSION group_concat_max_len = ${Math.min(GROUP_CONCAT_BYTES, Number(rows[0].packetBytes))}`);
  concatenationLimits.add(connection);
}

/**
 * Ordered aggregate (row count, SHA1 of the rows in key order), or null when the concatenation may have been
 * cut short: any warning from the aggregate (a cut always raises one; any other warning only sends the chunk to
 * the order-independent checksum), or a NULL checksum with rows present.
 */
export async function orderedAggregate({ connection, shape }: KeyedSide, range: KeyRange, salt: Salt): Promise<Aggregate | null> {
  await raiseConcatenationLimit(connection);
  const [rows] = await connection.query<RowDataPacket[]>(orderedAggregateQuery(shape, range, salt));
  const [{ rowCount, checksum }] = rows;
  const [[{ warnings }]] = await connection.query<RowDataPacket[]>('SELECT @@warning_count AS warnings');
  if (Number(rowCount) === 0) return { rowCount: 0, checksum: 'no rows' };
  return checksum === null || Number(warnings) > 0 ? null : { rowCount: Number(rowCount), checksum: String(checksum) };
}

/** Both sides' aggregates of one range, ordered where allowed and it fits, else unordered. */
export async function aggregatePair(source: Side, target: Side, range: KeyRange, salt: Salt, ordered: boolean): Promise<[Aggregate, Aggregate]> {
  if (ordered && source.shape.key) {
    const [sourceAggregate, targetAggregate] = await Promise.all([orderedAggregate(source as KeyedSide, range, salt), orderedAggregate(target as KeyedSide, range, salt)]);
    if (sourceAggregate && targetAggregate) return [sourceAggregate, targetAggregate];
  }
  return Promise.all([unorderedAggregate(source, range, salt), unorderedAggregate(target, range, salt)]);
}

const sameAggregate = (source: Aggregate, target: Aggregate) => source.rowCount === target.rowCount && source.checksum === target.checksum;

/**
 * One side of the comparison: a session and the table as named there. Both sides use the source's column list
 * and key, so they run the same query text; only the schema name may differ (DMS table mappings can rename it).
 */
export interface Side {
  connection: Connection;
  shape: TableShape;
}

type KeyedSide = Side & { shape: TableShape & { key: KeyShape } };

export function targetSide(connection: Connection, sourceShape: TableShape, targetSchema: string): Side {
  return { connection, shape: { ...sourceShape, schema: targetSchema } };
}

export async function compareChunk(source: Side, target: Side, range: KeyRange, settings: CompareSettings): Promise<ChunkComparison> {
  const { salt } = settings;
  const keyOrderMatches = settings.keyOrderMatches !== false;
  const [sourceAggregate, targetAggregate] = await aggregatePair(source, target, range, salt, keyOrderMatches);
  if (sameAggregate(sourceAggregate, targetAggregate)) return { source: sourceAggregate, target: targetAggregate, match: true };
  if (settings.confirmAfterMs) await new Promise((resolve) => setTimeout(resolve, settings.confirmAfterMs));
  const differences = { missingOnTarget: emptyKeys(), extraOnTarget: emptyKeys(), different: emptyKeys() };
  const locator = new Locator(source as KeyedSide, target as KeyedSide, salt, settings.leafRows ?? 2000, settings.maxKeys ?? 20, differences);
  const listed = source.shape.key !== null && Math.max(sourceAggregate.rowCount, targetAggregate.rowCount) <= (settings.maxUnsplitRows ?? 200_000);
  if (listed) {
    // One read of (key, row CRC32) per side locates the rows: fewer round trips than cutting the chunk into
    // ranges, and one scan of it per side. Only an empty result (rows came in another order, CDC caught up, or
    // a change CRC32 cannot see) falls through to the order-independent checksum, which decides.
    const rowCounts = await locator.diffRows(range);
    if (differences.missingOnTarget.count + differences.extraOnTarget.count + differences.different.count > 0) {
      return { source: { ...sourceAggregate, rowCount: rowCounts.source }, target: { ...targetAggregate, rowCount: rowCounts.target }, match: false, differences };
    }
  }
  const [sourceConfirmed, targetConfirmed] = await aggregatePair(source, target, range, salt, false);
  const match = sameAggregate(sourceConfirmed, targetConfirmed);
  // Without a key, or ranges to cut a chunk too large to list whole, the rows cannot be located; a listed
  // chunk whose lists agree differs in a way its rows' CRC32s do not show.
  if (match || listed || !source.shape.key || !keyOrderMatches) return { source: sourceConfirmed, target: targetConfirmed, match };
  await locator.locate(range, sourceConfirmed, targetConfirmed);
  return { source: sourceConfirmed, target: targetConfirmed, match, differences };
}

const emptyKeys = (): DifferingKeys => ({ count: 0, keys: [] });

class Locator {
  constructor(
    private readonly source: KeyedSide,
    private readonly target: KeyedSide,
    private readonly salt: Salt,
    private readonly leafRows: number,
    private readonly maxKeys: number,
    private readonly differences: NonNullable<ChunkComparison['differences']>,
  ) {}

  async locate(range: KeyRange, source: Aggregate, target: Aggregate): Promise<void> {
    if (source.rowCount === 0 || target.rowCount === 0) return this.oneSided(range, source.rowCount === 0 ? 'extraOnTarget' : 'missingOnTarget', Math.max(source.rowCount, target.rowCount));
    const largest = Math.max(source.rowCount, target.rowCount);
    if (largest <= this.leafRows) {
      await this.diffRows(range);
      return;
    }
    const fuller = source.rowCount >= target.rowCount ? this.source : this.target;
    const parts = await planRanges(fuller.connection, fuller.shape, Math.max(this.leafRows / 2, Math.ceil(largest / 16)), range);
    if (parts.length < 2) {
      await this.diffRows(range);
      return;
    }
    for (const part of parts) {
      const [partSource, partTarget] = await aggregatePair(this.source, this.target, part, this.salt, true);
      if (!sameAggregate(partSource, partTarget)) await this.locate({ lower: part.lower, upper: part.upper }, partSource, partTarget);
    }
  }

  /** Every row of the range exists on one side only: list the first keys, count the rest without reading them. */
  private async oneSided(range: KeyRange, category: 'missingOnTarget' | 'extraOnTarget', rowCount: number): Promise<void> {
    const { connection, shape } = category === 'missingOnTarget' ? this.source : this.target;
    const found = this.differences[category];
    found.count += rowCount;
    const room = this.maxKeys - found.keys.length;
    if (room <= 0) return;
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT ${keySelectList(shape.key)} FROM ${from(shape)} WHERE ${rangePredicate(shape.key, range)} ORDER BY ${keyOrder(shape.key)} LIMIT ${room}`,
    );
    found.keys.push(...rows.map((row) => keyValuesOf(row, shape.key)));
  }

  /**
   * Diffs the range's (key, row hash) lists; returns how many rows each side holds. Rows come as arrays and
   * keys as one length-prefixed text each (`5:12345`, injective for any number of columns): measured, building
   * the lists from row objects and JSON keys took longer in Node than the server took to compute them.
   */
  async diffRows(range: KeyRange): Promise<{ source: number; target: number }> {
    const keyWidth = this.source.shape.key.columns.length;
    const read = async ({ connection, shape }: KeyedSide) => {
      const [rows] = await connection.query<RowDataPacket[]>({ sql: rowHashesQuery(shape, range), rowsAsArray: true });
      const hashes = new Map<string, { key: unknown[]; hash: unknown }>();
      for (const row of rows as unknown as unknown[][]) {
        const key = row.slice(0, keyWidth);
        hashes.set(key.map((value) => `${String(value).length}:${String(value)}`).join(''), { key, hash: row[keyWidth] });
      }
      return hashes;
    };
    const [sourceRows, targetRows] = await Promise.all([read(this.source), read(this.target)]);
    for (const [text, { key, hash }] of sourceRows) {
      const target = targetRows.get(text);
      if (target === undefined) this.record('missingOnTarget', key);
      else if (target.hash !== hash) this.record('different', key);
    }
    for (const [text, { key }] of targetRows) if (!sourceRows.has(text)) this.record('extraOnTarget', key);
    return { source: sourceRows.size, target: targetRows.size };
  }

  private record(category: keyof Locator['differences'], key: unknown[]): void {
    const found = this.differences[category];
    found.count += 1;
    if (found.keys.length < this.maxKeys) found.keys.push(key.map(String));
  }
}
