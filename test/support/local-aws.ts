import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DatabaseMigrationServiceClient,
  DescribeConnectionsCommand,
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  InvalidResourceStateFault,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
  TestConnectionCommand,
  type ReplicationTask,
  type TableStatistics,
} from '@aws-sdk/client-database-migration-service';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { CreateDBClusterSnapshotCommand, DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { sdkStreamMixin } from '@smithy/core/serde';
import { Readable } from 'node:stream';
import { DescribeExecutionCommand, SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { applyUpdate, conditionHolds } from '../../local/emulator/dynamodb';
import { TaskTokenUnknown, TaskTokens } from '../../local/workflow/task-tokens';
import { REPLICATION_INSTANCE_ARN, TASK_ARN, replicationTask, tableStatistics } from './migration';

/** What the simulated migration looks like; each workflow path test changes one thing. */
export interface Scenario {
  migrationType: 'full-load-and-cdc' | 'full-load';
  /** The task's status before the workflow starts. */
  initialStatus: 'ready' | 'running';
  /** DescribeConnections calls that still answer `testing` before the result. */
  connectionTestChecks: number;
  sourceConnection: 'successful' | 'failed';
  /** Full-load progress steps reported by DMS, each followed by a DMS event (unless events are missed). */
  progressSteps: number[];
  /**
   * Progress steps one full-load wait lasts before its safety-net timeout fires, for long simulated loads
   * (e.g. 8 quarter-hourly checks in 2 hours). @default all remaining steps
   */
  progressStepsPerWait?: number;
  dmsEventsMissed: boolean;
  /** A table that goes into "Table error" during the load. */
  erroredTable?: string;
  validation: 'Validated' | 'Mismatched records';
  /** DescribeTableStatistics calls answering "Pending records" before the final validation state. */
  pendingValidationChecks: number;
  cdcLatencySeconds: number;
  approval: 'approve' | 'reject' | 'timeout';
  /** DescribeReplicationTasks calls answered with ThrottlingException before DMS answers again. */
  throttledTaskReads: number;
  /** The task's table mappings (JSON), when a test needs particular ones. */
  tableMappings?: string;
  /** Database secrets by ARN (SecretString JSON), for the readiness, data comparison and cutover steps. */
  databaseSecrets?: Record<string, string>;
  /** Extra fakes or state a test adds once the fakes exist (say, a reverse DMS task or a held lock). */
  prepare?: (aws: LocalAws) => void;
}

export const HAPPY_PATH: Scenario = {
  migrationType: 'full-load-and-cdc',
  initialStatus: 'ready',
  connectionTestChecks: 1,
  sourceConnection: 'successful',
  progressSteps: [30, 60, 100],
  dmsEventsMissed: false,
  validation: 'Validated',
  pendingValidationChecks: 2,
  cdcLatencySeconds: 3,
  approval: 'approve',
  throttledTaskReads: 0,
};

const TABLES = ['customers', 'orders', 'order_lines'];
export const SIGNING_KEY = 'local-approval-signing-key';

export interface PublishedNotification {
  kind: string;
  subject: string;
  message: string;
}

type Stub = AwsClientStub<DatabaseMigrationServiceClient>;

/**
 * This migration's AWS, faked at the SDK boundary: a simulated DMS task that loads, validates and stops as
 * the scenario says, and RDS, CloudWatch, SSM, SNS, DynamoDB, Secrets Manager and Step Functions callbacks
 * with the response shapes the services return. The real handlers run against it unchanged.
 */
export class LocalAws {
  readonly dms: Stub = mockClient(DatabaseMigrationServiceClient);
  readonly notifications: PublishedNotification[] = [];
  readonly parameters = new Map<string, string>();
  readonly items = new Map<string, Record<string, AttributeValue>>();
  /** The plans bucket's objects, by key. */
  readonly objects = new Map<string, string>();
  /** What DMS was asked to do, in order: the commands that change something. */
  readonly dmsActions: string[] = [];
  /** The workflow's parked task tokens, settled by the functions' SendTaskSuccess / SendTaskFailure. */
  readonly tokens = new TaskTokens();
  private readonly stubs: Array<{ restore(): void }> = [this.dms];
  private task: ReplicationTask;
  private tables: TableStatistics[];
  private connectionChecks = 0;
  private validationChecks = 0;
  private throttledReads: number;

  constructor(private readonly scenario: Scenario) {
    this.throttledReads = scenario.throttledTaskReads;
    this.task = replicationTask({
      MigrationType: scenario.migrationType,
      Status: scenario.initialStatus,
      ...(scenario.initialStatus === 'ready'
        ? { ReplicationTaskStartDate: undefined, ReplicationTaskStats: undefined }
        : { ReplicationTaskStats: this.stats(40) }),
      ...(scenario.tableMappings ? { TableMappings: scenario.tableMappings } : {}),
    });
    this.tables = TABLES.map((TableName) => tableStatistics({ TableName, TableState: 'Before load', FullLoadRows: 0, ValidationState: 'Pending validation' }));
    this.fakeDms();
    this.fakeOthers();
    scenario.prepare?.(this);
  }

  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }

  /** Moves the full load to `percent`, as DMS would between two events. */
  advanceFullLoad(percent: number): void {
    const done = percent >= 100;
    this.task = { ...this.task, ReplicationTaskStats: this.stats(percent) };
    if (done && this.scenario.migrationType === 'full-load') {
      this.task = { ...this.task, Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED' };
    }
    this.tables = this.tables.map((table, index) => {
      const loaded = done || index < Math.floor((percent / 100) * TABLES.length);
      const errored = table.TableName === this.scenario.erroredTable && percent >= 50;
      return {
        ...table,
        TableState: errored ? 'Table error' : loaded ? 'Table completed' : 'Full load',
        FullLoadRows: loaded ? 40_000 : 0,
      };
    });
    if (this.tables.some((table) => table.TableState === 'Table error')) {
      this.task = {
        ...this.task,
        ReplicationTaskStats: { ...this.task.ReplicationTaskStats, TablesErrored: 1 },
        LastFailureMessage: `Failed to load table orders.${this.scenario.erroredTable}: Duplicate entry '42' for key 'PRIMARY'`,
      };
    }
  }

  private stats(percent: number): NonNullable<ReplicationTask['ReplicationTaskStats']> {
    const loaded = Math.floor((percent / 100) * TABLES.length);
    return {
      FullLoadProgressPercent: percent,
      ElapsedTimeMillis: percent * 60_000,
      TablesLoaded: loaded,
      TablesLoading: percent >= 100 ? 0 : 1,
      TablesQueued: Math.max(0, TABLES.length - loaded - 1),
      TablesErrored: 0,
      FreshStartDate: new Date('2026-11-24T09:00:00Z'),
      StartDate: new Date('2026-11-24T09:00:00Z'),
      FullLoadStartDate: new Date('2026-11-24T09:00:05Z'),
      ...(percent >= 100 ? { FullLoadFinishDate: new Date('2026-11-24T10:40:05Z') } : {}),
    };
  }

  private fakeDms(): void {
    const dms = this.dms;
    dms.on(DescribeReplicationTasksCommand).callsFake(() => {
      if (this.throttledReads > 0) {
        this.throttledReads -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      return { ReplicationTasks: [this.task] };
    });
    dms.on(StartReplicationTaskCommand).callsFake((input) => {
      this.dmsActions.push(`StartReplicationTask ${input.StartReplicationTaskType}`);
      this.task = { ...this.task, Status: 'running', ReplicationTaskStartDate: new Date('2026-11-24T09:00:00Z'), ReplicationTaskStats: this.stats(0) };
      return { ReplicationTask: { ...this.task, Status: 'starting' } };
    });
    dms.on(StopReplicationTaskCommand).callsFake(() => {
      this.dmsActions.push('StopReplicationTask');
      this.task = { ...this.task, Status: 'stopped', StopReason: 'Stop Reason NORMAL' };
      return { ReplicationTask: { ...this.task, Status: 'stopping' } };
    });
    const connections = new Map<string, string>();
    dms.on(TestConnectionCommand).callsFake((input) => {
      if (connections.get(input.EndpointArn) === 'testing') {
        throw new InvalidResourceStateFault({ message: 'Test connection already in progress', $metadata: {} });
      }
      this.dmsActions.push('TestConnection');
      connections.set(input.EndpointArn, 'testing');
      return { Connection: { EndpointArn: input.EndpointArn, ReplicationInstanceArn: input.ReplicationInstanceArn, Status: 'testing' } };
    });
    dms.on(DescribeConnectionsCommand).callsFake((input) => {
      this.connectionChecks += 1;
      const settled = this.connectionChecks > this.scenario.connectionTestChecks;
      const endpointArns: string[] = input.Filters?.find((filter: { Name: string }) => filter.Name === 'endpoint-arn')?.Values ?? [];
      return {
        Connections: endpointArns.map((endpointArn: string, index: number) => {
          const source = index === 0;
          const failed = settled && source && this.scenario.sourceConnection === 'failed';
          return {
            ReplicationInstanceArn: REPLICATION_INSTANCE_ARN,
            EndpointArn: endpointArn,
            EndpointIdentifier: source ? 'orders-ec2-mysql' : 'orders-aurora-target',
            ReplicationInstanceIdentifier: 'orders-replication',
            Status: !settled ? 'testing' : failed ? 'failed' : 'successful',
            ...(failed ? { LastFailureMessage: "Can't connect to MySQL server on '10.0.1.15' (110)" } : {}),
          };
        }),
      };
    });
    dms.on(DescribeTableStatisticsCommand).callsFake(() => {
      const fullLoadDone = this.task.ReplicationTaskStats?.FullLoadProgressPercent === 100;
      if (fullLoadDone) this.validationChecks += 1;
      const validated = fullLoadDone && this.validationChecks > this.scenario.pendingValidationChecks;
      return {
        ReplicationTaskArn: TASK_ARN,
        TableStatistics: this.tables.map((table) => ({
          ...table,
          ...(validated
            ? this.scenario.validation === 'Validated' || table.TableName !== 'order_lines'
              ? { ValidationState: 'Validated' }
              : { ValidationState: 'Mismatched records', ValidationFailedRecords: 3 }
            : { ValidationState: 'Pending records', ValidationPendingRecords: 200 }),
        })),
      };
    });
    dms.on(DescribeReplicationInstancesCommand).resolves({
      ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication', ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, ReplicationInstanceStatus: 'available' }],
    });
  }

  private fakeOthers(): void {
    const rds = mockClient(RDSClient);
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'orders-aurora',
          Status: 'available',
          Engine: 'aurora-mysql',
          EngineVersion: '8.0.mysql_aurora.3.08.0',
          Endpoint: 'orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
          Port: 3306,
        },
      ],
    });
    rds.on(CreateDBClusterSnapshotCommand).callsFake((input) => ({ DBClusterSnapshot: { DBClusterSnapshotIdentifier: input.DBClusterSnapshotIdentifier, Status: 'creating' } }));

    const cloudWatch = mockClient(CloudWatchClient);
    cloudWatch.on(GetMetricDataCommand).callsFake(() => ({
      MetricDataResults: ['source', 'target'].map((Id) => ({ Id, Values: Array(5).fill(this.scenario.cdcLatencySeconds), StatusCode: 'Complete' })),
      Messages: [],
    }));

    const ssm = mockClient(SSMClient);
    ssm.on(GetParameterCommand).callsFake((input) => {
      const value = this.parameters.get(input.Name);
      if (value === undefined) throw new ParameterNotFound({ message: 'Parameter not found', $metadata: {} });
      return { Parameter: { Name: input.Name, Type: 'String', Value: value, Version: 1 } };
    });
    ssm.on(PutParameterCommand).callsFake((input) => {
      this.parameters.set(input.Name, input.Value);
      return { Version: 1, Tier: 'Standard' };
    });

    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).callsFake((input) => {
      this.notifications.push({ kind: input.MessageAttributes?.kind?.StringValue ?? '', subject: input.Subject ?? '', message: input.Message ?? '' });
      return { MessageId: `message-${this.notifications.length}` };
    });

    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    for (const [SecretId, SecretString] of Object.entries(this.scenario.databaseSecrets ?? {})) {
      secrets.on(GetSecretValueCommand, { SecretId }).resolves({ ARN: SecretId, Name: SecretId.split(':').at(-1), SecretString });
    }

    const sfn = mockClient(SFNClient);
    const settle = (settleToken: () => void) => {
      try {
        settleToken();
      } catch (error) {
        if (!(error instanceof TaskTokenUnknown)) throw error;
        throw new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} });
      }
      return {};
    };
    sfn.on(SendTaskSuccessCommand).callsFake((input) => settle(() => this.tokens.succeed(input.taskToken, input.output)));
    // Any other execution of this state machine (a lock holder) is still running.
    sfn.on(DescribeExecutionCommand).callsFake((input) => ({ executionArn: input.executionArn, status: 'RUNNING', startDate: new Date('2026-11-24T23:00:00Z') }));
    sfn.on(SendTaskFailureCommand).callsFake((input) => settle(() => this.tokens.fail(input.taskToken, input.error, input.cause)));

    // The approval reminder's one-time schedule: created, never fired within a local run.
    const scheduler = mockClient(SchedulerClient);
    scheduler.on(CreateScheduleCommand).callsFake((input) => ({ ScheduleArn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/${input.GroupName}/${input.Name}` }));

    this.stubs.push(rds, cloudWatch, ssm, sns, secrets, sfn, scheduler, this.fakeDynamoDb(), this.fakeS3());
  }

  /** One bucket: objects by key, listed in key order as S3 does, bodies as the SDK's stream mixin. */
  private fakeS3(): AwsClientStub<S3Client> {
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).callsFake((input) => {
      this.objects.set(input.Key, String(input.Body));
      return { ETag: '"etag"' };
    });
    s3.on(GetObjectCommand).callsFake((input) => {
      const body = this.objects.get(input.Key);
      if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 } });
      return { Body: sdkStreamMixin(Readable.from([Buffer.from(body)])), ContentType: 'application/json' };
    });
    s3.on(ListObjectsV2Command).callsFake((input) => {
      const keys = [...this.objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).sort();
      return { Contents: keys.map((Key) => ({ Key, Size: this.objects.get(Key)?.length })), KeyCount: keys.length, IsTruncated: false, Prefix: input.Prefix };
    });
    return s3;
  }

  /** A table that keeps items by `pk` and evaluates the expressions the functions write, as the emulator does. */
  private fakeDynamoDb(): AwsClientStub<DynamoDBClient> {
    const dynamoDb = mockClient(DynamoDBClient);
    const expressions = (input: { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => ({
      names: input.ExpressionAttributeNames,
      values: input.ExpressionAttributeValues,
    });
    const requireCondition = (holds: boolean) => {
      if (!holds) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    };
    dynamoDb.on(GetItemCommand).callsFake((input) => {
      const item = this.items.get(input.Key.pk.S);
      return item ? { Item: item } : {};
    });
    dynamoDb.on(PutItemCommand).callsFake((input) => {
      requireCondition(conditionHolds(this.items.get(input.Item.pk.S), input.ConditionExpression, expressions(input)));
      this.items.set(input.Item.pk.S, input.Item);
      return {};
    });
    dynamoDb.on(DeleteItemCommand).callsFake((input) => {
      requireCondition(conditionHolds(this.items.get(input.Key.pk.S), input.ConditionExpression, expressions(input)));
      this.items.delete(input.Key.pk.S);
      return {};
    });
    dynamoDb.on(UpdateItemCommand).callsFake((input) => {
      const item = this.items.get(input.Key.pk.S);
      requireCondition(conditionHolds(item, input.ConditionExpression, expressions(input)));
      this.items.set(input.Key.pk.S, applyUpdate(item ?? { pk: input.Key.pk }, input.UpdateExpression, expressions(input)));
      return {};
    });
    return dynamoDb;
  }
}
