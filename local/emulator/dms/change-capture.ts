import type { Connection, RowDataPacket } from 'mysql2/promise';
import { connectMysql, type DatabaseCredentials } from '../../../functions/shared/mysql';
import { TABLE_STATES, VALIDATION_STATES } from '../../../functions/shared/dms';
import { BinlogReader, type BinlogPosition, type RowChange, type RowImage, type SourceStatement, type SourceTransaction } from './binlog-stream';
import { findRowKey, identifier, qualified, recreateTable, selectedTables, type SourceTable } from './table-copy';
import { newTableStatistics, type TaskProgress } from './replication-run';

/**
 * Ongoing replication (CDC) as DMS does it for a MySQL source: the source's binary log is read from a position
 * (where the full load's snapshot ended, or a CDC-only task's CdcStartPosition) and each source transaction is
 * applied to the target as one target transaction, in commit order: inserts, updates and deletes, on tables
 * with or without a key. Changes made on the target alone are left as they are.
 *
 * Rows are found on the target by their key (primary key, else a unique index over NOT NULL columns); a table
 * without one is matched on every column of the row's before-image, one row at a time, as DMS does for tables
 * without a primary key. An insert whose key is already on the target replaces that row: the emulator
 * converges on the source where DMS's default (ApplyErrorInsertPolicy LOG_ERROR) would log the error.
 *
 * DDL as DMS documents it for a MySQL source (CHAP_Source.MySQL, limitations): CREATE TABLE for a table the
 * selection rules match creates it on the target; ADD COLUMN adds the column at the end of the target table
 * (DMS does not honour FIRST/AFTER); DROP COLUMN drops it. DROP TABLE, RENAME TABLE, TRUNCATE and changes to
 * other column attributes (default, nullability, character set, type) are not replicated. Like DMS, a DDL is
 * applied from what the source holds when the statement is read: quick DDL > DML > DDL sequences can be
 * applied out of step, which DMS also warns about.
 */
export interface ChangeCaptureEndpoints {
  source: DatabaseCredentials;
  target: DatabaseCredentials;
}

/** Replicates from `from` until the task stops; throws (failing the task) when reading or applying fails. */
export async function replicateChanges(task: TaskProgress, endpoints: ChangeCaptureEndpoints, tables: SourceTable[], from: BinlogPosition): Promise<void> {
  const source = await connectMysql(endpoints.source, 'source');
  const target = await connectMysql(endpoints.target, 'target');
  const reader = new BinlogReader(endpoints.source, from);
  const applier = new ChangeApplier(task, source, target, tables);
  task.captureStarted(from, () => reader.idle);
  const stopWatch = setInterval(() => task.stopRequested && reader.stop(), STOP_CHECK_MILLIS);
  try {
    for await (const change of reader.changes()) {
      const replicated = change.kind === 'statement' ? await applier.applyStatement(change) : await applier.applyTransaction(change);
      task.changeApplied(change, replicated);
      if (task.stopRequested) break;
    }
  } finally {
    clearInterval(stopWatch);
    reader.stop();
    await source.end().catch(() => undefined);
    await target.end().catch(() => undefined);
  }
}

type Counts = { Inserts: number; Updates: number; Deletes: number };

class ChangeApplier {
  /** The replicated tables by source `schema.table`, with the columns that identify their rows (none: keyless). */
  private readonly replicated = new Map<string, { table: SourceTable; key?: string[] }>();

  constructor(
    private readonly task: TaskProgress,
    private readonly source: Connection,
    private readonly target: Connection,
    tables: SourceTable[],
  ) {
    for (const table of tables) this.replicated.set(nameOf(table), { table });
  }

  /** False when the transaction changed no replicated table. */
  async applyTransaction(transaction: SourceTransaction): Promise<boolean> {
    const changes = transaction.changes.filter((change) => this.replicated.has(`${change.schema}.${change.table}`));
    if (changes.length === 0) return false;
    // A lagging replication instance (the rehearsal's --cdc-latency): apply no earlier than commit + lag.
    const due = transaction.committedAt + this.task.cdcLagMillis;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const counts = new Map<string, Counts>();
    await this.target.beginTransaction();
    try {
      for (const change of changes) {
        const entry = this.replicated.get(`${change.schema}.${change.table}`)!;
        entry.key ??= (await findRowKey(this.source, entry.table)) ?? [];
        await this.applyRow(entry.table, entry.key, change);
        const count = counts.get(nameOf(entry.table)) ?? { Inserts: 0, Updates: 0, Deletes: 0 };
        count[change.kind === 'insert' ? 'Inserts' : change.kind === 'update' ? 'Updates' : 'Deletes'] += 1;
        counts.set(nameOf(entry.table), count);
      }
      await this.target.commit();
    } catch (error) {
      await this.target.rollback().catch(() => undefined);
      throw new Error(`Failed to apply a source transaction (ending at ${transaction.end.file}:${transaction.end.position}) to the target: ${(error as Error).message}`);
    }
    for (const [name, count] of counts) this.task.countChanges(this.replicated.get(name)!.table, count);
    return true;
  }

