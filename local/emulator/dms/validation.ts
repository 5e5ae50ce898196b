import type { Connection } from 'mysql2/promise';
import { TABLE_STATES, VALIDATION_STATES } from '../../../functions/shared/dms';
import { alterOneRow, compareTable, findRowKey, type SourceTable } from './table-copy';
import { isFaultTable, type TaskProgress } from './replication-run';

/**
 * DMS data validation, table by table after the load: rows compared by key on both sides. Tables without a
 * primary key or unique index cannot be validated ("No primary key"), as DMS documents.
 */
export async function validateTables(task: TaskProgress, source: Connection, target: Connection, tables: SourceTable[]): Promise<void> {
  for (const index of tables.keys()) {
    if (task.tableStatistics(index).TableState !== TABLE_STATES.completed) continue;
    task.updateTable(index, { ValidationState: VALIDATION_STATES.pendingRecords, ValidationPendingRecords: task.tableStatistics(index).FullLoadRows ?? 0 });
  }
  for (const [index, table] of tables.entries()) {
    if (task.stopRequested) return;
    if (task.tableStatistics(index).TableState !== TABLE_STATES.completed) continue;
    const key = await findRowKey(source, table);
    if (!key) {
      task.updateTable(index, { ValidationState: VALIDATION_STATES.noPrimaryKey, ValidationPendingRecords: 0 });
      continue;
    }
    if (isFaultTable(task.faults.alterTargetRow, table)) await alterOneRow(target, table, key);
    const mismatched = await compareTable(source, target, table, key, task.batchRows);
    task.updateTable(index, {
      ValidationState: mismatched > 0 ? VALIDATION_STATES.mismatchedRecords : VALIDATION_STATES.validated,
      ValidationFailedRecords: mismatched,
      ValidationPendingRecords: 0,
      LastUpdateTime: new Date(),
    });
  }
}
