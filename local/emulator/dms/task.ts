import type { Connection } from 'mysql2/promise';
import type { ReplicationTask, TableStatistics } from '@aws-sdk/client-database-migration-service';
import { connectMysql, type DatabaseCredentials } from '../../../functions/shared/mysql';
import { STOP_REASONS, TABLE_STATES, VALIDATION_STATES } from '../../../functions/shared/dms';
import { AwsServiceError } from '../protocols';
import { beginConsistentSnapshot, currentBinlogPosition, parseBinlogPosition, type BinlogPosition, type CapturedChange } from './binlog-stream';
import { CaptureProgress, type CaptureSummary, type LatencyMetric } from './capture-progress';
import { replicateChanges } from './change-capture';
import type { DmsFaults, DmsTaskDefinition, DmsTaskEvent } from './definitions';
import { loadTables } from './full-load';
import { selectedTables, type SourceTable } from './table-copy';
import { validateTables } from './validation';

/**
 * One emulated replication task's lifecycle: the statuses DMS moves it through (creating, ready, starting,
 * running, stopping, stopped, failed, deleting), its ReplicationTaskStats and table statistics, and the
 * EventBridge events it sends. What a run does to the data is in the phase modules: full load, validation,
 * change capture.
 */
export interface EmulatedTaskOptions {
  definition: DmsTaskDefinition;
  faults: DmsFaults;
  /** Rows per batch (DMS's CommitRate). */
  batchRows: number;
  /** How far behind the source change capture stays (a lagging replication instance); 0 applies at once. */
  cdcLagMillis: number;
  /** The credentials of an endpoint, from its Secrets Manager secret. */
  credentialsOf(endpointArn: string): DatabaseCredentials;
  onTaskEvent(event: DmsTaskEvent): void;
}

type TaskStats = NonNullable<ReplicationTask['ReplicationTaskStats']>;

/** What the phase modules read and change on the task they run for. */
export interface TaskProgress {
  readonly definition: DmsTaskDefinition;
  readonly faults: DmsFaults;
  readonly batchRows: number;
  /** StopReplicationTask, or the emulator shutting down, asked the task to end. */
  readonly stopRequested: boolean;
  readonly status: ReplicationTask['Status'];
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
  updateStats(fields: TaskStats): void;
  /** The task-level counts of tables by state, as ReplicationTaskStats reports them. */
  tableCounts(): Pick<TaskStats, 'TablesLoaded' | 'TablesLoading' | 'TablesQueued' | 'TablesErrored'>;
  /** A table failed to load: the task keeps running, with the failure as its last message. */
  tableFailed(message: string): void;
}

/** A task that DMS is busy with: it can be neither started nor deleted. */
const BUSY_STATUSES = ['running', 'starting', 'stopping', 'creating', 'deleting'];

export class EmulatedTask implements TaskProgress {
  private task: ReplicationTask;
  private tables: TableStatistics[] = [];
  private loading?: Promise<void>;
  private stopping = false;
  private runStartedAt = 0;
  private readonly capture = new CaptureProgress();

  constructor(private readonly options: EmulatedTaskOptions) {
    const { definition } = options;
    this.task = {
      ReplicationTaskIdentifier: definition.replicationTaskIdentifier,
      ReplicationTaskArn: definition.replicationTaskArn,
      SourceEndpointArn: definition.sourceEndpointArn,
      TargetEndpointArn: definition.targetEndpointArn,
      ReplicationInstanceArn: definition.replicationInstanceArn,
      MigrationType: definition.migrationType,
      TableMappings: JSON.stringify(definition.tableMappings),
      Status: 'ready',
      ReplicationTaskCreationDate: new Date(),
    };
  }

