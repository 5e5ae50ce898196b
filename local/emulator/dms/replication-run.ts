import type { Connection } from 'mysql2/promise';
import type { ReplicationTaskStats, TableStatistics } from '@aws-sdk/client-database-migration-service';
import { connectMysql, type DatabaseCredentials } from '../../../functions/shared/mysql';
import { TABLE_STATES, VALIDATION_STATES } from '../../../functions/shared/dms';
import { beginConsistentSnapshot, currentBinlogPosition, parseBinlogPosition, type BinlogPosition, type CapturedChange } from './binlog-stream';
import { CaptureProgress, type CaptureSummary, type LatencyMetric } from './capture-progress';
import { replicateChanges } from './change-capture';
import type { DmsFaults, DmsMigrationType, DmsReplicationDefinition } from './definitions';
import { loadTables } from './full-load';
import { selectedTables, type SourceTable } from './table-copy';
import { validateTables } from './validation';

/**
 * What a DMS replication does to the data, whichever engine runs it: a replication task on an instance
 * (`task.ts`) or a DMS Serverless replication (`replication.ts`). Both report the same statistics
 * (ReplicationTaskStats and ReplicationStats share their fields; TableStatistics is the type of both
 * DescribeTableStatistics and DescribeReplicationTableStatistics) and move data the same way: a full load from
 * one consistent snapshot, validation, then change capture from where the snapshot ends in the binlog (or, for
 * a CDC-only replication, from its CdcStartPosition).
 *
 * The engine owns the statuses and events; the run tells it, through `RunLifecycle`, the moments that change
 * them.
 */
export interface RunLifecycle {
  /** The replication is moving data: the load begins, or a CDC-only replication's capture is connected. */
  running(): void;
  /** A full-load replication has loaded every table (DMS: Stop Reason FULL_LOAD_ONLY_FINISHED). */
  fullLoadOnlyFinished(): void;
  /** The run failed: DMS marks the replication failed with this message. */
  failed(message: string): void;
  /** A table failed to load: the replication keeps running, with the failure as its last message. */
  tableFailed(message: string): void;
}

export interface ReplicationRunOptions {
  definition: DmsReplicationDefinition;
  faults: DmsFaults;
  /** Rows per batch (DMS's CommitRate). */
  batchRows: number;
  /** How far behind the source change capture stays (a lagging replication); 0 applies at once. */
  cdcLagMillis: number;
  /** The credentials of an endpoint, from its Secrets Manager secret. */
  credentialsOf(endpointArn: string): DatabaseCredentials;
}

/** The statistics both engines report (ReplicationTaskStats; ReplicationStats has the same fields). */
export type RunStats = ReplicationTaskStats;

/** What the phase modules read and change on the replication they run for. */
export interface TaskProgress {
  readonly definition: Pick<DmsReplicationDefinition, 'tableMappings' | 'validationEnabled'>;
  readonly faults: DmsFaults;
  readonly batchRows: number;
  /** A stop was asked for (StopReplicationTask, StopReplication, or the emulator shutting down). */
  readonly stopRequested: boolean;
  tableStatistics(index: number): TableStatistics;
  updateTable(index: number, fields: Partial<TableStatistics>): void;
  /** A table that appeared during ongoing replication. */
  addTable(statistics: TableStatistics): void;
  countChanges(table: SourceTable, changes: { Inserts: number; Updates: number; Deletes: number }): void;
  /** A replicated DDL changed this table on the target. */
  countDdl(table: SourceTable): void;
  readonly cdcLagMillis: number;
  /** Change capture reads the binlog from `from`; `readerIdle` says whether it has nothing waiting to apply. */
  captureStarted(from: BinlogPosition, readerIdle: () => boolean): void;
  changeApplied(change: CapturedChange, replicated: boolean): void;
  updateStats(fields: RunStats): void;
  /** The counts of tables by state, as the replication's statistics report them. */
  tableCounts(): Pick<RunStats, 'TablesLoaded' | 'TablesLoading' | 'TablesQueued' | 'TablesErrored'>;
  /** A table failed to load: the replication keeps running, with the failure as its last message. */
  tableFailed(message: string): void;
}

export class ReplicationRun implements TaskProgress {
  private tables: TableStatistics[] = [];
  private stats: RunStats = {};
  private loading?: Promise<void>;
  private stopping = false;
  private runStartedAt = 0;
  private readonly capture = new CaptureProgress();

