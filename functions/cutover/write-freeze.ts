import type { Connection, RowDataPacket } from 'mysql2/promise';
import { WriteFreezeFailed } from '../shared/errors';
import { CLIENT_GRACE_MS, statementsEndingBy, type Statements } from '../shared/mysql';

/**
 * The write freeze on a MySQL/MariaDB server: `read_only` (and `super_read_only` where the server has it),
 * with the values found before so that unfreezing gives back exactly what the operator had.
 *
 * - `read_only = ON` refuses writes from every user without SUPER (MySQL 5.7), CONNECTION_ADMIN or SUPER
 *   (MySQL 8) or READ ONLY ADMIN (MariaDB 10.5.2+; not part of SUPER from MariaDB 10.11). The migration's
 *   admin user keeps one of these so it can still write the catch-up marker.
 * - `super_read_only` (MySQL 5.7.8+ only; MariaDB has no such variable) refuses those users too. It is raised
 *   only after the marker is written.
 * - Enabling read_only waits for statements in progress and LOCK TABLES holders, and while it waits new writes
 *   wait behind it (it takes the global read lock): the applications cannot write from the moment it is
 *   sent. So the freeze's budget (`catchUpTimeoutSeconds`) counts from `requestedAt`, and that wait is
 *   bounded by the budget too, so a long-running statement makes the freeze fail instead of hang.
 * - A transaction that already modified rows but has not committed is not waited for: once read_only is on,
 *   its COMMIT is refused (ER_OPTION_PREVENTS_STATEMENT), so it can never reach the binlog after the marker.
 *   Those sessions are listed so the operator knows which application connections lost their work.
 */

/** The two variables as the server prints them (`ON` / `OFF`); `superReadOnly` is absent where the server lacks it. */
export interface ReadOnlySettings {
  readOnly: string;
  superReadOnly?: string;
}

export interface SessionHoldingWrites {
  connectionId: string;
  user: string;
  host: string;
  database: string | null;
  transactionStartedAt: string;
  rowsModified: number;
}

export interface WriteFreeze {
  /** What the server had before the freeze: unfreezing sets exactly these again. */
  previous: ReadOnlySettings;
  /** When SET GLOBAL read_only = ON was sent: from here applications' writes wait or are refused. */
  requestedAt: string;
  frozenAt: string;
  /** Sessions with an open transaction that modified rows: their COMMIT will now be refused. */
  sessionsHoldingWrites: SessionHoldingWrites[];
  /** False on servers without super_read_only (MariaDB): users with READ ONLY ADMIN/SUPER can still write. */
  superReadOnlyAvailable: boolean;
}

/** How long SET GLOBAL read_only may wait for running statements and table locks, at most (less when the budget is shorter). */
export const FREEZE_LOCK_WAIT_SECONDS = 10;

/**
 * How long giving the writes back may take: two SET GLOBAL and a read of the settings, which wait for no lock
 * (turning read_only off takes none); the bound is for a server that stops answering.
 */
export const RESTORE_SECONDS = 2;

/**
 * How much longer than its budget (`catchUpTimeoutSeconds`, counted from `requestedAt`) a freeze that ends
 * without a switch may keep applications from writing: the statement running at the deadline is ended there
 * by the server's own limits, or abandoned CLIENT_GRACE_MS later, then the writes are given back within
 * RESTORE_SECONDS on a session kept apart for that. Holds as long as the catch-up step starts within the
 * budget (the steps between the freeze and the proof spend it too).
 */
export const FREEZE_MARGIN_SECONDS = CLIENT_GRACE_MS / 1000 + RESTORE_SECONDS;

/** When a freeze must have ended, one way or the other: its budget counts from the moment it was asked for. */
export function freezeDeadline(freeze: Pick<WriteFreeze, 'requestedAt'>, budgetSeconds: number): number {
  return Date.parse(freeze.requestedAt) + budgetSeconds * 1000;
}

const SETTING_VALUE = /^[A-Z_]{2,24}$/;

export async function readReadOnlySettings(connection: Statements): Promise<ReadOnlySettings> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'super_read_only')",
  );
  const value = (name: string) => rows.find((row) => String(row.Variable_name).toLowerCase() === name)?.Value as string | undefined;
  const readOnly = value('read_only');
  if (readOnly === undefined) throw new WriteFreezeFailed('The server did not report its read_only setting');
  const superReadOnly = value('super_read_only');
  return superReadOnly === undefined ? { readOnly } : { readOnly, superReadOnly };
}

