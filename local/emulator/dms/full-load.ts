import type { Connection } from 'mysql2/promise';
import { TABLE_STATES, VALIDATION_STATES } from '../../../functions/shared/dms';
import { copyTable, recreateTable, type SourceTable } from './table-copy';
import { isFaultTable, type TaskProgress } from './replication-run';

/**
 * DMS's full load, one table after another (DMS loads several in parallel; the emulator does not): each table
 * recreated on the target and copied in batches, its statistics and the task's progress updated per batch. A
 * table that fails goes into "Table error" and the load goes on with the next one, as DMS does.
 *
 * Returns false when the task was asked to stop before the load finished.
 */
export async function loadTables(task: TaskProgress, source: Connection, target: Connection, tables: SourceTable[]): Promise<boolean> {
  task.updateStats({ FullLoadStartDate: new Date(), TablesQueued: tables.length });
  const totalRows = tables.reduce((sum, table) => sum + table.estimatedRows, 0) || 1;
  let copiedRows = 0;
  for (const [index, table] of tables.entries()) {
    if (task.stopRequested) return false;
    task.updateTable(index, { TableState: TABLE_STATES.fullLoad, FullLoadStartTime: new Date() });
    task.updateStats(task.tableCounts());
    const erroring = isFaultTable(task.faults.erroredTable, table);
    try {
      await recreateTable(source, target, table);
      await copyTable(source, target, table, task.batchRows, (rows) => {
        copiedRows += rows;
        task.updateTable(index, { FullLoadRows: (task.tableStatistics(index).FullLoadRows ?? 0) + rows, LastUpdateTime: new Date() });
        task.updateStats({ FullLoadProgressPercent: Math.min(99, Math.floor((100 * copiedRows) / totalRows)) });
        if (erroring) throw new Error(`Duplicate entry '1' for key 'PRIMARY' [1062] (injected fault)`);
      });
      task.updateTable(index, { TableState: TABLE_STATES.completed, FullLoadEndTime: new Date() });
    } catch (error) {
      const message = `Failed to load table ${table.targetSchema}.${table.table}: ${(error as Error).message}`;
      task.updateTable(index, { TableState: TABLE_STATES.error, FullLoadErrorRows: 1, FullLoadEndTime: new Date(), ValidationState: VALIDATION_STATES.tableError });
      task.tableFailed(message);
    }
    task.updateStats(task.tableCounts());
  }
  task.updateStats({ FullLoadProgressPercent: 100, FullLoadFinishDate: new Date(), ...task.tableCounts() });
  return true;
}
