import { randomUUID } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { CatchUpTimedOut } from '../shared/errors';
import { raiseSuperReadOnly, restoreWrites, type WriteFreeze } from './write-freeze';

/**
 * The catch-up proof. A metric sampled a minute ago says nothing about the last writes; a marker does. After
 * the freeze, the admin user writes a unique marker row into the heartbeat table on the source. Every
 * application write committed before the freeze precedes the marker in the binlog, and DMS applies CDC in
 * commit order, so once the marker can be read on the target, so can every one of those writes.
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
  /** The heartbeat's schema on the frozen side (the `from` of the direction). */
  schema: string;
  /** Its schema on the side catching up, when the task renames schemas (`database.targetSchemas`). @default schema */
  catchingUpSchema?: string;
  timeoutSeconds: number;
  /** The freeze this proof follows; absent when the application was stopped another way. */
  freeze?: WriteFreeze;
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

/**
 * Writes the marker; returns when, as ISO 8601 in UTC. The column holds UTC_TIMESTAMP without a zone
 * (`2026-11-24 02:14:07.500123`, as the connection's dateStrings read it), which a reader would take for its
 * own local time.
 */
export async function writeMarker(source: Connection, schema: string, marker: string): Promise<string> {
  await source.query(`INSERT INTO \`${schema}\`.\`${HEARTBEAT_TABLE}\` (marker, written_at) VALUES (?, UTC_TIMESTAMP(6))`, [marker]);
  const [rows] = await source.query<RowDataPacket[]>(`SELECT written_at FROM \`${schema}\`.\`${HEARTBEAT_TABLE}\` WHERE marker = ?`, [marker]);
  return `${String(rows[0].written_at).replace(' ', 'T')}Z`;
}

/** Reads the target until the marker is there or the time is up; true when it arrived. */
export async function waitForMarker(target: Connection, schema: string, marker: string, timeoutSeconds: number, pollIntervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const [rows] = await target.query<RowDataPacket[]>(`SELECT 1 FROM \`${schema}\`.\`${HEARTBEAT_TABLE}\` WHERE marker = ?`, [marker]);
    if (rows.length > 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * Writes the marker, raises super_read_only where the server has it, and waits for the marker on the target.
 * On timeout the source gets its recorded read_only values back before the error is thrown, so the
 * applications can write again and nothing is left half-switched.
 */
export async function proveCatchUp(source: Connection, target: Connection, options: CatchUpOptions): Promise<CatchUpProof> {
  const marker = newMarker(options.markerPrefix);
  const writtenAt = await writeMarker(source, options.schema, marker);
  if (options.freeze) await raiseSuperReadOnly(source, options.freeze);
  const arrived = await waitForMarker(target, options.catchingUpSchema ?? options.schema, marker, options.timeoutSeconds, options.pollIntervalMs);
  if (!arrived) {
    const restored = options.freeze ? await restoreWrites(source, options.freeze.previous) : undefined;
    throw new CatchUpTimedOut(
      `The catch-up marker ${marker} did not reach the target within ${options.timeoutSeconds} s: replication is behind or stopped. ` +
        (restored ? `Source writes were restored (read_only=${restored.readOnly}); ` : '') +
        'nothing was switched.',
    );
  }
  return { marker, heartbeatTable: `${options.schema}.${HEARTBEAT_TABLE}`, writtenAt, seenOnTargetAt: new Date().toISOString() };
}
