import { randomBytes } from 'node:crypto';
import type { ReplicationTask, TableStatistics } from '@aws-sdk/client-database-migration-service';
import { dmsResourceId } from '../../../functions/shared/dms';
import type { DatabaseCredentials } from '../../../functions/shared/mysql';
import { AwsServiceError, type JsonService } from '../protocols';
import type { DmsEndpointDefinition, DmsEvent, DmsFaults, DmsInstanceDefinition, DmsReplicationConfigDefinition, DmsTaskDefinition } from './definitions';
import type { CaptureSummary, LatencyMetric } from './capture-progress';
import type { RunStats } from './replication-run';
import { probeEndpoint } from './endpoint-probe';
import type { EmulatedReplication } from './replication';
import { ServerlessReplications } from './serverless-api';
import { EmulatedTask } from './task';

/**
 * An emulated DMS that really moves data: endpoints are MySQL databases reached with the credentials in
 * their Secrets Manager secret, `TestConnection` really connects, and `StartReplicationTask` really copies
 * the tables its selection rules name, in batches, updating ReplicationTaskStats and DescribeTableStatistics
 * as it goes, then (when the task validates) compares every row the way DMS data validation does.
 *
 * A full-load-and-cdc task then keeps `running` and replicates what changes on the source, including tables
 * created there later that its selection rules match.
 *
 * `CreateReplicationTask` adds CDC-only tasks (the way back after a cutover): started with "start-replication"
 * at a CdcStartPosition, such a task replicates its source's changes from the moment it starts, with the same
 * change capture as the migration's own task.
 *
 * DMS Serverless replication configs (`serverless-api.ts`, each one's lifecycle in `replication.ts`) move the
 * data through the same run as tasks (`replication-run.ts`), with the serverless statuses, provisioning and
 * events.
 *
 * This module is the API: the operations, endpoints, connection tests and the set of tasks. Each task's
 * lifecycle is in `task.ts`; what a run does to the data in `full-load.ts`, `validation.ts` and
 * `change-capture.ts` (which reads the source's binary log). Deliberately not emulated: LOB modes, table
 * settings beyond selection and schema renaming, and parallel table loads. CDC latency is measured from the
 * binlog events' timestamps (`capture-progress.ts`).
 */
/** What the rehearsal shows of a replication, whichever the engine. */
export interface ReplicationReading {
  status: string | undefined;
  migrationType: string | undefined;
  /** ReplicationTaskStats or ReplicationStats (the same fields); none before the first start. */
  stats: RunStats | undefined;
  tables: TableStatistics[];
  capture: CaptureSummary | undefined;
}

export interface EmulatedDmsOptions {
  endpoints: DmsEndpointDefinition[];
  task: DmsTaskDefinition;
  instance: DmsInstanceDefinition;
  /** The operator's DMS Serverless replication configs (none by default). */
  replicationConfigs?: DmsReplicationConfigDefinition[];
  faults: DmsFaults;
  /** Rows per batch (DMS's CommitRate, 10,000 by default). */
  batchRows?: number;
  /** How many seconds behind the source the tasks' change capture stays (0 by default: changes apply at once). */
  cdcLagSeconds?: number;
  readCredentials(secretArn: string): DatabaseCredentials;
  /** The EventBridge events of the migration's own task and replication configs. */
  onEvent(event: DmsEvent): void;
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
  /** The migration's own task. */
  private readonly migrationTask: EmulatedTask;
  /** Tasks made with CreateReplicationTask, by ARN. */
  private readonly created = new Map<string, EmulatedTask>();
  /** The tags set with CreateReplicationTask, by task ARN (what IAM reads as aws:ResourceTag). */
  private readonly tags = new Map<string, Record<string, string>>();
  private readonly serverless: ServerlessReplications;

  constructor(private readonly options: EmulatedDmsOptions) {
    this.migrationTask = this.newTask(options.task, options.faults, options.onEvent);
    this.serverless = new ServerlessReplications({
      configs: options.replicationConfigs ?? [],
      arnPrefix: options.task.replicationTaskArn.split(':task:')[0],
      faults: options.faults,
      batchRows: options.batchRows ?? 10_000,
      cdcLagMillis: (options.cdcLagSeconds ?? 0) * 1000,
      endpoint: (arn) => this.endpoint(arn),
      credentialsOf: (endpointArn) => this.options.readCredentials(this.endpoint(endpointArn).secretArn),
      tags: this.tags,
      onEvent: options.onEvent,
    });
  }

  /**
   * Any replication by ARN, as the rehearsal reads it whichever the engine: a task (the migration's or a created
   * one) or a serverless replication config. ResourceNotFoundFault when there is none.
   */
  reading(arn: string): ReplicationReading {
    if (arn.includes(':task:')) {
      const task = this.taskNamed(arn);
      const described = task.describe();
      return { status: described.Status, migrationType: described.MigrationType, stats: described.ReplicationTaskStats, tables: task.describeTables(), capture: task.describeCapture() };
    }
    const replication = this.serverless.named(arn);
    const described = replication.describe();
    return {
      status: described.Status,
      migrationType: described.ReplicationType,
      stats: described.ReplicationStats,
      tables: described.ReplicationStats ? replication.describeTables() : [],
      capture: replication.describeCapture(),
    };
  }

