import { randomUUID } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { CatchUpTimedOut } from '../shared/errors';
import { capitalized } from '../shared/approval-purpose';
import type { DatabaseSide } from '../shared/cutover-vocabulary';
import { statementsEndingBy, type Statements } from '../shared/mysql';
import { freezeDeadline, raiseSuperReadOnly, restoreWrites, type ReadOnlySettings, type WriteFreeze } from './write-freeze';

/**
 * The catch-up proof. A metric sampled a minute ago says nothing about the last writes; a marker does. After
 * the freeze, the admin user writes a unique marker row into the heartbeat table on the source. Every
 * application write committed before the freeze precedes the marker in the binlog, and DMS applies CDC in
 * commit order, so once the marker can be read on the target, so can every one of those writes.
 *
 * The proof and the freeze share one budget, `timeoutSeconds`, counted from the moment the freeze was asked
 * for: every statement made while the writes are frozen ends by that deadline (statementsEndingBy), and when
 * the marker has not arrived by then the writes are given back within FREEZE_MARGIN_SECONDS, so a lock, a
 * stalled replication or a slow server never keeps applications from writing longer than the operator allowed.
 *
 * The heartbeat table lives in each migrated schema and must be in the task's table mappings (the gate checks
 * both); operators create it before the task starts with HEARTBEAT_TABLE_DDL, so the full load copies it.
 */
export const HEARTBEAT_TABLE = 'dms_orchestrator_heartbeat';

export function heartbeatTableDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${schema}\`.\`${HEARTBEAT_TABLE}\` (
  marker VARCHAR(128) NOT NULL PRIMARY KEY,
  written_at DATETIME(6) NOT NULL
) ENGINE=InnoDB`;
}

export interface CatchUpProof {
  marker: string;
  /** Where the marker was written and read: `schema.dms_orchestrator_heartbeat`. */
  heartbeatTable: string;
  writtenAt: string;
  seenOnTargetAt: string;
}

export interface CatchUpOptions {
  /** Which side is frozen and which catches up: source and target forward, the other way round in a rollback. */
  sides: { from: DatabaseSide; to: DatabaseSide };
  /** The heartbeat's schema on the frozen side (the `from` of the direction). */
  schema: string;
  /** Its schema on the side catching up, when the task renames schemas (`database.targetSchemas`). @default schema */
  catchingUpSchema?: string;
  /** The budget of the freeze and the proof together, counted from the freeze's `requestedAt` (from now without a freeze). */
  timeoutSeconds: number;
  /**
   * The freeze this proof follows, and a second session on the frozen side, opened before the marker is
   * written and used only to give the writes back: nothing the marker's session meets (a lock, a statement
   * abandoned at the deadline) can hold it up. Absent when the application was stopped another way.
   */
  freeze?: { record: WriteFreeze; unfreezer: Connection };
  /** Pause between reads of the target. @default 500 ms */
  pollIntervalMs?: number;
  /** Readable prefix of the marker, such as the execution name. */
  markerPrefix?: string;
}

export function newMarker(prefix = 'cutover'): string {
  return `${prefix.slice(0, 90)}:${randomUUID()}`;
}

/** Whether the heartbeat table exists on this server (the gate asks both sides). */
export async function heartbeatTableExists(connection: Connection, schema: string): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, HEARTBEAT_TABLE],
  );
  return rows.length > 0;
}

/** When the proof must have ended: the freeze's deadline, or `timeoutSeconds` from now without a freeze. */
export function catchUpDeadline(timeoutSeconds: number, freeze?: Pick<WriteFreeze, 'requestedAt'>): number {
  return freeze ? freezeDeadline(freeze, timeoutSeconds) : Date.now() + timeoutSeconds * 1000;
}

/**
 * Writes the marker; returns when, as ISO 8601 in UTC. The column holds UTC_TIMESTAMP without a zone
 * (`2026-11-24 02:14:07.500123`, as the connection's dateStrings read it), which a reader would take for its
 * own local time.
 */
