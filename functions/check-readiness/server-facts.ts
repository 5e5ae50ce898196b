import type { Connection, RowDataPacket } from 'mysql2/promise';
import { escapeId } from 'mysql2';
import type { LobColumn, SourceFacts, TargetFacts } from './readiness-checks';

/**
 * Reads what the readiness checks decide on, with bounded cost: server variables, SHOW GRANTS, and
 * information_schema. The only data read is for LOB sizes: MAX(LENGTH()) over a whole table when its
 * estimated row count is at most `lobScanRows`, otherwise over the first `lobScanRows` rows in key order, a
 * sample, so a billion-row table costs the same as a small one. The sample can miss the largest value;
 * the check says so, and the exact figure would need a full scan of every LOB table.
 */
export interface FactSettings {
  schemas: string[];
  lobScanRows: number;
}

async function rows(connection: Connection, sql: string, values?: unknown[]): Promise<RowDataPacket[]> {
  const [result] = await connection.query<RowDataPacket[]>(sql, values);
  return result;
}

async function variables(connection: Connection, names: string[]): Promise<Map<string, string>> {
  const found = await rows(connection, `SHOW GLOBAL VARIABLES WHERE Variable_name IN (?)`, [names]);
  return new Map(found.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
}

async function grants(connection: Connection): Promise<string[]> {
  return (await rows(connection, 'SHOW GRANTS')).map((row) => String(Object.values(row)[0]));
}

async function collations(connection: Connection, schemas: string[]): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const row of await rows(connection, 'SELECT SCHEMA_NAME AS name, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)', [schemas])) {
    result[String(row.name)] = String(row.collation);
  }
  const columns = await rows(
    connection,
    `SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME, '.', COLUMN_NAME) AS name, COLLATION_NAME AS collation FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA IN (?) AND COLLATION_NAME IS NOT NULL`,
    [schemas],
  );
  for (const row of columns) result[String(row.name)] = String(row.collation);
  return result;
}

/**
 * Binary log retention, in the order the servers apply it: RDS's `binlog retention hours` (when the RDS
 * procedure exists; NULL there means purge as soon as possible), else MySQL 8 / MariaDB 10.6+
 * binlog_expire_logs_seconds, else expire_logs_days; 0 in the last two means never purged automatically.
 */
async function binlogRetention(connection: Connection, settings: Map<string, string>): Promise<Pick<SourceFacts, 'binlogRetentionSeconds' | 'binlogRetentionSetting'>> {
  const rds = await rows(connection, "SELECT 1 FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'mysql' AND ROUTINE_NAME = 'rds_show_configuration'");
  if (rds.length > 0) {
    const [configuration] = (await connection.query('CALL mysql.rds_show_configuration')) as unknown as [RowDataPacket[][]];
    const hours = configuration[0]?.find((row) => String(row.name) === 'binlog retention hours')?.value;
    return { binlogRetentionSeconds: hours === null || hours === undefined ? 0 : Number(hours) * 3600, binlogRetentionSetting: 'RDS binlog retention hours' };
  }
  const seconds = Number(settings.get('binlog_expire_logs_seconds') ?? 0);
  if (seconds > 0) return { binlogRetentionSeconds: seconds, binlogRetentionSetting: 'binlog_expire_logs_seconds' };
  const days = Number(settings.get('expire_logs_days') ?? 0);
  return { binlogRetentionSeconds: days > 0 ? Math.round(days * 86400) : null, binlogRetentionSetting: 'expire_logs_days' };
}

async function lobColumns(connection: Connection, schemas: string[], lobScanRows: number, estimatedRows: Map<string, number>): Promise<LobColumn[]> {
  const columns = await rows(
    connection,
    `SELECT TABLE_SCHEMA AS schemaName, TABLE_NAME AS tableName, COLUMN_NAME AS columnName, DATA_TYPE AS dataType FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA IN (?) AND DATA_TYPE IN ('tinytext', 'text', 'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'json')
      ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    [schemas],
  );
  const result: LobColumn[] = [];
  for (const column of columns) {
    const table = `${column.schemaName}.${column.tableName}`;
    const sampled = (estimatedRows.get(table) ?? 0) > lobScanRows;
    const source = `${escapeId(String(column.schemaName))}.${escapeId(String(column.tableName))}`;
    const [largest] = await rows(
      connection,
      `SELECT MAX(LENGTH(${escapeId(String(column.columnName))})) AS largest FROM ${sampled ? `(SELECT ${escapeId(String(column.columnName))} FROM ${source} LIMIT ${lobScanRows}) AS sample` : source}`,
    );
    result.push({ table, column: String(column.columnName), dataType: String(column.dataType), largestBytes: largest.largest === null ? null : Number(largest.largest), sampled });
  }
  return result;
}

// information_schema.STATISTICS rather than TABLE_CONSTRAINTS: MariaDB hides constraints from a user with only
// SELECT on the schema, which is exactly what a least-privilege DMS user has.
export async function readSourceFacts(connection: Connection, settings: FactSettings): Promise<SourceFacts> {
  const serverSettings = await variables(connection, ['log_bin', 'binlog_format', 'binlog_row_image', 'server_id', 'binlog_expire_logs_seconds', 'expire_logs_days']);
  const tables = await rows(
    connection,
    `SELECT CONCAT(t.TABLE_SCHEMA, '.', t.TABLE_NAME) AS name, COALESCE(t.TABLE_ROWS, 0) AS estimatedRows, COALESCE(t.DATA_LENGTH, 0) AS dataBytes,
            EXISTS (SELECT 1 FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME
                     AND s.NON_UNIQUE = 0) AS hasKey
       FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA IN (?) AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY name`,
    [settings.schemas],
  );
  const estimatedRows = new Map(tables.map((table) => [String(table.name), Number(table.estimatedRows)]));
  return {
    logBin: ['ON', '1'].includes((serverSettings.get('log_bin') ?? 'OFF').toUpperCase()),
    binlogFormat: serverSettings.get('binlog_format') ?? 'unknown',
    binlogRowImage: serverSettings.get('binlog_row_image') ?? 'FULL',
    serverId: Number(serverSettings.get('server_id') ?? 0),
    ...(await binlogRetention(connection, serverSettings)),
    grants: await grants(connection),
    tables: tables.map((table) => ({ table: String(table.name), estimatedRows: Number(table.estimatedRows), dataBytes: Number(table.dataBytes), hasKey: Number(table.hasKey) === 1 })),
    lobColumns: await lobColumns(connection, settings.schemas, settings.lobScanRows, estimatedRows),
    collations: await collations(connection, settings.schemas),
  };
}

export async function readTargetFacts(connection: Connection, settings: FactSettings): Promise<TargetFacts> {
  const serverSettings = await variables(connection, ['read_only', 'super_read_only', 'innodb_read_only', 'collation_server']);
  const on = (name: string) => ['ON', '1'].includes((serverSettings.get(name) ?? 'OFF').toUpperCase());
  const schemas = await rows(connection, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)', [settings.schemas]);
  return {
    readOnly: on('read_only') || on('super_read_only') || on('innodb_read_only'),
    existingSchemas: schemas.map((row) => String(row.name)),
    grants: await grants(connection),
    defaultCollation: serverSettings.get('collation_server') ?? 'unknown',
    collations: await collations(connection, settings.schemas),
  };
}
