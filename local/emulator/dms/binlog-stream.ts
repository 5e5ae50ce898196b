import type { Connection, RowDataPacket } from 'mysql2/promise';
import ZongJi, { type BinlogEvent, type DeleteRowsEvent, type QueryEvent, type RowData, type RowsEvent, type UpdateRowsEvent, type WriteRowsEvent } from '@vlasky/zongji';
import { EXACT_VALUE_OPTIONS, type DatabaseCredentials } from '../../../functions/shared/mysql';

/**
 * The source's row-based binary log as the emulated DMS reads it (DMS's SOURCE_CAPTURE): a replica connection
 * (`@vlasky/zongji`, which speaks the replication protocol over mysql2) from a `file:position`, turned into
 * the source's committed transactions, in commit order, and its DDL statements.
 *
 * Values are read exactly as the emulator's own sessions read them (`connectMysql`): dates as strings with
 * all their fractional digits (a Date would keep milliseconds only), TIMESTAMP in UTC, DECIMAL and
 * out-of-range BIGINT as exact strings, JSON as its text, BIT and binary strings as bytes.
 */
export interface BinlogPosition {
  file: string;
  position: number;
}

export type RowImage = Record<string, unknown>;

export type RowChange =
  | { kind: 'insert'; schema: string; table: string; after: RowImage }
  | { kind: 'update'; schema: string; table: string; before: RowImage; after: RowImage }
  | { kind: 'delete'; schema: string; table: string; before: RowImage };

interface CapturedEvent {
  /** When the source wrote it: the binlog event's timestamp (whole seconds, as the binlog keeps it). */
  committedAt: number;
  /** When the reader received it. */
  readAt: number;
  /** Where reading resumes after it. */
  end: BinlogPosition;
}

/** One source transaction: its row changes in the order the source made them. */
export interface SourceTransaction extends CapturedEvent {
  kind: 'transaction';
  changes: RowChange[];
}

/** A statement the binlog keeps as text even in ROW format: DDL (CREATE/ALTER/DROP ...). */
export interface SourceStatement extends CapturedEvent {
  kind: 'statement';
  /** The session's default schema when the statement ran (names in the statement may be unqualified). */
  schema: string;
  statement: string;
}

export type CapturedChange = SourceTransaction | SourceStatement;

export class InvalidCdcStartPosition extends Error {
  override readonly name = 'InvalidCdcStartPosition';
}

/** DMS's CdcStartPosition for a MySQL source, `file:position` ("mysql-bin-changelog.000024:373"). */
export function parseBinlogPosition(text: string): BinlogPosition {
  const match = /^([^:]+):(\d+)$/.exec(text.trim());
  if (!match) throw new InvalidCdcStartPosition(`CdcStartPosition ${JSON.stringify(text)} is not a MySQL binlog position: expected file:position, e.g. mysql-bin-changelog.000024:373`);
  return { file: match[1], position: Number(match[2]) };
}

export function formatBinlogPosition(position: BinlogPosition): string {
  return `${position.file}:${position.position}`;
}

/**
 * Opens a consistent snapshot on `connection` and returns the binlog position it corresponds to: everything
 * committed before that position is in the snapshot, nothing after it. MariaDB reports exactly that position
 * in `binlog_snapshot_file`/`binlog_snapshot_position` once START TRANSACTION WITH CONSISTENT SNAPSHOT has
 * run, without a global read lock (MySQL would need FLUSH TABLES WITH READ LOCK around SHOW MASTER STATUS;
 * the emulator's sources are always local MariaDB servers). Undefined when the server keeps no binary log.
 * The snapshot lasts until the session commits.
 */
export async function beginConsistentSnapshot(connection: Connection): Promise<BinlogPosition | undefined> {
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  const [rows] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'");
  // MariaDB spells them Binlog_snapshot_file and Binlog_snapshot_position.
  const value = (name: string) => rows.find((row) => String(row.Variable_name).toLowerCase() === name)?.Value as string | undefined;
  const [[{ logBin }]] = (await connection.query('SELECT @@GLOBAL.log_bin AS logBin')) as unknown as [Array<{ logBin: string | number }>];
  const file = value('binlog_snapshot_file');
  if (Number(logBin) !== 1 || !file) return undefined;
  return { file, position: Number(value('binlog_snapshot_position')) };
}