export async function writeMarker(source: Statements, schema: string, marker: string): Promise<string> {
  await source.query(`INSERT INTO \`${schema}\`.\`${HEARTBEAT_TABLE}\` (marker, written_at) VALUES (?, UTC_TIMESTAMP(6))`, [marker]);
  const [rows] = await source.query<RowDataPacket[]>(`SELECT written_at FROM \`${schema}\`.\`${HEARTBEAT_TABLE}\` WHERE marker = ?`, [marker]);
  return `${String(rows[0].written_at).replace(' ', 'T')}Z`;
}

/** Reads the target until the marker is there or `deadline` (ms since the epoch) has passed; true when it arrived. */
export async function waitForMarker(target: Statements, schema: string, marker: string, deadline: number, pollIntervalMs = 500): Promise<boolean> {
  for (;;) {
    const [rows] = await target.query<RowDataPacket[]>(`SELECT 1 FROM \`${schema}\`.\`${HEARTBEAT_TABLE}\` WHERE marker = ?`, [marker]);
    if (rows.length > 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * Writes the marker, raises super_read_only where the server has it, and waits for the marker on the target,
 * every statement ending by the deadline (catchUpDeadline). When the marker has not arrived by then, the
 * frozen side gets its recorded read_only values back before CatchUpTimedOut is thrown, so the applications
 * can write again and nothing is left half-switched; any other failure gives the writes back too, then
 * surfaces as it is.
 */
export async function proveCatchUp(source: Connection, target: Connection, options: CatchUpOptions): Promise<CatchUpProof> {
  const deadline = catchUpDeadline(options.timeoutSeconds, options.freeze?.record);
  const marker = newMarker(options.markerPrefix);
  const giveWritesBack = async (): Promise<ReadOnlySettings | undefined> =>
    options.freeze ? restoreWrites(options.freeze.unfreezer, options.freeze.record.previous) : undefined;
  let markerWritten = false;
  let cutOff: Error | undefined;
  try {
    if (Date.now() < deadline) {
      const [frozen, catchingUp] = [statementsEndingBy(source, deadline), statementsEndingBy(target, deadline)];
      const writtenAt = await writeMarker(frozen, options.schema, marker);
      markerWritten = true;
      if (options.freeze) await raiseSuperReadOnly(frozen, options.freeze.record);
      if (await waitForMarker(catchingUp, options.catchingUpSchema ?? options.schema, marker, deadline, options.pollIntervalMs)) {
        return { marker, heartbeatTable: `${options.schema}.${HEARTBEAT_TABLE}`, writtenAt, seenOnTargetAt: new Date().toISOString() };
      }
    }
  } catch (error) {
    // A statement the deadline ended (a lock wait, the server's statement limit, the client's timeout) is the
    // timeout itself; anything earlier is a real failure.
    if (Date.now() < deadline) {
      await giveWritesBack();
      throw error;
    }
    cutOff = error as Error;
  }
  const restored = await giveWritesBack();
  const within = `within ${options.timeoutSeconds} s${options.freeze ? ' of the freeze' : ''}`;
  throw new CatchUpTimedOut(
    (markerWritten
      ? `The catch-up marker ${marker} did not reach the ${options.sides.to} ${within}: replication is behind or stopped, or a lock held the marker up`
      : cutOff
        ? `The catch-up marker ${marker} could not be written ${within}`
        : `The ${options.timeoutSeconds} s the freeze may last were spent before the catch-up proof began (by the steps between the freeze and the proof): no marker was written`) +
      `${cutOff ? ` (the last statement was cut off: ${cutOff.message})` : ''}. ` +
      (restored ? `${capitalized(options.sides.from)} writes were restored (read_only=${restored.readOnly}); ` : '') +
      'nothing was switched.',
  );
}