  constructor(
    private readonly options: ReplicationRunOptions,
    private readonly lifecycle: RunLifecycle,
  ) {}

  get definition(): DmsReplicationDefinition {
    return this.options.definition;
  }

  get faults(): DmsFaults {
    return this.options.faults;
  }

  get batchRows(): number {
    return this.options.batchRows;
  }

  get cdcLagMillis(): number {
    return this.options.cdcLagMillis;
  }

  get stopRequested(): boolean {
    return this.stopping;
  }

  /** The statistics as the engine's Describe call reports them. */
  describeStats(): RunStats {
    return structuredClone(this.stats);
  }

  describeTables(): TableStatistics[] {
    return structuredClone(this.tables);
  }

  /** Where change capture is in the source's binlog and how many source transactions it applied. */
  describeCapture(): CaptureSummary | undefined {
    return this.capture.summary();
  }

  /** CloudWatch's AWS/DMS CDC latency datapoints for this replication, measured from the binlog events' timestamps. */
  latencyDatapoints(metric: LatencyMetric, start: number, end: number, periodMillis: number) {
    return this.capture.datapoints(metric, start, end, periodMillis);
  }

  /**
   * Begins a run: `fullLoad` loads every table again (a first start or a reload); otherwise a resumed
   * replication keeps its statistics. `replicate` false: nothing to do beyond being marked running (a resumed
   * full-load-and-cdc run whose load had ended keeps no capture position in the emulator).
   */
  begin(fullLoad: boolean, replicate: boolean, cdcStartPosition: string | undefined, beforeRun: () => Promise<void> = tick): void {
    const now = new Date();
    this.stats = {
      ...(fullLoad ? { FullLoadProgressPercent: 0, TablesLoaded: 0, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 } : this.stats),
      ElapsedTimeMillis: 0,
      StartDate: now,
      FreshStartDate: fullLoad ? now : this.stats.FreshStartDate,
      StopDate: undefined,
    };
    this.stopping = false;
    this.loading = beforeRun().then(() => this.run(replicate, cdcStartPosition));
  }

  /** Asks the run to end after its current batch; resolves once it has. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loading;
  }

  /** The run ended (stopped, finished or failed): its statistics carry the stop date. */
  markStopped(): void {
    this.stats = { ...this.stats, StopDate: new Date() };
  }

  /** Ends a running load, validation or capture after its current batch, as the emulator shuts down. */
  halt(): void {
    this.stopping = true;
  }

  /** Resolves once the running full load, validation or replication (if any) has finished. */
  async settled(): Promise<void> {
    await this.loading;
  }

  private get migrationType(): DmsMigrationType {
    return this.definition.migrationType;
  }

  private async run(replicate: boolean, cdcStartPosition: string | undefined): Promise<void> {
    const cdcOnly = this.migrationType === 'cdc';
    if (!cdcOnly) this.lifecycle.running();
    if (!replicate || this.stopping) return;
    this.runStartedAt = Date.now();
    let source: Connection | undefined;
    let target: Connection | undefined;
    try {
      const endpoints = { source: this.options.credentialsOf(this.definition.sourceEndpointArn), target: this.options.credentialsOf(this.definition.targetEndpointArn) };
      source = await connectMysql(endpoints.source, 'source');
      target = await connectMysql(endpoints.target, 'target');
      if (cdcOnly) {
        // DMS starts a CDC-only replication at its CdcStartPosition, or at the source's current position without one.
        const tables = await selectedTables(source, this.definition.tableMappings);
        const from = cdcStartPosition ? parseBinlogPosition(cdcStartPosition) : await currentBinlogPosition(source);
        if (!from) throw new Error(BINLOG_OFF);
        this.tables = tables.map((table) => ({ ...newTableStatistics(table, false), TableState: TABLE_STATES.completed }));
        this.lifecycle.running();
        await replicateChanges(this, endpoints, tables, from);
        return;
      }
      // The load reads one consistent snapshot of the source; ongoing replication starts exactly where it
      // ends in the binlog, so a change is either in the copy or replayed after it, never both or neither.
      const snapshotEnd = await beginConsistentSnapshot(source);
      if (!snapshotEnd && this.migrationType === 'full-load-and-cdc') throw new Error(BINLOG_OFF);
      const tables = await selectedTables(source, this.definition.tableMappings);
      this.tables = tables.map((table) => newTableStatistics(table, this.definition.validationEnabled));
      const loaded = await loadTables(this, source, target, tables);
      await source.query('COMMIT');
      if (!loaded) return;
      if (this.migrationType === 'full-load') {
        this.markStopped();
        this.lifecycle.fullLoadOnlyFinished();
      }
      // A full-load-and-cdc replication stays running into ongoing replication, and DMS announces nothing here.
      if (this.definition.validationEnabled) await validateTables(this, source, target, tables);
      if (snapshotEnd && this.migrationType === 'full-load-and-cdc') await replicateChanges(this, endpoints, tables, snapshotEnd);
    } catch (error) {
      this.lifecycle.failed((error as Error).message);
    } finally {
      await source?.end().catch(() => undefined);
      await target?.end().catch(() => undefined);
    }
  }

