import type { Connection, RowDataPacket } from 'mysql2/promise';
import { TaskInUnexpectedState } from '../shared/errors';
import { statementsEndingBy } from '../shared/mysql';

/**
 * How long reading the position may take. It is read at the switch, with the source frozen; the server answers
 * from memory, so a longer wait means it is not answering, and the switch fails before anything is published
 * (the frozen side then gets its writes back).
 */
export const BINLOG_POSITION_SECONDS = 10;

/**
 * The new primary's binlog position, `file:position`: the CdcStartPosition DMS accepts for a MySQL source
 * ("mysql-bin-changelog.000024:373"). MySQL 8.4 removed SHOW MASTER STATUS in favour of SHOW BINARY LOG
 * STATUS, which MariaDB does not know (it has SHOW BINLOG STATUS): the old spelling is tried first.
 */
export async function readBinlogPosition(connection: Connection): Promise<string> {
  const statements = statementsEndingBy(connection, Date.now() + BINLOG_POSITION_SECONDS * 1000);
  let rows: RowDataPacket[];
  try {
    [rows] = await statements.query<RowDataPacket[]>('SHOW MASTER STATUS');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ER_PARSE_ERROR') throw error;
    [rows] = await statements.query<RowDataPacket[]>('SHOW BINARY LOG STATUS');
  }
  const status = rows[0];
  if (!status?.File) {
    throw new TaskInUnexpectedState('The target has no binary log (log_bin is OFF): reverse replication cannot start. On Aurora/RDS set binlog_format in the parameter group.');
  }
  return `${String(status.File)}:${String(status.Position)}`;
}

export async function binlogEnabled(connection: Connection): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT @@GLOBAL.log_bin AS logBin');
  return String(rows[0].logBin) === '1';
}