  /** A DMS Serverless replication config by ARN (ResourceNotFoundFault when there is none). */
  replication(arn: string): EmulatedReplication {
    return this.serverless.named(arn);
  }

  /** The migration's task as DescribeReplicationTasks returns it. */
  describeTask(): ReplicationTask {
    return this.migrationTask.describe();
  }

  /** The migration's own task, then those made with CreateReplicationTask, with their settings. */
  describeTasks(): ReplicationTask[] {
    return [this.migrationTask, ...this.created.values()].map((task) => this.described(task));
  }

  private described(task: EmulatedTask): ReplicationTask {
    return { ...task.describe(), ReplicationTaskSettings: JSON.stringify(this.settingsOf(task.definition)) };
  }

  /**
   * The settings DescribeReplicationTasks reports, as far as the emulation goes: validation and logging. With
   * logging on, DMS fills in the log group and stream it names (read-only): `dms-tasks-<instance identifier>`
   * and `dms-task-<the task ARN's resource id>` (DMS User Guide, "Logging task settings").
   */
  private settingsOf(definition: DmsTaskDefinition): Record<string, unknown> {
    const logging = definition.loggingEnabled
      ? {
          EnableLogging: true,
          CloudWatchLogGroup: `dms-tasks-${this.options.instance.replicationInstanceIdentifier}`,
          CloudWatchLogStream: `dms-task-${dmsResourceId(definition.replicationTaskArn)}`,
        }
      : { EnableLogging: false };
    return { Logging: logging, ValidationSettings: { EnableValidation: definition.validationEnabled } };
  }

  /** A resource's tags; the operator's own resources (the migration's task, the endpoints) carry none here. */
  tagsOf(arn: string): Record<string, string> {
    return this.tags.get(arn) ?? {};
  }

  /** The migration's task's table statistics. */
  describeTables(): TableStatistics[] {
    return this.migrationTask.describeTables();
  }

  /** The migration's task's change capture: its binlog position and the source transactions it applied. */
  describeCapture(): CaptureSummary | undefined {
    return this.migrationTask.describeCapture();
  }

  /**
   * The AWS/DMS CDC latency datapoints of a task (its ReplicationTaskIdentifier dimension) or a serverless
   * replication (its ReplicationConfigIdentifier), each the ARN's resource id; a config that does not exist has none.
   */
  latencyDatapoints(
    replication: { taskResourceId: string | undefined } | { configResourceId: string },
    metric: LatencyMetric,
    start: number,
    end: number,
    periodMillis: number,
  ): Array<{ at: Date; value: number }> {
    if ('configResourceId' in replication) {
      const config = this.serverless.all().find((candidate) => candidate.definition.replicationConfigArn.endsWith(`:replication-config:${replication.configResourceId}`));
      return config?.latencyDatapoints(metric, start, end, periodMillis) ?? [];
    }
    const task = [this.migrationTask, ...this.created.values()].find((candidate) => candidate.definition.replicationTaskArn.endsWith(`:task:${replication.taskResourceId}`));
    return (task ?? this.migrationTask).latencyDatapoints(metric, start, end, periodMillis);
  }

  /** Every task and serverless replication: what the emulator waits for as it shuts down. */
  private runners(): Array<EmulatedTask | EmulatedReplication> {
    return [this.migrationTask, ...this.created.values(), ...this.serverless.all()];
  }

  /** Ends every running load, validation or replication after its current batch, as the emulator shuts down. */
  halt(): void {
    for (const runner of this.runners()) runner.halt();
  }

  /** Resolves once every running full load, validation or replication has finished. */
  async settled(): Promise<void> {
    await Promise.all(this.runners().map((runner) => runner.settled()));
  }