/**
 * InnoDB serves INNODB_TRX from a cache it refreshes only when the cache is older than 0.1 s ("Persistence
 * and Consistency of InnoDB Transaction and Locking Information"): waiting longer than that guarantees the
 * list reflects the server after the freeze, not a read some other client made just before it.
 */
const INNODB_TRX_CACHE_MS = 100;

/** Open InnoDB transactions that modified rows, with the session that holds each. */
export async function listSessionsHoldingWrites(connection: Statements): Promise<SessionHoldingWrites[]> {
  await new Promise((resolve) => setTimeout(resolve, INNODB_TRX_CACHE_MS + 20));
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT trx.trx_mysql_thread_id AS connectionId, session.USER AS user, session.HOST AS host, session.DB AS \`database\`,
            trx.trx_started AS transactionStartedAt, trx.trx_rows_modified AS rowsModified
       FROM information_schema.INNODB_TRX AS trx
       JOIN information_schema.PROCESSLIST AS session ON session.ID = trx.trx_mysql_thread_id
      WHERE trx.trx_rows_modified > 0 AND trx.trx_mysql_thread_id <> CONNECTION_ID()
      ORDER BY trx.trx_started`,
  );
  return rows.map((row) => ({
    connectionId: String(row.connectionId),
    user: String(row.user),
    host: String(row.host),
    database: row.database === null ? null : String(row.database),
    transactionStartedAt: String(row.transactionStartedAt),
    rowsModified: Number(row.rowsModified),
  }));
}

/**
 * Records the current settings, then sets read_only = ON. super_read_only is left for after the marker. Every
 * statement from the SET on ends within `budgetSeconds` of it; a freeze that cannot be completed (the lock
 * wait ran out, the open writers could not be listed) gives the writes back before it fails, so the step
 * either freezes or leaves the server as it found it.
 */
export async function freezeWrites(connection: Connection, budgetSeconds: number): Promise<WriteFreeze> {
  const previous = await readReadOnlySettings(connection);
  const requestedAt = new Date();
  const lockWaitSeconds = Math.min(FREEZE_LOCK_WAIT_SECONDS, budgetSeconds);
  try {
    await statementsEndingBy(connection, requestedAt.getTime() + lockWaitSeconds * 1000).query('SET GLOBAL read_only = ON');
  } catch (error) {
    throw new WriteFreezeFailed(
      (error as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT'
        ? `The source did not answer SET GLOBAL read_only = ON within ${lockWaitSeconds} s: it may still apply it, check read_only there`
        : `Could not set read_only = ON on the source within ${lockWaitSeconds} s (writes were not frozen): ${(error as Error).message}`,
    );
  }
  const frozenAt = new Date().toISOString();
  let sessionsHoldingWrites: SessionHoldingWrites[];
  try {
    sessionsHoldingWrites = await listSessionsHoldingWrites(statementsEndingBy(connection, freezeDeadline({ requestedAt: requestedAt.toISOString() }, budgetSeconds)));
  } catch (error) {
    const restored = await restoreWrites(connection, previous);
    throw new WriteFreezeFailed(
      `Could not list the sessions holding uncommitted writes (the freeze needs PROCESS): ${(error as Error).message}. Writes were given back (read_only=${restored.readOnly}).`,
    );
  }
  return { previous, requestedAt: requestedAt.toISOString(), frozenAt, sessionsHoldingWrites, superReadOnlyAvailable: previous.superReadOnly !== undefined };
}

/** After the marker: refuses the remaining privileged writers too, where the server can. */
export async function raiseSuperReadOnly(connection: Statements, freeze: Pick<WriteFreeze, 'superReadOnlyAvailable'>): Promise<void> {
  if (freeze.superReadOnlyAvailable) await connection.query('SET GLOBAL super_read_only = ON');
}

/**
 * Sets back the recorded values, within RESTORE_SECONDS. super_read_only goes first: in MySQL, setting it ON
 * forces read_only ON and setting read_only OFF forces it OFF, so this order reproduces every valid combination.
 */
export async function restoreWrites(connection: Connection, previous: ReadOnlySettings): Promise<ReadOnlySettings> {
  for (const value of [previous.readOnly, previous.superReadOnly]) {
    if (value !== undefined && !SETTING_VALUE.test(value)) throw new WriteFreezeFailed(`Refusing to restore an unexpected setting value "${value}"`);
  }
  const statements = statementsEndingBy(connection, Date.now() + RESTORE_SECONDS * 1000);
  if (previous.superReadOnly !== undefined) await statements.query(`SET GLOBAL super_read_only = ${previous.superReadOnly}`);
  await statements.query(`SET GLOBAL read_only = ${previous.readOnly}`);
  return readReadOnlySettings(statements);
}
