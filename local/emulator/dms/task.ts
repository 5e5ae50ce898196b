import type { ReplicationTask, TableStatistics } from '@aws-sdk/client-database-migration-service';
import type { DatabaseCredentials } from '../../../functions/shared/mysql';
import { STOP_REASONS } from '../../../functions/shared/dms';
import { AwsServiceError } from '../protocols';
import type { CaptureSummary, LatencyMetric } from './capture-progress';
import { eventEnvelope, type DmsFaults, type DmsTaskDefinition, type DmsTaskEvent } from './definitions';
import { ReplicationRun } from './replication-run';

/**
 * One emulated replication task's lifecycle: the statuses DMS moves it through (creating, ready, starting,
 * running, stopping, stopped, failed, deleting) and the EventBridge events it sends. What a run does to the
 * data, its ReplicationTaskStats and table statistics are the shared run's (`replication-run.ts`).
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

/** A task that DMS is busy with: it can be neither started nor deleted. */
const BUSY_STATUSES = ['running', 'starting', 'stopping', 'creating', 'deleting'];

export class EmulatedTask {
  private task: ReplicationTask;
  private readonly run: ReplicationRun;
  /** ReplicationTaskStats appear with the first start. */
  private started = false;

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
    this.run = new ReplicationRun(options, {
      running: () => {
        this.task = { ...this.task, Status: 'running' };
        this.emit('StateChange', 'REPLICATION_TASK_STARTED', 'Replication task started.');
      },
      fullLoadOnlyFinished: () => {
        this.task = { ...this.task, Status: 'stopped', StopReason: STOP_REASONS.fullLoadOnlyFinished };
        this.emit('StateChange', 'REPLICATION_TASK_STOPPED', STOP_REASONS.fullLoadOnlyFinished);
      },
      failed: (message) => {
        this.task = { ...this.task, Status: 'failed', StopReason: STOP_REASONS.fatalError, LastFailureMessage: message };
        this.emit('Failure', 'REPLICATION_TASK_FAILED', message);
      },
      tableFailed: (message) => {
        this.task = { ...this.task, LastFailureMessage: message };
        this.emit('Failure', 'REPLICATION_TASK_TABLE_ERROR', message);
      },
    });
  }

  get definition(): DmsTaskDefinition {
    return this.options.definition;
  }

  /** The task as DescribeReplicationTasks returns it. */
  describe(): ReplicationTask {
    return { ...structuredClone(this.task), ...(this.started ? { ReplicationTaskStats: this.run.describeStats() } : {}) };
  }

  describeTables(): TableStatistics[] {
    return this.run.describeTables();
  }

  /** Where change capture is in the source's binlog and how many source transactions it applied. */
  describeCapture(): CaptureSummary | undefined {
    return this.run.describeCapture();
  }

  /** CloudWatch's AWS/DMS CDC latency datapoints for this task, measured from the binlog events' timestamps. */
  latencyDatapoints(metric: LatencyMetric, start: number, end: number, periodMillis: number) {
    return this.run.latencyDatapoints(metric, start, end, periodMillis);
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
    this.run.halt();
  }

  /** Resolves once the running full load, validation or replication (if any) has finished. */
  async settled(): Promise<void> {
    await this.run.settled();
  }

  start(startType: string, cdcStartPosition?: string): { ReplicationTask: ReplicationTask } {
    const status = this.task.Status ?? '';
    if (BUSY_STATUSES.includes(status)) {
      throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be started, invalid state: ${status}`);
    }
    if (startType === 'resume-processing' && status === 'ready') {
      throw new AwsServiceError('InvalidResourceStateFault', 'Replication Task has never been started, it cannot be resumed');
    }
    const cdcOnly = this.definition.migrationType === 'cdc';
    const fullLoad = !cdcOnly && (startType !== 'resume-processing' || this.run.describeStats().FullLoadProgressPercent !== 100);
    this.task = {
      ...this.task,
      Status: 'starting',
      StopReason: undefined,
      LastFailureMessage: undefined,
      ReplicationTaskStartDate: new Date(),
      ...(cdcStartPosition ? { CdcStartPosition: cdcStartPosition } : {}),
    };
    this.run.begin(fullLoad, fullLoad || cdcOnly, this.task.CdcStartPosition);
    this.started = true;
    return { ReplicationTask: this.describe() };
  }

  stop(): { ReplicationTask: ReplicationTask } {
    if (this.task.Status !== 'running') {
      throw new AwsServiceError('InvalidResourceStateFault', `Replication Task cannot be stopped, invalid state: ${this.task.Status}`);
    }
    this.task = { ...this.task, Status: 'stopping' };
    const response = { ReplicationTask: this.describe() };
    const stopped = this.run.stop();
    setTimeout(() => {
      void stopped.then(() => {
        this.run.markStopped();
        this.task = { ...this.task, Status: 'stopped', StopReason: STOP_REASONS.normal };
        this.emit('StateChange', 'REPLICATION_TASK_STOPPED', STOP_REASONS.normal);
      });
    }, 50);
    return response;
  }

  private emit(category: DmsTaskEvent['detail']['category'], eventType: string, detailMessage: string): void {
    // DMS-EVENT-0079 "Replication task has stopped", with the stop reason as the detail message.
    const eventId = eventType === 'REPLICATION_TASK_STOPPED' ? { eventId: 'DMS-EVENT-0079' } : {};
    this.options.onTaskEvent({
      ...eventEnvelope(this.definition.replicationTaskArn),
      'detail-type': 'DMS Replication Task State Change',
      detail: { type: 'REPLICATION_TASK', category, eventType, detailMessage, ...eventId },
    });
  }
}

/** How long a created task stays "creating" and a deleted one "deleting". */
const TASK_CHANGE_MILLIS = 200;