  service(): JsonService {
    return {
      protocol: 'json',
      jsonVersion: '1.1',
      targetPrefix: 'AmazonDMSv20160101',
      operations: {
        DescribeEndpoints: (input) => ({ Endpoints: this.describeEndpoints(filters(input)['endpoint-arn']) }),
        TestConnection: (input) => this.testConnection(String(input.ReplicationInstanceArn), String(input.EndpointArn)),
        DescribeConnections: (input) => ({ Connections: this.describeConnections(filters(input)) }),
        DescribeReplicationTasks: (input) => {
          const { 'replication-task-arn': arns, 'replication-task-id': identifiers } = filters(input);
          const tasks = this.describeTasks()
            .filter((task) => !arns || arns.includes(String(task.ReplicationTaskArn)))
            .filter((task) => !identifiers || identifiers.includes(String(task.ReplicationTaskIdentifier)));
          if (tasks.length === 0) throw new AwsServiceError('ResourceNotFoundFault', 'No Tasks found matching provided filters');
          // WithoutSettings leaves out the JSON documents: the settings and the table mappings.
          return { ReplicationTasks: input.WithoutSettings === true ? tasks.map(({ ReplicationTaskSettings: _settings, TableMappings: _mappings, ...task }) => task) : tasks };
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
        StartReplicationTask: (input) => this.taskNamed(String(input.ReplicationTaskArn)).start(String(input.StartReplicationTaskType), input.CdcStartPosition as string | undefined),
        StopReplicationTask: (input) => this.taskNamed(String(input.ReplicationTaskArn)).stop(),
        ...this.serverless.operations(),
      },
    };
  }

  private newTask(definition: DmsTaskDefinition, faults: DmsFaults, onTaskEvent: (event: DmsEvent) => void): EmulatedTask {
    return new EmulatedTask({
      definition,
      faults,
      batchRows: this.options.batchRows ?? 10_000,
      cdcLagMillis: (this.options.cdcLagSeconds ?? 0) * 1000,
      credentialsOf: (endpointArn) => this.options.readCredentials(this.endpoint(endpointArn).secretArn),
      onTaskEvent,
    });
  }

  /** The migration's own task or one made with CreateReplicationTask. */
  private taskNamed(arn: string): EmulatedTask {
    const task = arn === this.options.task.replicationTaskArn ? this.migrationTask : this.created.get(arn);
    if (!task) throw new AwsServiceError('ResourceNotFoundFault', `Replication Task ${arn} not found`);
    return task;
  }

  private createTask(input: Record<string, unknown>) {
    const identifier = String(input.ReplicationTaskIdentifier);
    if ([this.migrationTask, ...this.created.values()].some((task) => task.definition.replicationTaskIdentifier === identifier)) {
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
    const task = this.newTask(
      {
        replicationTaskArn,
        replicationTaskIdentifier: identifier,
        migrationType,
        sourceEndpointArn,
        targetEndpointArn,
        replicationInstanceArn: this.options.instance.replicationInstanceArn,
        tableMappings: JSON.parse(String(input.TableMappings)) as DmsTaskDefinition['tableMappings'],
        validationEnabled: false,
        loggingEnabled: (JSON.parse(String(input.ReplicationTaskSettings ?? '{}')) as { Logging?: { EnableLogging?: unknown } }).Logging?.EnableLogging === true,
      },
      {},
      // The stack's EventBridge rule listens to the migration's own task only.
      () => undefined,
    );
    task.beginCreation();
    this.created.set(replicationTaskArn, task);
    const tags = (input.Tags ?? []) as Array<{ Key: string; Value?: string }>;
    this.tags.set(replicationTaskArn, Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value ?? ''])));
    return { ReplicationTask: this.described(task) };
  }

  private deleteTask(arn: string) {
    const task = this.taskNamed(arn);
    if (task === this.migrationTask) throw new AwsServiceError('InvalidParameterValueException', 'The emulator does not delete the migration’s own task');
    task.beginDeletion(() => {
      this.created.delete(arn);
      this.tags.delete(arn);
    });
    return { ReplicationTask: task.describe() };
  }

  private endpoint(arn: string): DmsEndpointDefinition {
    const endpoint = this.options.endpoints.find((candidate) => candidate.endpointArn === arn);
    if (!endpoint) throw new AwsServiceError('ResourceNotFoundFault', `Endpoint ${arn} not found`);
    return endpoint;
  }

  /**
   * Each endpoint as DescribeEndpoints shows one defined by server name and by secret: its server name and
   * port are those of the secret it connects with, so they always name the server the emulator really reaches.
   */
  private describeEndpoints(arns: string[] | undefined) {
    return this.options.endpoints
      .filter((endpoint) => !arns || arns.includes(endpoint.endpointArn))
      .map((endpoint) => {
        const { host, port } = this.options.readCredentials(endpoint.secretArn);
        return {
          EndpointArn: endpoint.endpointArn,
          EndpointIdentifier: endpoint.endpointIdentifier,
          EndpointType: endpoint.endpointType,
          EngineName: 'mysql',
          ServerName: host,
          Port: port,
          Status: 'active',
          MySQLSettings: { ServerName: host, Port: port, SecretsManagerSecretId: endpoint.secretArn },
        };
      });
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
    const failure = await probeEndpoint(endpoint, credentials, this.options.faults);
    record.Status = failure ? 'failed' : 'successful';
    if (failure) record.LastFailureMessage = failure;
  }

  private describeConnections(filter: Record<string, string[]>): ConnectionRecord[] {
    return [...this.connections.values()]
      .filter((record) => !filter['endpoint-arn'] || filter['endpoint-arn'].includes(record.EndpointArn))
      .filter((record) => !filter['replication-instance-arn'] || filter['replication-instance-arn'].includes(record.ReplicationInstanceArn))
      .map((record) => ({ ...record }));
  }
}

/** DMS Describe* filters: `[{ Name, Values }]` -> `{ name: values }`. */
function filters(input: Record<string, unknown>): Record<string, string[]> {
  const list = (input.Filters as Array<{ Name: string; Values: string[] }> | undefined) ?? [];
  return Object.fromEntries(list.map((filter) => [filter.Name, filter.Values]));
}

const CONNECTION_TEST_MILLIS = 300;