  private async applyRow(table: SourceTable, key: string[], change: RowChange): Promise<void> {
    const into = qualified(table.targetSchema, table.table);
    if (change.kind === 'insert') {
      const columns = Object.keys(change.after);
      const upsert = key.length > 0 ? ` ON DUPLICATE KEY UPDATE ${columns.map((column) => `${identifier(column)} = VALUES(${identifier(column)})`).join(', ')}` : '';
      await this.target.query(`INSERT INTO ${into} (${columns.map(identifier).join(', ')}) VALUES (?)${upsert}`, [Object.values(change.after)]);
      return;
    }
    const where = rowMatch(key, change.before);
    if (change.kind === 'update') {
      const columns = Object.keys(change.after);
      await this.target.query(`UPDATE ${into} SET ${columns.map((column) => `${identifier(column)} = ?`).join(', ')} WHERE ${where.sql} LIMIT 1`, [...Object.values(change.after), ...where.values]);
      return;
    }
    await this.target.query(`DELETE FROM ${into} WHERE ${where.sql} LIMIT 1`, where.values);
  }

  /** False for a statement DMS does not replicate (anything but CREATE TABLE and ALTER TABLE). */
  async applyStatement(statement: SourceStatement): Promise<boolean> {
    if (!/^\s*(CREATE|ALTER)\s+(ONLINE\s+|IGNORE\s+)*TABLE\b/i.test(statement.statement)) return false;
    for (const table of await selectedTables(this.source, this.task.definition.tableMappings)) {
      const entry = this.replicated.get(nameOf(table));
      if (!entry) {
        await this.createTable(table);
        continue;
      }
      if (!statement.statement.includes(table.table)) continue;
      if (await this.alignColumns(table)) {
        this.replicated.set(nameOf(table), { table });
        this.task.countDdl(table);
      }
    }
    return true;
  }

  /** DMS replicates a CREATE TABLE for a table its selection rules match. */
  private async createTable(table: SourceTable): Promise<void> {
    await recreateTable(this.source, this.target, table);
    this.replicated.set(nameOf(table), { table });
    // Validation checks CDC changes as they are applied: the emulator applies exactly the source's rows.
    const { validationEnabled } = this.task.definition;
    const key = await findRowKey(this.source, table);
    const validationState = !validationEnabled ? VALIDATION_STATES.notEnabled : key ? VALIDATION_STATES.validated : VALIDATION_STATES.noPrimaryKey;
    this.task.addTable({ ...newTableStatistics(table, validationEnabled), TableState: TABLE_STATES.completed, ValidationState: validationState, Ddls: 1 });
  }

  /** ADD COLUMN (appended, as DMS does) and DROP COLUMN; true when the target table changed. */
  private async alignColumns(table: SourceTable): Promise<boolean> {
    const [[definition]] = await this.source.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualified(table.schema, table.table)}`);
    const sourceColumns = new Map<string, string>();
    for (const line of String(definition['Create Table']).split('\n')) {
      const column = /^\s+`((?:[^`]|``)+)`\s+(.*?),?$/.exec(line);
      if (column) sourceColumns.set(column[1].replace(/``/g, '`'), column[2]);
    }
    const [targetRows] = await this.target.query<RowDataPacket[]>('SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [table.targetSchema, table.table]);
    const targetColumns = new Set(targetRows.map((row) => String(row.name)));
    const changes = [
      ...[...sourceColumns].filter(([name]) => !targetColumns.has(name)).map(([name, type]) => `ADD COLUMN ${identifier(name)} ${type}`),
      ...[...targetColumns].filter((name) => !sourceColumns.has(name)).map((name) => `DROP COLUMN ${identifier(name)}`),
    ];
    if (changes.length > 0) await this.target.query(`ALTER TABLE ${qualified(table.targetSchema, table.table)} ${changes.join(', ')}`);
    return changes.length > 0;
  }
}

/** The target row a change is about: by key, or (keyless) by every column of the before-image, NULL-safe. */
function rowMatch(key: string[], before: RowImage): { sql: string; values: unknown[] } {
  const columns = key.length > 0 ? key : Object.keys(before);
  return { sql: columns.map((column) => `${identifier(column)} <=> ?`).join(' AND '), values: columns.map((column) => before[column]) };
}

function nameOf(table: Pick<SourceTable, 'schema' | 'table'>): string {
  return `${table.schema}.${table.table}`;
}

/** How often a running capture looks whether StopReplicationTask asked it to end. */
const STOP_CHECK_MILLIS = 100;
