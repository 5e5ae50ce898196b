import type { Connection, RowDataPacket } from 'mysql2/promise';
import { planRanges } from './key-ranges';
import { randomBytes } from 'node:crypto';
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
 * checksums and their bounds). Where both sides order the key alike, the cheap ordered checksum runs first;
 * any mismatch is confirmed by the order-independent one, after `confirmAfterMs`. When the chunk still differs
 * and the table has a key, it is bisected on the side with more rows, each part compared by aggregate again,
 * down to parts of at most `leafRows` rows, whose (key, row hash) lists are then diffed: only the parts that
 * differ are ever read row by row.
 */
export interface Aggregate {
  rowCount: number;
  checksum: string;
}

/** A fresh salt for one comparison run. */
export const newSalt = (): Salt => randomBytes(8).toString('hex');

export interface DifferingKeys {
  /** Exact number of rows in this category. */
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
   * chunk cut into key ranges to locate rows. Not when the key's collation differs between the sides: ranges
   * would select different rows. The chunk is then checksummed order-independently, and its (key, row hash)
   * lists are diffed whole, up to `maxUnsplitRows` rows a side; beyond that the rows are not located.
   * @default true
   */
  keyOrderMatches?: boolean;
  /** @default 200000 */
  maxUnsplitRows?: number;
}

/** Order-independent aggregate: row count and exact sum of 64-bit row hashes. */
export async function unorderedAggregate({ connection, shape }: Side, range: KeyRange, salt: Salt): Promise<Aggregate> {
  const [rows] = await connection.query<RowDataPacket[]>(unorderedAggregateQuery(shape, range, salt));
  return { rowCount: Number(rows[0].rowCount), checksum: String(rows[0].checksum) };
}

const sessionsWithRoom = new WeakSet<Connection>();

/** Ordered aggregate (row count, MD5 of the rows in key order), or null when the concatenation was cut short. */
export async function orderedAggregate({ connection, shape }: KeyedSide, range: KeyRange, salt: Salt): Promise<Aggregate | null> {
  if (!sessionsWithRoom.has(connection)) {
    await connection.query(`SET SESSION group_concat_max_len = ${GROUP_CONCAT_BYTES}`);
    sessionsWithRoom.add(connection);
  }
  const [rows] = await connection.query<RowDataPacket[]>(orderedAggregateQuery(shape, range, salt));
  const { rowCount, checksum, chunkBytes } = rows[0];
  return Number(chunkBytes) >= GROUP_CONCAT_BYTES ? null : { rowCount: Number(rowCount), checksum: `${String(checksum)}/${String(chunkBytes)}` };
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
  let [sourceAggregate, targetAggregate] = await aggregatePair(source, target, range, salt, keyOrderMatches);
  if (!sameAggregate(sourceAggregate, targetAggregate)) {
    if (settings.confirmAfterMs) await new Promise((resolve) => setTimeout(resolve, settings.confirmAfterMs));
    [sourceAggregate, targetAggregate] = await aggregatePair(source, target, range, salt, false);
  }
  const match = sameAggregate(sourceAggregate, targetAggregate);
  if (match || !source.shape.key) return { source: sourceAggregate, target: targetAggregate, match };
  const differences = { missingOnTarget: emptyKeys(), extraOnTarget: emptyKeys(), different: emptyKeys() };
  const locator = new Locator(source as KeyedSide, target as KeyedSide, salt, settings.leafRows ?? 2000, settings.maxKeys ?? 20, differences);
  if (!keyOrderMatches) {
    if (Math.max(sourceAggregate.rowCount, targetAggregate.rowCount) > (settings.maxUnsplitRows ?? 200_000)) return { source: sourceAggregate, target: targetAggregate, match };
    await locator.diffRows(range);
  } else {
    await locator.locate(range, sourceAggregate, targetAggregate);
  }
  return { source: sourceAggregate, target: targetAggregate, match, differences };
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
    if (largest <= this.leafRows) return this.diffRows(range);
    const fuller = source.rowCount >= target.rowCount ? this.source : this.target;
    const parts = await planRanges(fuller.connection, fuller.shape, Math.max(this.leafRows / 2, Math.ceil(largest / 16)), range);
    if (parts.length < 2) return this.diffRows(range);
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

  async diffRows(range: KeyRange): Promise<void> {
    const read = async ({ connection, shape }: KeyedSide) => {
      const [rows] = await connection.query<RowDataPacket[]>(rowHashesQuery(shape, range, this.salt));
      return new Map(rows.map((row) => [JSON.stringify(keyValuesOf(row, shape.key)), String(row.rowHash)]));
    };
    const [sourceRows, targetRows] = await Promise.all([read(this.source), read(this.target)]);
    for (const [key, hash] of sourceRows) {
      const targetHash = targetRows.get(key);
      if (targetHash === undefined) this.record('missingOnTarget', key);
      else if (targetHash !== hash) this.record('different', key);
    }
    for (const key of targetRows.keys()) if (!sourceRows.has(key)) this.record('extraOnTarget', key);
  }

  private record(category: keyof Locator['differences'], key: string): void {
    const found = this.differences[category];
    found.count += 1;
    if (found.keys.length < this.maxKeys) found.keys.push(JSON.parse(key) as KeyValues);
  }
}