  captureStarted(from: BinlogPosition, readerIdle: () => boolean): void {
    this.capture.started(from, readerIdle);
  }

  changeApplied(change: CapturedChange, replicated: boolean): void {
    this.capture.changeApplied(change, replicated);
  }

  tableStatistics(index: number): TableStatistics {
    return this.tables[index];
  }

  updateTable(index: number, fields: Partial<TableStatistics>): void {
    this.tables[index] = { ...this.tables[index], ...fields };
  }

  addTable(statistics: TableStatistics): void {
    this.tables.push(statistics);
  }

  countChanges(table: SourceTable, changes: { Inserts: number; Updates: number; Deletes: number }): void {
    const index = this.tables.findIndex((statistics) => statistics.SchemaName === table.targetSchema && statistics.TableName === table.table);
    if (index < 0) return;
    const current = this.tables[index];
    this.updateTable(index, {
      Inserts: (current.Inserts ?? 0) + changes.Inserts,
      Updates: (current.Updates ?? 0) + changes.Updates,
      Deletes: (current.Deletes ?? 0) + changes.Deletes,
      LastUpdateTime: new Date(),
    });
  }

  countDdl(table: SourceTable): void {
    const index = this.tables.findIndex((statistics) => statistics.SchemaName === table.targetSchema && statistics.TableName === table.table);
    if (index >= 0) this.updateTable(index, { Ddls: (this.tables[index].Ddls ?? 0) + 1, LastUpdateTime: new Date() });
  }

  updateStats(fields: RunStats): void {
    this.stats = { ...this.stats, ...fields, ElapsedTimeMillis: Date.now() - this.runStartedAt };
  }

  tableCounts() {
    const count = (state: string) => this.tables.filter((table) => table.TableState === state).length;
    return {
      TablesLoaded: count(TABLE_STATES.completed),
      TablesLoading: count(TABLE_STATES.fullLoad),
      TablesQueued: count(TABLE_STATES.beforeLoad),
      TablesErrored: count(TABLE_STATES.error),
    };
  }

  tableFailed(message: string): void {
    this.lifecycle.tableFailed(message);
  }
}

/** A selected table's statistics before its load (or, for a table that appears later, before its first change). */
export function newTableStatistics(table: SourceTable, validationEnabled: boolean): TableStatistics {
  return {
    SchemaName: table.targetSchema,
    TableName: table.table,
    Inserts: 0,
    Deletes: 0,
    Updates: 0,
    Ddls: 0,
    FullLoadRows: 0,
    FullLoadCondtnlChkFailedRows: 0,
    FullLoadErrorRows: 0,
    FullLoadReloaded: false,
    LastUpdateTime: new Date(),
    TableState: TABLE_STATES.beforeLoad,
    ValidationPendingRecords: 0,
    ValidationFailedRecords: 0,
    ValidationSuspendedRecords: 0,
    ValidationState: validationEnabled ? VALIDATION_STATES.pendingValidation : VALIDATION_STATES.notEnabled,
  };
}

/** Whether a fault names this table, by name or schema.name. */
export function isFaultTable(name: string | undefined, table: SourceTable): boolean {
  return name !== undefined && (name === table.table || name === `${table.schema}.${table.table}`);
}

const BINLOG_OFF = 'The source keeps no binary log (log_bin is OFF): ongoing replication (CDC) reads changes from the binary log. Start the source with log-bin, binlog_format=ROW and a server-id.';

/** A moment between the start call's answer and the run, so that callers see "starting" first. */
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 100));
