import { randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import type { ReplicationTask, TableStatistics } from '@aws-sdk/client-database-migration-service';
import { connectMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import { STOP_REASONS, TABLE_STATES, VALIDATION_STATES } from '../../functions/shared/dms';
import { AwsServiceError, type JsonService } from './protocols';
import {
  alterOneRow,
  compareTable,
  copyTable,
  deleteRows,
  findRowKey,
  recreateTable,
  rowsByKey,
  selectedTables,
  tableChecksum,
  upsertRows,
  type SourceTable,
} from './table-copy';

/**
 * An emulated DMS that really moves data: endpoints are MySQL databases reached with the credentials in
 * their Secrets Manager secret, `TestConnection` really connects, and `StartReplicationTask` really copies
 * the tables its selection rules name, in batches, updating ReplicationTaskStats and DescribeTableStatistics
 * as it goes, then (when the task validates) compares every row the way DMS data validation does.
 *
 * A full-load-and-cdc task then keeps `running` and replicates what changes on the source (see
 * `replicateChanges`), including tables created there later that its selection rules match.
 *
 * `CreateReplicationTask` adds CDC-only tasks (the way back after a cutover): started with "start-replication"
 * at a CdcStartPosition, such a task replicates its source's changes from the moment it starts, with the same
 * change capture as the migration's own task.
 *
 * Deliberately not emulated: binlog-based capture (changes are found by comparing the source with what was
 * last replicated, about once a second, so changes made during the load itself are not replayed), changes to
 * tables without a key, LOB modes, table settings beyond selection and schema renaming, and parallel table
 * loads (tables load one after another). CDC latency is whatever the rehearsal sets.
 */
export interface DmsEndpointDefinition {
  endpointArn: string;
  endpointIdentifier: string;
  endpointType: 'source' | 'target';
  secretArn: string;
}

export interface DmsTaskDefinition {
  replicationTaskArn: string;
  replicationTaskIdentifier: string;
  migrationType: 'full-load' | 'full-load-and-cdc' | 'cdc';
  sourceEndpointArn: string;
  targetEndpointArn: string;
  replicationInstanceArn: string;
  /** The task's table mappings (selection rules with `%` wildcards). */
  tableMappings: { rules: Array<Record<string, unknown>> };
  /** ValidationSettings.EnableValidation. */
  validationEnabled: boolean;
}

export interface DmsInstanceDefinition {
  replicationInstanceArn: string;
  replicationInstanceIdentifier: string;
}

/** What a rehearsal can make go wrong, to prove the workflow's failure paths end to end. */
export interface DmsFaults {
  /** The connection test of this endpoint fails as DMS reports an unreachable server. */
  failConnection?: 'source' | 'target';
  /** This table (name or schema.name) goes into "Table error" after its first batch. */
  erroredTable?: string;
  /** One row of this target table is changed after the full load, before validation. */
  alterTargetRow?: string;
}

/** An EventBridge event as DMS sends it for a task's state change. */
export interface DmsTaskEvent {
  version: '0';
  id: string;
  'detail-type': 'DMS Replication Task State Change';
  source: 'aws.dms';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { type: 'REPLICATION_TASK'; category: 'StateChange' | 'Failure'; eventType: string; detailMessage: string; eventId?: string };
}

export interface EmulatedDmsOptions {
  endpoints: DmsEndpointDefinition[];
  task: DmsTaskDefinition;
  instance: DmsInstanceDefinition;
  faults: DmsFaults;
  /** Rows per batch (DMS's CommitRate, 10,000 by default). */
  batchRows?: number;
  readCredentials(secretArn: string): DatabaseCredentials;
  onTaskEvent(event: DmsTaskEvent): void;
}

/** A table as the full load left it on the target: where ongoing replication starts from. */
interface LoadedTable {
  table: SourceTable;
  key: string[];
  rows: Map<string, unknown[]>;
}

interface ConnectionRecord {
  EndpointArn: string;
  EndpointIdentifier: string;
  ReplicationInstanceArn: string;
  ReplicationInstanceIdentifier: string;
  Status: 'testing' | 'successful' | 'failed';
  LastFailureMessage?: string;
}

export class EmulatedDms {
  private readonly connections = new Map<string, ConnectionRecord>();
  private task: ReplicationTask;
  private tables: TableStatistics[] = [];
  private loading?: Promise<void>;
  private stopRequested = false;
  private readonly batchRows: number;
  /** Tasks made with CreateReplicationTask, each emulated like the migration's own task, by ARN. */
  private readonly created = new Map<string, EmulatedDms>();

  constructor(private readonly options: EmulatedDmsOptions) {
    const { task } = options;
    this.batchRows = options.batchRows ?? 10_000;
    this.task = {
      ReplicationTaskIdentifier: task.replicationTaskIdentifier,
      ReplicationTaskArn: task.replicationTaskArn,
      SourceEndpointArn: task.sourceEndpointArn,
      TargetEndpointArn: task.targetEndpointArn,
      ReplicationInstanceArn: task.replicationInstanceArn,
      MigrationType: task.migrationType,
      TableMappings: JSON.stringify(task.tableMappings),
      Status: 'ready',
      ReplicationTaskCreationDate: new Date(),
    };
  }

  /** The task as DescribeReplicationTasks returns it. */
  describeTask(): ReplicationTask {
    return structuredClone(this.task);
  }

  /** The migration's own task, then those made with CreateReplicationTask. */
  describeTasks(): ReplicationTask[] {
    return [this.describeTask(), ...[...this.created.values()].map((task) => task.describeTask())];
  }

  describeTables(): TableStatistics[] {
    return structuredClone(this.tables);
  }

  /** Ends a running load or validation after its current batch, as the emulator shuts down. */
  halt(): void {
    this.stopRequested = true;
    for (const task of this.created.values()) task.halt();
  }

  /** Resolves once the running full load and validation (if any) and created tasks' replication have finished. */
  async settled(): Promise<void> {
    await Promise.all([this.loading, ...[...this.created.values()].map((task) => task.loading)]);
  }

  service(): JsonService {
    return {
      protocol: 'json',
      jsonVersion: '1.1',
      targetPrefix: 'AmazonDMSv20160101',
      operations: {
        TestConnection: (input) => this.testConnection(String(input.ReplicationInstanceArn), String(input.EndpointArn)),
        DescribeConnections: (input) => ({ Connections: this.describeConnections(filters(input)) }),
        DescribeReplicationTasks: (input) => {
          const { 'replication-task-arn': arns, 'replication-task-id': identifiers } = filters(input);
          const tasks = this.describeTasks()
            .filter((task) => !arns || arns.includes(String(task.ReplicationTaskArn)))
            .filter((task) => !identifiers || identifiers.includes(String(task.ReplicationTaskIdentifier)));
          if (tasks.length === 0) throw new AwsServiceError('ResourceNotFoundFault', 'No Tasks found matching provided filters');
          return { ReplicationTasks: tasks };
        },
        DescribeTableStatistics: (input) => {
          const arn = String(input.ReplicationTaskArn);
          return { ReplicationTaskArn: arn, TableStatistics: this.taskNamed(arn).describeTables() };
        },
        CreateReplicationTask: (input) => this.createTask(input),
        DeleteReplicationTask: (input) => this.deleteTask(String(input.ReplicationTaskArn)),
        DescribeReplicationInstances: (input) => {
          const arns = filters(input)['replication-instance-arn'];
          const { instance } = this.options;
          if (arns && !arns.includes(instance.replicationInstanceArn)) throw new AwsServiceError('ResourceNotFoundFault', 'No replication instance found matching provided filters');
          return {
            ReplicationInstances: [
              { ReplicationInstanceIdentifier: instance.replicationInstanceIdentifier, ReplicationInstanceArn: instance.replicationInstanceArn, ReplicationInstanceStatus: 'available', ReplicationInstanceClass: 'dms.t3.medium' },
            ],
          };
        },
        StartReplicationTask: (input) => {
          const arn = String(input.ReplicationTaskArn);
          return this.taskNamed(arn).start(arn, String(input.StartReplicationTaskType), input.CdcStartPosition as string | undefined);
        },
        StopReplicationTask: (input) => {
          const arn = String(input.ReplicationTaskArn);
          return this.taskNamed(arn).stop(arn);
        },
      },
    };
  }

  /** The migration's own task or one made with CreateReplicationTask. */
  private taskNamed(arn: string): EmulatedDms {
    const task = arn === this.options.task.replicationTaskArn ? this : this.created.get(arn);
    if (!task) throw new AwsServiceError('ResourceNotFoundFault', `Replication Task ${arn} not found`);
    return task;
  }

  /** DMS answers "creating" at once and makes the task "ready" a little later (minutes on AWS). */
  private createTask(input: Record<string, unknown>) {
    const identifier = String(input.ReplicationTaskIdentifier);
    if (this.options.task.replicationTaskIdentifier === identifier || [...this.created.values()].some((task) => task.options.task.replicationTaskIdentifier === identifier)) {
      throw new AwsServiceError('ResourceAlreadyExistsFault', `Replication Task ${identifier} already exists`);
    }
    const sourceEndpointArn = this.endpoint(String(input.SourceEndpointArn)).endpointArn;
    const targetEndpointArn = this.endpoint(String(input.TargetEndpointArn)).endpointArn;
    if (input.ReplicationInstanceArn !== this.options.instance.replicationInstanceArn) {
      throw new AwsServiceError('ResourceNotFoundFault', `Replication instance ${String(input.ReplicationInstanceArn)} not found`);
    }
    const migrationType = String(input.MigrationType);
    if (migrationType !== 'cdc' && migrationType !== 'full-load' && migrationType !== 'full-load-and-cdc') {
      throw new AwsServiceError('InvalidParameterValueException', `Invalid migration type: ${migrationType}`);
    }
    const [arnPrefix] = this.options.task.replicationTaskArn.split(':task:');
    const replicationTaskArn = `${arnPrefix}:task:${randomBytes(13).toString('hex').toUpperCase()}`;
    const task = new EmulatedDms({
      ...this.options,
      task: {
        replicationTaskArn,
        replicationTaskIdentifier: identifier,
        migrationType,
        sourceEndpointArn,
        targetEndpointArn,
        replicationInstanceArn: this.options.instance.replicationInstanceArn,
        tableMappings: JSON.parse(String(input.TableMappings)) as DmsTaskDefinition['tableMappings'],
        validationEnabled: false,
      },
      faults: {},
      // The stack's EventBridge rule listens to the migration's own task only.
      onTaskEvent: () => undefined,
    });
    task.task = { ...task.task, Status: 'creating' };
    this.created.set(replicationTaskArn, task);
    setTimeout(() => {
      task.task = { ...task.task, Status: 'ready' };
    }, TASK_CHANGE_MILLIS);
    return { ReplicationTask: task.describeTask() };
  }

  /** DMS refuses to delete a task that runs; the task shows "deleting" until it is gone. */
  private deleteTask(arn: string) {
    const task = this.taskNamed(arn);
    if (task === this) throw new AwsServiceError('InvalidParameterValueException', 'The emulator does not delete the migration’s own task');
    const status = task.task.Status;
    if (status === 'running' || status === 'starting' || status === 'stopping' || status === 'creating' || status === 'deleting') {
      throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be deleted, invalid state: ${status}`);
    }
    task.task = { ...task.task, Status: 'deleting' };
    setTimeout(() => this.created.delete(arn), TASK_CHANGE_MILLIS);
    return { ReplicationTask: task.describeTask() };
  }

  private requireTask(arn: string): void {
    if (arn !== this.options.task.replicationTaskArn) throw new AwsServiceError('ResourceNotFoundFault', `Replication Task ${arn} not found`);
  }

  private endpoint(arn: string): DmsEndpointDefinition {
    const endpoint = this.options.endpoints.find((candidate) => candidate.endpointArn === arn);
    if (!endpoint) throw new AwsServiceError('ResourceNotFoundFault', `Endpoint ${arn} not found`);
    return endpoint;
  }

  private testConnection(replicationInstanceArn: string, endpointArn: string) {
    const endpoint = this.endpoint(endpointArn);
    if (replicationInstanceArn !== this.options.instance.replicationInstanceArn) {
      throw new AwsServiceError('ResourceNotFoundFault', `Replication instance ${replicationInstanceArn} not found`);
    }
    const key = `${endpointArn} ${replicationInstanceArn}`;
    if (this.connections.get(key)?.Status === 'testing') throw new AwsServiceError('InvalidResourceStateFault', 'Test connection already in progress');
    const record: ConnectionRecord = {
      EndpointArn: endpointArn,
      EndpointIdentifier: endpoint.endpointIdentifier,
      ReplicationInstanceArn: replicationInstanceArn,
      ReplicationInstanceIdentifier: this.options.instance.replicationInstanceIdentifier,
      Status: 'testing',
    };
    this.connections.set(key, record);
    void this.runConnectionTest(endpoint, record);
    return { Connection: { ...record } };
  }

  private async runConnectionTest(endpoint: DmsEndpointDefinition, record: ConnectionRecord): Promise<void> {
    const credentials = this.options.readCredentials(endpoint.secretArn);
    // DMS takes tens of seconds per test; a short minimum keeps the "testing" state observable.
    await new Promise((resolve) => setTimeout(resolve, CONNECTION_TEST_MILLIS));
    try {
      if (this.options.faults.failConnection === endpoint.endpointType) {
        throw new Error(`Can't connect to MySQL server on '${credentials.host}' (110 "Connection timed out")`);
      }
      const connection = await connectMysql(credentials, endpoint.endpointType);
      await connection.end();
      record.Status = 'successful';
    } catch (error) {
      // DMS quotes the ODBC driver's message behind its own error code.
      record.Status = 'failed';
      record.LastFailureMessage = `Test connection for endpoint ${endpoint.endpointIdentifier} failed: Application-Status: 1020912, Application-Message: Cannot connect to ODBC provider ODBC general error., Application-Detailed-Message: RetCode: SQL_ERROR SqlState: HY000 NativeError: 2003 Message: [MySQL][ODBC 8.0(w) Driver]${(error as Error).message.replace(/^Cannot connect to the \w+ database at [^:]+:\d+ as [^:]+: /, '')}`;
    }
  }

  private describeConnections(filter: Record<string, string[]>): ConnectionRecord[] {
    return [...this.connections.values()]
      .filter((record) => !filter['endpoint-arn'] || filter['endpoint-arn'].includes(record.EndpointArn))
      .filter((record) => !filter['replication-instance-arn'] || filter['replication-instance-arn'].includes(record.ReplicationInstanceArn))
      .map((record) => ({ ...record }));
  }

  private start(arn: string, startType: string, cdcStartPosition?: string) {
    this.requireTask(arn);
    const status = this.task.Status;
    if (status === 'running' || status === 'starting' || status === 'stopping' || status === 'creating' || status === 'deleting') {
      throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be started, invalid state: ${status}`);
    }
    if (startType === 'resume-processing' && status === 'ready') {
      throw new AwsServiceError('InvalidResourceStateFault', 'Replication Task has never been started, it cannot be resumed');
    }
    const now = new Date();
    const cdcOnly = this.options.task.migrationType === 'cdc';
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
    this.stopRequested = false;
    const response = { ReplicationTask: this.describeTask() };
    this.loading = this.run(fullLoad || cdcOnly);
    return response;
  }

  private stop(arn: string) {
    this.requireTask(arn);
    if (this.task.Status !== 'running') {
      throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be stopped, invalid state: ${this.task.Status}`);
    }
    this.stopRequested = true;
    this.task = { ...this.task, Status: 'stopping' };
    const response = { ReplicationTask: this.describeTask() };
    setTimeout(() => {
      void Promise.resolve(this.loading).then(() => {
        this.task = { ...this.task, Status: 'stopped', StopReason: STOP_REASONS.normal, ReplicationTaskStats: { ...this.task.ReplicationTaskStats, StopDate: new Date() } };
        this.emit('StateChange', 'REPLICATION_TASK_STOPPED', STOP_REASONS.normal);
      });
    }, 50);
    return response;
  }

  /** `replicate`: a full load (then CDC when the task has it), or a CDC-only task's capture. */
  private async run(replicate: boolean): Promise<void> {
    await tick();
    const markRunning = () => {
      this.task = { ...this.task, Status: 'running' };
      this.emit('StateChange', 'REPLICATION_TASK_STARTED', 'Replication task started.');
    };
    const cdcOnly = this.options.task.migrationType === 'cdc';
    if (!cdcOnly) markRunning();
    if (!replicate) return;
    const startedAt = Date.now();
    const stats = () => this.task.ReplicationTaskStats ?? {};
    const updateStats = (fields: NonNullable<ReplicationTask['ReplicationTaskStats']>) => {
      this.task = { ...this.task, ReplicationTaskStats: { ...stats(), ...fields, ElapsedTimeMillis: Date.now() - startedAt } };
    };
    let source: Connection | undefined;
    let target: Connection | undefined;
    try {
      source = await connectMysql(this.options.readCredentials(this.endpoint(this.options.task.sourceEndpointArn).secretArn), 'source');
      target = await connectMysql(this.options.readCredentials(this.endpoint(this.options.task.targetEndpointArn).secretArn), 'target');
      const tables = await selectedTables(source, this.options.task.tableMappings);
      if (cdcOnly) {
        // Started at the position read when nothing had changed since: the source's rows now are where capture
        // starts, and the task is "running" once it captures.
        this.tables = tables.map((table) => ({ ...tableStatistics(table, false), TableState: TABLE_STATES.completed }));
        const capturedFrom = await this.keyedRows(source, tables, (table) => table.schema);
        markRunning();
        await this.replicateChanges(source, target, tables, capturedFrom);
        return;
      }
      this.tables = tables.map((table) => tableStatistics(table, this.options.task.validationEnabled));
      updateStats({ FullLoadStartDate: new Date(), TablesQueued: tables.length });
      const totalRows = tables.reduce((sum, table) => sum + table.estimatedRows, 0) || 1;
      let copiedRows = 0;
      for (const [index, table] of tables.entries()) {
        if (this.stopRequested) return;
        this.updateTable(index, { TableState: TABLE_STATES.fullLoad, FullLoadStartTime: new Date() });
        updateStats(this.tableCounts());
        const erroring = this.isFaultTable(this.options.faults.erroredTable, table);
        try {
          await recreateTable(source, target, table);
          await copyTable(source, target, table, this.batchRows, (rows) => {
            copiedRows += rows;
            this.updateTable(index, { FullLoadRows: (this.tables[index].FullLoadRows ?? 0) + rows, LastUpdateTime: new Date() });
            updateStats({ FullLoadProgressPercent: Math.min(99, Math.floor((100 * copiedRows) / totalRows)) });
            if (erroring) throw new Error(`Duplicate entry '1' for key 'PRIMARY' [1062] (injected fault)`);
          });
          this.updateTable(index, { TableState: TABLE_STATES.completed, FullLoadEndTime: new Date() });
        } catch (error) {
          const message = `Failed to load table ${table.targetSchema}.${table.table}: ${(error as Error).message}`;
          this.updateTable(index, { TableState: TABLE_STATES.error, FullLoadErrorRows: 1, FullLoadEndTime: new Date(), ValidationState: VALIDATION_STATES.tableError });
          this.task = { ...this.task, LastFailureMessage: message };
          this.emit('Failure', 'REPLICATION_TASK_TABLE_ERROR', message);
        }
        updateStats(this.tableCounts());
      }
      updateStats({ FullLoadProgressPercent: 100, FullLoadFinishDate: new Date(), ...this.tableCounts() });
      if (this.options.task.migrationType === 'full-load') {
        this.task = { ...this.task, Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished, ReplicationTaskStats: { ...stats(), StopDate: new Date() } };
        this.emit('StateChange', 'REPLICATION_TASK_STOPPED', STOP_REASONS.fullLoadOnlyFinished);
      } else {
        this.emit('StateChange', 'REPLICATION_TASK_FULL_LOAD_COMPLETED', 'Full load completed; ongoing replication started.');
      }
      // What the load put on the target is where ongoing replication starts: source changes made since the
      // copy (DMS's cached changes) are applied from there, and nothing changed on the target alone is undone.
      const loaded = this.options.task.migrationType === 'full-load-and-cdc' ? await this.keyedRows(target, tables, (table) => table.targetSchema) : undefined;
      if (this.options.task.validationEnabled) await this.validate(source, target, tables);
      if (loaded) await this.replicateChanges(source, target, tables, loaded);
    } catch (error) {
      this.task = { ...this.task, Status: 'failed', StopReason: STOP_REASONS.fatalError, LastFailureMessage: (error as Error).message };
      this.emit('Failure', 'REPLICATION_TASK_FAILED', (error as Error).message);
    } finally {
      await source?.end().catch(() => undefined);
      await target?.end().catch(() => undefined);
    }
  }

  /**
   * DMS data validation, table by table after the load: rows compared by key on both sides. Tables without a
   * primary key or unique index cannot be validated ("No primary key"), as DMS documents.
   */
  private async validate(source: Connection, target: Connection, tables: SourceTable[]): Promise<void> {
    for (const index of tables.keys()) {
      if (this.tables[index].TableState !== TABLE_STATES.completed) continue;
      this.updateTable(index, { ValidationState: VALIDATION_STATES.pendingRecords, ValidationPendingRecords: this.tables[index].FullLoadRows ?? 0 });
    }
    for (const [index, table] of tables.entries()) {
      if (this.stopRequested) return;
      if (this.tables[index].TableState !== TABLE_STATES.completed) continue;
      const key = await findRowKey(source, table);
      if (!key) {
        this.updateTable(index, { ValidationState: VALIDATION_STATES.noPrimaryKey, ValidationPendingRecords: 0 });
        continue;
      }
      if (this.isFaultTable(this.options.faults.alterTargetRow, table)) await alterOneRow(target, table, key);
      const mismatched = await compareTable(source, target, table, key, this.batchRows);
      this.updateTable(index, {
        ValidationState: mismatched > 0 ? VALIDATION_STATES.mismatchedRecords : VALIDATION_STATES.validated,
        ValidationFailedRecords: mismatched,
        ValidationPendingRecords: 0,
        LastUpdateTime: new Date(),
      });
    }
  }

  /**
   * Ongoing replication until the task stops: source changes (inserts, updates, deletes by key) are applied to
   * the target and counted in the table statistics, as DMS's CDC does; changes made on the target alone are
   * left as they are. A table the selection rules match that appears on the source is created on the target.
   */
  private async replicateChanges(source: Connection, target: Connection, tables: SourceTable[], loaded: LoadedTable[]): Promise<void> {
    // An empty checksum makes the first round compare each table with what the load copied.
    type Replicated = { table: SourceTable; key: string[]; checksum: string; rows: Map<string, unknown[]> };
    const replicated = new Map<string, Replicated>();
    const known = new Set(tables.map((table) => `${table.schema}.${table.table}`));
    for (const { table, key, rows } of loaded) replicated.set(`${table.schema}.${table.table}`, { table, key, checksum: '', rows });
    while (!this.stopRequested && this.task.Status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, CDC_POLL_MILLIS));
      for (const table of await selectedTables(source, this.options.task.tableMappings)) {
        if (known.has(`${table.schema}.${table.table}`)) continue;
        // DMS replicates a CREATE TABLE for a table its selection rules match.
        known.add(`${table.schema}.${table.table}`);
        await recreateTable(source, target, table);
        const key = await findRowKey(source, table);
        if (key) replicated.set(`${table.schema}.${table.table}`, { table, key, checksum: '', rows: new Map() });
        // Validation checks CDC changes as they are applied: the emulator applies exactly the source's rows.
        const validationState = !this.options.task.validationEnabled ? VALIDATION_STATES.notEnabled : key ? VALIDATION_STATES.validated : VALIDATION_STATES.noPrimaryKey;
        this.tables.push({ ...tableStatistics(table, this.options.task.validationEnabled), TableState: TABLE_STATES.completed, ValidationState: validationState });
      }
      for (const entry of replicated.values()) {
        if (this.stopRequested) return;
        const checksum = await tableChecksum(source, entry.table.schema, entry.table);
        if (checksum === entry.checksum) continue;
        const rows = await rowsByKey(source, entry.table, entry.key);
        const changed = [...rows].filter(([key, row]) => JSON.stringify(entry.rows.get(key)) !== JSON.stringify(row));
        const deleted = [...entry.rows.keys()].filter((key) => !rows.has(key));
        await upsertRows(target, entry.table, changed.map(([, row]) => row));
        await deleteRows(target, entry.table, entry.key, deleted.map((key) => JSON.parse(key) as unknown[]));
        const inserts = changed.filter(([key]) => !entry.rows.has(key)).length;
        this.countChanges(entry.table, { Inserts: inserts, Updates: changed.length - inserts, Deletes: deleted.length });
        Object.assign(entry, { checksum, rows });
      }
    }
  }

  /** The rows each completed, keyed table holds in `schemaOf` on this server: the target after the load, or a CDC-only task's source. */
  private async keyedRows(connection: Connection, tables: SourceTable[], schemaOf: (table: SourceTable) => string): Promise<LoadedTable[]> {
    const loaded: LoadedTable[] = [];
    for (const [index, table] of tables.entries()) {
      if (this.tables[index].TableState !== TABLE_STATES.completed) continue;
      const key = await findRowKey(connection, { schema: schemaOf(table), table: table.table });
      if (key) loaded.push({ table, key, rows: await rowsByKey(connection, { ...table, schema: schemaOf(table) }, key) });
    }
    return loaded;
  }

  private countChanges(table: SourceTable, changes: { Inserts: number; Updates: number; Deletes: number }): void {
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

  private isFaultTable(name: string | undefined, table: SourceTable): boolean {
    return name !== undefined && (name === table.table || name === `${table.schema}.${table.table}`);
  }

  private updateTable(index: number, fields: Partial<TableStatistics>): void {
    this.tables[index] = { ...this.tables[index], ...fields };
  }

  private tableCounts() {
    const count = (state: string) => this.tables.filter((table) => table.TableState === state).length;
    return {
      TablesLoaded: count(TABLE_STATES.completed),
      TablesLoading: count(TABLE_STATES.fullLoad),
      TablesQueued: count(TABLE_STATES.beforeLoad),
      TablesErrored: count(TABLE_STATES.error),
    };
  }

  private emit(category: DmsTaskEvent['detail']['category'], eventType: string, detailMessage: string): void {
    // DMS-EVENT-0079 "Replication task has stopped", with the stop reason as the detail message.
    const eventId = eventType === 'REPLICATION_TASK_STOPPED' ? { eventId: 'DMS-EVENT-0079' } : {};
    const [, , , region, account] = this.options.task.replicationTaskArn.split(':');
    this.options.onTaskEvent({
      version: '0',
      id: `emulated-${Date.now()}`,
      'detail-type': 'DMS Replication Task State Change',
      source: 'aws.dms',
      account,
      time: new Date().toISOString(),
      region,
      resources: [this.options.task.replicationTaskArn],
      detail: { type: 'REPLICATION_TASK', category, eventType, detailMessage, ...eventId },
    });
  }
}

function tableStatistics(table: SourceTable, validationEnabled: boolean): TableStatistics {
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

/** DMS Describe* filters: `[{ Name, Values }]` -> `{ name: values }`. */
function filters(input: Record<string, unknown>): Record<string, string[]> {
  const list = (input.Filters as Array<{ Name: string; Values: string[] }> | undefined) ?? [];
  return Object.fromEntries(list.map((filter) => [filter.Name, filter.Values]));
}

const CONNECTION_TEST_MILLIS = 300;
/** How long a created task stays "creating" and a deleted one "deleting". */
const TASK_CHANGE_MILLIS = 200;
/** How often ongoing replication looks for source changes. */
const CDC_POLL_MILLIS = 1_000;
const tick = () => new Promise((resolve) => setTimeout(resolve, 100));
