import type { Connection } from 'mysql2/promise';
import { TABLE_STATES, VALIDATION_STATES } from '../../../functions/shared/dms';
import { deleteRows, findRowKey, recreateTable, rowsByKey, selectedTables, tableChecksum, upsertRows, type SourceTable } from './table-copy';
import { newTableStatistics, type TaskProgress } from './task';

/**
 * Ongoing replication (CDC) as the emulator does it. Deliberately not binlog-based: changes are found by
 * comparing the source with what was last replicated, about once a second, so changes made during the load
 * itself are not replayed, and tables without a key are not replicated.
 */

/** A table's keyed rows as replication last saw them: where the next round of change capture compares from. */
export interface CapturedTable {
  table: SourceTable;
  key: string[];
  rows: Map<string, unknown[]>;
}

/** The rows each completed, keyed table holds in `schemaOf` on this server: the target after the load, or a CDC-only task's source. */
export async function capturedRows(task: TaskProgress, connection: Connection, tables: SourceTable[], schemaOf: (table: SourceTable) => string): Promise<CapturedTable[]> {
  const captured: CapturedTable[] = [];
  for (const [index, table] of tables.entries()) {
    if (task.tableStatistics(index).TableState !== TABLE_STATES.completed) continue;
    const key = await findRowKey(connection, { schema: schemaOf(table), table: table.table });
    if (key) captured.push({ table, key, rows: await rowsByKey(connection, { ...table, schema: schemaOf(table) }, key) });
  }
  return captured;
}

/**
 * Ongoing replication until the task stops: source changes (inserts, updates, deletes by key) are applied to
 * the target and counted in the table statistics, as DMS's CDC does; changes made on the target alone are
 * left as they are. A table the selection rules match that appears on the source is created on the target.
 */
export async function replicateChanges(task: TaskProgress, source: Connection, target: Connection, tables: SourceTable[], capturedFrom: CapturedTable[]): Promise<void> {
  // An empty checksum makes the first round compare each table with what was captured.
  type Replicated = CapturedTable & { checksum: string };
  const replicated = new Map<string, Replicated>();
  const known = new Set(tables.map((table) => `${table.schema}.${table.table}`));
  for (const { table, key, rows } of capturedFrom) replicated.set(`${table.schema}.${table.table}`, { table, key, checksum: '', rows });
  while (!task.stopRequested && task.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, CDC_POLL_MILLIS));
    for (const table of await selectedTables(source, task.definition.tableMappings)) {
      if (known.has(`${table.schema}.${table.table}`)) continue;
      // DMS replicates a CREATE TABLE for a table its selection rules match.
      known.add(`${table.schema}.${table.table}`);
      await recreateTable(source, target, table);
      const key = await findRowKey(source, table);
      if (key) replicated.set(`${table.schema}.${table.table}`, { table, key, checksum: '', rows: new Map() });
      // Validation checks CDC changes as they are applied: the emulator applies exactly the source's rows.
      const { validationEnabled } = task.definition;
      const validationState = !validationEnabled ? VALIDATION_STATES.notEnabled : key ? VALIDATION_STATES.validated : VALIDATION_STATES.noPrimaryKey;
      task.addTable({ ...newTableStatistics(table, validationEnabled), TableState: TABLE_STATES.completed, ValidationState: validationState });
    }
    for (const entry of replicated.values()) {
      if (task.stopRequested) return;
      const checksum = await tableChecksum(source, entry.table.schema, entry.table);
      if (checksum === entry.checksum) continue;
      const rows = await rowsByKey(source, entry.table, entry.key);
      const changed = [...rows].filter(([key, row]) => JSON.stringify(entry.rows.get(key)) !== JSON.stringify(row));
      const deleted = [...entry.rows.keys()].filter((key) => !rows.has(key));
      await upsertRows(target, entry.table, changed.map(([, row]) => row));
      await deleteRows(target, entry.table, entry.key, deleted.map((key) => JSON.parse(key) as unknown[]));
      const inserts = changed.filter(([key]) => !entry.rows.has(key)).length;
      task.countChanges(entry.table, { Inserts: inserts, Updates: changed.length - inserts, Deletes: deleted.length });
      Object.assign(entry, { checksum, rows });
    }
  }
}

/** How often ongoing replication looks for source changes. */
const CDC_POLL_MILLIS = 1_000;