/** The source's current binlog position (where a CDC-only task without a CdcStartPosition starts). */
export async function currentBinlogPosition(connection: Connection): Promise<BinlogPosition | undefined> {
  const [rows] = await connection.query<RowDataPacket[]>('SHOW MASTER STATUS');
  return rows[0]?.File ? { file: String(rows[0].File), position: Number(rows[0].Position) } : undefined;
}

/**
 * Follows the binlog from `from`. Row events are held until their transaction's commit (XID, or COMMIT for
 * non-transactional tables) and handed over whole; a transaction that never commits in the binlog is never
 * seen, as a replica never sees it either.
 */
export class BinlogReader {
  private readonly zongji: ZongJi;
  private readonly ready: CapturedChange[] = [];
  private pending: RowChange[] = [];
  private wake?: () => void;
  private failure?: Error;
  private stopped = false;

  constructor(credentials: DatabaseCredentials, from: BinlogPosition) {
    this.zongji = new ZongJi({
      host: credentials.host,
      port: credentials.port,
      user: credentials.username,
      password: credentials.password,
      ...EXACT_VALUE_OPTIONS,
      jsonStrings: true,
    });
    this.zongji.on('binlog', (event: BinlogEvent) => this.receive(event));
    this.zongji.on('error', (error: Error) => {
      this.failure = new Error(`Reading the source's binary log failed: ${error.message}`);
      this.notify();
    });
    this.zongji.start({
      filename: from.file,
      position: from.position,
      // A replica's server id must be unique among the server's replicas (and differ from the server's own).
      serverId: REPLICA_SERVER_ID_BASE + Math.floor(Math.random() * 1_000_000),
      includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query'],
    });
  }

  /** The source's transactions and statements in binlog order, until `stop()`; throws when reading fails. */
  async *changes(): AsyncGenerator<CapturedChange> {
    for (;;) {
      const next = this.ready.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.stopped) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Whether every change read so far has been handed over: the reader has caught up with what it received. */
  get idle(): boolean {
    return this.ready.length === 0 && this.pending.length === 0;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.zongji.stop();
    this.notify();
  }

  private receive(event: BinlogEvent): void {
    const name = event.getEventName();
    if (name === 'writerows' || name === 'updaterows' || name === 'deleterows') {
      this.pending.push(...rowChanges(event as RowsEvent));
      return;
    }
    if (name === 'xid') return this.commit(event);
    if (name !== 'query') return;
    const { query, schema } = event as QueryEvent;
    const statement = query.trim();
    if (/^BEGIN$/i.test(statement)) return;
    if (/^COMMIT$/i.test(statement)) return this.commit(event);
    if (/^ROLLBACK$/i.test(statement)) {
      this.pending = [];
      return;
    }
    this.ready.push({ kind: 'statement', schema, statement, ...this.capturedAt(event) });
    this.notify();
  }

  private commit(event: BinlogEvent): void {
    this.ready.push({ kind: 'transaction', changes: this.pending, ...this.capturedAt(event) });
    this.pending = [];
    this.notify();
  }

  private capturedAt(event: BinlogEvent): CapturedEvent {
    return { committedAt: event.timestamp, readAt: Date.now(), end: { file: this.zongji.options.filename ?? '', position: event.nextPosition } };
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }
}

function rowChanges(event: RowsEvent): RowChange[] {
  const { parentSchema: schema, tableName: table } = event.tableMap[event.tableId];
  const name = event.getEventName();
  if (name === 'writerows') return (event as WriteRowsEvent).rows.map((after: RowData) => ({ kind: 'insert', schema, table, after }));
  if (name === 'deleterows') return (event as DeleteRowsEvent).rows.map((before: RowData) => ({ kind: 'delete', schema, table, before }));
  return (event as UpdateRowsEvent).rows.map(({ before, after }) => ({ kind: 'update', schema, table, before, after }));
}

/** Replica server ids the reader picks from: far from the ids servers are usually given (1, 2, ...). */
const REPLICA_SERVER_ID_BASE = 1_000_000;