  get definition(): DmsTaskDefinition {
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

  get status(): ReplicationTask['Status'] {
    return this.task.Status;
  }

  /** The task as DescribeReplicationTasks returns it. */
  describe(): ReplicationTask {
    return structuredClone(this.task);
  }

  describeTables(): TableStatistics[] {
    return structuredClone(this.tables);
  }

  /** Where change capture is in the source's binlog and how many source transactions it applied. */
  describeCapture(): CaptureSummary | undefined {
    return this.capture.summary();
  }

  /** CloudWatch's AWS/DMS CDC latency datapoints for this task, measured from the binlog events' timestamps. */
  latencyDatapoints(metric: LatencyMetric, start: number, end: number, periodMillis: number) {
    return this.capture.datapoints(metric, start, end, periodMillis);
  }

  captureStarted(from: BinlogPosition, readerIdle: () => boolean): void {
    this.capture.started(from, readerIdle);
  }

  changeApplied(change: CapturedChange, replicated: boolean): void {
    this.capture.changeApplied(change, replicated);
  }

  /** DMS answers "creating" at once and makes the task "ready" a little later (minutes on AWS). */
  beginCreation(): void {
    this.task = { ...this.task, Status: 'creating' };
    setTimeout(() => {
      this.task = { ...this.task, Status: 'ready' };
    }, TASK_CHANGE_MILLIS);
  }

  /** DMS refuses to delete a task that runs; the task shows "deleting" until `whenGone` removes it. */
  beginDeletion(whenGone: () => void): void {
    const status = this.task.Status ?? '';
    if (BUSY_STATUSES.includes(status)) throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be deleted, invalid state: ${status}`);
    this.task = { ...this.task, Status: 'deleting' };
    setTimeout(whenGone, TASK_CHANGE_MILLIS);
  }

  /** Ends a running load or validation after its current batch, as the emulator shuts down. */
  halt(): void {
    this.stopping = true;
  }

  /** Resolves once the running full load, validation or replication (if any) has finished. */
  async settled(): Promise<void> {
    await this.loading;
  }

  start(startType: string, cdcStartPosition?: string): { ReplicationTask: ReplicationTask } {
    const status = this.task.Status ?? '';
    if (BUSY_STATUSES.includes(status)) {
      throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be started, invalid state: ${status}`);
    }
    if (startType === 'resume-processing' && status === 'ready') {
      throw new AwsServiceError('InvalidResourceStateFault', 'Replication Task has never been started, it cannot be resumed');
    }
    const now = new Date();
    const cdcOnly = this.definition.migrationType === 'cdc';
    const fullLoad = !cdcOnly && (startType !== 'resume-processing' || this.task.ReplicationTaskStats?.FullLoadProgressPercent !== 100);
    this.task = {
      ...this.task,
      Status: 'starting',
      StopReason: undefined,
      LastFailureMessage: undefined,
      ReplicationTaskStartDate: now,
      ...(cdcStartPosition ? { CdcStartPosition: cdcStartPosition } : {}),
      ReplicationTaskStats: {
        ...(fullLoad ? { FullLoadProgressPercent: 0, TablesLoaded: 0, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 } : this.task.ReplicationTaskStats),
        ElapsedTimeMillis: 0,
        StartDate: now,
        FreshStartDate: fullLoad ? now : this.task.ReplicationTaskStats?.FreshStartDate,
      },
    };
    this.stopping = false;
    const response = { ReplicationTask: this.describe() };
    this.loading = this.run(fullLoad || cdcOnly);
    return response;
  }

  stop(): { ReplicationTask: ReplicationTask } {
    if (this.task.Status !== 'running') {
      throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be stopped, invalid state: ${this.task.Status}`);
    }
    this.stopping = true;
    this.task = { ...this.task, Status: 'stopping' };
    const response = { ReplicationTask: this.describe() };
    setTimeout(() => {
      void Promise.resolve(this.loading).then(() => {
        this.task = { ...this.task, Status: 'stopped', StopReason: STOP_REASONS.normal, ReplicationTaskStats: { ...this.task.ReplicationTaskStats, StopDate: new Date() } };
        this.emit('StateChange', 'REPLICATION_TASK_STOPPED', STOP_REASONS.normal);
      });
    }, 50);
    return response;
  }

  /** `replicate`: a full load (then validation and CDC when the task has them), or a CDC-only task's capture. */
  private async run(replicate: boolean): Promise<void> {
    await tick();
    const cdcOnly = this.definition.migrationType === 'cdc';
    if (!cdcOnly) this.markRunning();
    if (!replicate) return;
    this.runStartedAt = Date.now();
    let source: Connection | undefined;
    let target: Connection | undefined;
    try {
      const endpoints = { source: this.options.credentialsOf(this.definition.sourceEndpointArn), target: this.options.credentialsOf(this.definition.targetEndpointArn) };
      source = await connectMysql(endpoints.source, 'source');
      target = await connectMysql(endpoints.target, 'target');
      if (cdcOnly) {
        // DMS starts a CDC-only task at its CdcStartPosition, or at the source's current position without one.
        const tables = await selectedTables(source, this.definition.tableMappings);
        const from = this.task.CdcStartPosition ? parseBinlogPosition(this.task.CdcStartPosition) : await currentBinlogPosition(source);
        if (!from) throw new Error(BINLOG_OFF);
        this.tables = tables.map((table) => ({ ...newTableStatistics(table, false), TableState: TABLE_STATES.completed }));
        this.markRunning();
        await replicateChanges(this, endpoints, tables, from);
        return;
      }
      // The load reads one consistent snapshot of the source; ongoing replication starts exactly where it
      // ends in the binlog, so a change is either in the copy or replayed after it, never both or neither.
      const snapshotEnd = await beginConsistentSnapshot(source);
      if (!snapshotEnd && this.definition.migrationType === 'full-load-and-cdc') throw new Error(BINLOG_OFF);
      const tables = await selectedTables(source, this.definition.tableMappings);
      this.tables = tables.map((table) => newTableStatistics(table, this.definition.validationEnabled));
      const loaded = await loadTables(this, source, target, tables);
      await source.query('COMMIT');
      if (!loaded) return;
      if (this.definition.migrationType === 'full-load') {
        this.task = { ...this.task, Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished, ReplicationTaskStats: { ...this.task.ReplicationTaskStats, StopDate: new Date() } };
        this.emit('StateChange', 'REPLICATION_TASK_STOPPED', STOP_REASONS.fullLoadOnlyFinished);
      }
      // A full-load-and-cdc task stays running into ongoing replication, and DMS announces nothing here.
      if (this.definition.validationEnabled) await validateTables(this, source, target, tables);
      if (snapshotEnd && this.definition.migrationType === 'full-load-and-cdc') await replicateChanges(this, endpoints, tables, snapshotEnd);
    } catch (error) {
      this.task = { ...this.task, Status: 'failed', StopReason: STOP_REASONS.fatalError, LastFailureMessage: (error as Error).message };
      this.emit('Failure', 'REPLICATION_TASK_FAILED', (error as Error).message);
    } finally {
      await source?.end().catch(() => undefined);
      await target?.end().catch(() => undefined);
    }
  }

  private markRunning(): void {
    this.task = { ...this.task, Status: 'running' };
    this.emit('StateChange', 'REPLICATION_TASK_STARTED', 'Replication task started.');
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

  updateStats(fields: TaskStats): void {
    this.task = { ...this.task, ReplicationTaskStats: { ...this.task.ReplicationTaskStats, ...fields, ElapsedTimeMillis: Date.now() - this.runStartedAt } };
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
    this.task = { ...this.task, LastFailureMessage: message };
    this.emit('Failure', 'REPLICATION_TASK_TABLE_ERROR', message);
  }

  private emit(category: DmsTaskEvent['detail']['category'], eventType: string, detailMessage: string): void {
    // DMS-EVENT-0079 "Replication task has stopped", with the stop reason as the detail message.
    const eventId = eventType === 'REPLICATION_TASK_STOPPED' ? { eventId: 'DMS-EVENT-0079' } : {};
    const [, , , region, account] = this.definition.replicationTaskArn.split(':');
    this.options.onTaskEvent({
      version: '0',
      id: `emulated-${Date.now()}`,
      'detail-type': 'DMS Replication Task State Change',
      source: 'aws.dms',
      account,
      time: new Date().toISOString(),
      region,
      resources: [this.definition.replicationTaskArn],
      detail: { type: 'REPLICATION_TASK', category, eventType, detailMessage, ...eventId },
    });
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

/** How long a created task stays "creating" and a deleted one "deleting". */
const TASK_CHANGE_MILLIS = 200;
const tick = () => new Promise((resolve) => setTimeout(resolve, 100));
