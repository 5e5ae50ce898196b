import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DatabaseMigrationServiceClient,
  DescribeConnectionsCommand,
  DescribeEndpointsCommand,
  DescribeReplicationInstancesCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  InvalidResourceStateFault,
  StartReplicationCommand,
  StartReplicationTaskCommand,
  StopReplicationCommand,
  StopReplicationTaskCommand,
  TestConnectionCommand,
  type Replication,
  type ReplicationTask,
  type TableStatistics,
} from '@aws-sdk/client-database-migration-service';
import type { ReplicationEngine } from '../../functions/shared/replication';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CreateDBClusterSnapshotCommand, DBClusterNotFoundFault, DBClusterSnapshotAlreadyExistsFault, DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient, ResourceNotFoundException } from '@aws-sdk/client-eventbridge';
import { sdkStreamMixin } from '@smithy/core/serde';
import { Readable } from 'node:stream';
import { DescribeExecutionCommand, SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { currentCaller } from '../../local/emulator/callers';
import { AwsServiceError, throttlingError } from '../../local/emulator/protocols';
import { deliveriesOf, eventBridgeService, rdsService, secretArnOf, type LocalTargetDatabase, type TopicSubscription } from '../../local/emulator/services';
import { StepFunctionsExecutions, stepFunctionsService } from '../../local/emulator/step-functions';
import type { ResourceFacts, StackAuthorizer } from '../../local/iam';
import { TaskTokens } from '../../local/workflow/task-tokens';
import { fakeDynamoDbTable } from './dynamodb-table';
import { answeredByEmulator, asSdkError } from './emulator-operations';
import { DATABASE_ACCESS, REPLICATION_CONFIG_ARN, REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, TASK_ARN, WAY_BACK, replicationTask, serverlessReplication, tableStatistics } from './migration';

/** What the simulated migration looks like; each workflow path test changes one thing. */
export interface Scenario {
  /** What replicates: a task on an instance, or a DMS Serverless replication (test/support/engines.ts). @default 'task' */
  engine?: ReplicationEngine;
  migrationType: 'full-load-and-cdc' | 'full-load';
  /** The replication's status before the workflow starts (a serverless one never started is `created`). */
  initialStatus: 'ready' | 'running';
  /** DescribeConnections calls that still answer `testing` before the result. */
  connectionTestChecks: number;
  /** A task's TestConnection of the source; a serverless replication fails in testing_connection as it starts. */
  sourceConnection: 'successful' | 'failed';
  /**
   * Full-load progress, one percentage per step. After each step the watcher's minute check runs while the
   * wait's functions keep its rule on; DMS sends an event only when the task stops or a table fails (a
   * full-load-and-cdc task's load ends without one).
   */
  progressSteps: number[];
  /**
   * Progress steps one full-load wait lasts before its safety-net timeout fires, for long simulated loads
   * (e.g. 8 quarter-hourly checks in 2 hours). @default all remaining steps
   */
  progressStepsPerWait?: number;
  dmsEventsMissed: boolean;
  /** The minute checks never run (their rule left disabled, say by a redeploy while a wait was parked). */
  scheduledChecksMissed?: boolean;
  /** A table that goes into "Table error" during the load. */
  erroredTable?: string;
  validation: 'Validated' | 'Mismatched records';
  /** DescribeTableStatistics calls answering "Pending records" before the final validation state. */
  pendingValidationChecks: number;
  cdcLatencySeconds: number;
  /** A fixed answer, or people deciding on the real approval page (the run waits until they return). */
  approval: 'approve' | 'reject' | 'timeout' | ApprovalByPeople;
  /** DescribeReplicationTasks calls answered with ThrottlingException before DMS answers again. */
  throttledTaskReads: number;
  /** The task's table mappings (JSON), when a test needs particular ones. */
  tableMappings?: string;
  /** Database secrets by ARN (SecretString JSON), for the readiness, data comparison and cutover steps. */
  databaseSecrets?: Record<string, string>;
  /** The RDS error name CreateDBClusterSnapshot answers with (the target is `modifying`, the snapshot quota is reached...). */
  snapshotRefused?: string;
  /** Extra fakes or state a test adds once the fakes exist (say, a reverse DMS task or a held lock). */
  prepare?: (aws: LocalAws) => void;
  /** Runs as each notification is published, before the workflow goes on: a test acting at a known step (say, once the gate passed). */
  onNotification?: (published: PublishedNotification) => Promise<void>;
}

/**
 * People deciding on the real approval page: `reviewUrl` is the e-mailed link, pointed at the page's real
 * handler served locally (as the approval page's function, under its role); `aws` holds the e-mails they read
 * their codes from. When the function returns and nobody settled the approval, it times out.
 */
export type ApprovalByPeople = (page: { reviewUrl: string; aws: LocalAws }) => Promise<void>;

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

/**
 * The secret each DMS endpoint reads its connection from (DescribeEndpoints' MySQLSettings): the forward
 * endpoints the secrets of their sides, the way back's the other way round.
 */
const ENDPOINT_SECRETS: Record<string, string> = {
  [SOURCE_ENDPOINT_ARN]: DATABASE_ACCESS.sourceSecretArn,
  [TARGET_ENDPOINT_ARN]: DATABASE_ACCESS.targetSecretArn,
  [WAY_BACK.reverseSourceEndpointArn]: DATABASE_ACCESS.targetSecretArn,
  [WAY_BACK.reverseTargetEndpointArn]: DATABASE_ACCESS.sourceSecretArn,
};

const TABLES = ['customers', 'orders', 'order_lines'];
/** The migration's target as RDS describes it. */
const TARGET_CLUSTER: LocalTargetDatabase = {
  type: 'aurora-cluster',
  identifier: 'orders-aurora',
  host: 'orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
  port: 3306,
  engineVersion: '8.0.mysql_aurora.3.08.0',
};
export const SIGNING_KEY = 'local-approval-signing-key';

/**
 * An AWS failure a test injects: every call it matches is answered with the service's error instead, before
 * the fake sees it, until the test takes the outage out of `LocalAws.outages`. IAM still answers first.
 */
export interface AwsOutage {
  /** The failing service by signing name (`sns`, `dms`...); every service when absent. */
  service?: string;
  /** Only this operation (`Publish`). */
  operation?: string;
  /**
   * `throttling`: the service's own throttling error (the SDK's modelled name, which the handlers' wrapper
   * treats as transient); otherwise a named error, as the service answers it (`KMSAccessDeniedException`).
   */
  error: 'throttling' | { code: string; message: string; statusCode: number };
}

/**
 * SNS refusing every message as it does for a topic whose KMS key policy does not let SNS use the key
 * (Publish answers KMSAccessDeniedException, a client error the handlers do not retry).
 */
export const SNS_KMS_REFUSES: AwsOutage = {
  service: 'sns',
  operation: 'Publish',
  error: { code: 'KMSAccessDeniedException', message: "SNS is not authorized to use the topic's KMS key (kms:GenerateDataKey)", statusCode: 400 },
};

export interface PublishedNotification {
  kind: string;
  subject: string;
  message: string;
  topicArn: string;
  /** The subscriptions' endpoints (e-mail addresses) whose filter policies accept the message. */
  deliveredTo: string[];
}

type Stub = AwsClientStub<DatabaseMigrationServiceClient>;

/** The SigV4 signing name of each faked client's service. */
const SIGNING_NAMES: Record<string, string> = {
  DatabaseMigrationServiceClient: 'dms',
  RDSClient: 'rds',
  CloudWatchClient: 'monitoring',
  SSMClient: 'ssm',
  SNSClient: 'sns',
  SecretsManagerClient: 'secretsmanager',
  SFNClient: 'states',
  SchedulerClient: 'scheduler',
  EventBridgeClient: 'events',
  DynamoDBClient: 'dynamodb',
  S3Client: 's3',
};

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
  /** Tags of the resources a test makes (a reverse task), by ARN: what IAM reads as aws:ResourceTag. */
  readonly resourceTags = new Map<string, Record<string, string>>();
  /** The stack's EventBridge rules that the functions turn on and off (the full-load checks), by name. */
  readonly eventRules: Map<string, 'ENABLED' | 'DISABLED'>;
  /** Failures in effect now; a test adds and removes them as the run goes (fault injection). */
  readonly outages: AwsOutage[] = [];
  /** Calls answered by an outage, as `<service>:<Operation>`, in order. */
  readonly refusedCalls: string[] = [];
  private readonly stubs: Array<{ restore(): void }> = [this.dms];
  private task: ReplicationTask;
  private tables: TableStatistics[];
  private connectionChecks = 0;
  private validationChecks = 0;
  private throttledReads: number;

  /**
   * With an authorizer, every call a function makes is first evaluated against its role, as on AWS; with the
   * stack's topic subscriptions, each notification records which of them accept it (filter policies).
   */
  constructor(
    private readonly scenario: Scenario,
    authorizer?: StackAuthorizer,
    private readonly subscriptions: TopicSubscription[] = [],
    eventRules: string[] = [],
  ) {
    this.eventRules = new Map(eventRules.map((name) => [name, 'DISABLED']));
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
    this.interpose(authorizer);
  }

  /**
   * Each faked client's send first authorizes the call for the function running it (runAsCaller), when there
   * is an authorizer: a denied call fails with the service's AccessDenied error and never reaches the fake.
   * Calls made outside any function (a test's own) are not evaluated. Then an outage in effect answers the
   * call with its error. The stubs' restore removes this wrapper with the stub.
   */
  private interpose(authorizer?: StackAuthorizer): void {
    const facts: ResourceFacts = {
      tagsOf: (arn) => this.resourceTags.get(arn) ?? {},
      secretArn: (secretId) => secretArnOf(Object.keys(this.scenario.databaseSecrets ?? {}), secretId),
    };
    type SentCommand = { input: Record<string, unknown>; constructor: { name: string } };
    const { outages, refusedCalls } = this;
    for (const stub of this.stubs) {
      // aws-sdk-client-mock stubs `send` on the client class's prototype, which it keeps as `client`.
      const client = (stub as unknown as { client: { send(command: SentCommand): Promise<unknown>; constructor: { name: string } } }).client;
      const stubbedSend = client.send;
      const service = SIGNING_NAMES[client.constructor.name];
      client.send = async function interposedSend(this: unknown, command: SentCommand) {
        const caller = currentCaller();
        const operation = command.constructor.name.replace(/Command$/, '');
        if (caller && authorizer) {
          const { denial } = await authorizer.authorize(caller.principal, { service, operation, input: command.input }, facts);
          if (denial) throw asSdkError(new AwsServiceError(denial.code, denial.message, denial.statusCode));
        }
        const outage = outages.find((candidate) => (candidate.service ?? service) === service && (candidate.operation ?? operation) === operation);
        if (outage) {
          refusedCalls.push(`${service}:${operation}`);
          const refusal = outage.error === 'throttling' ? throttlingError(service) : new AwsServiceError(outage.error.code, outage.error.message, outage.error.statusCode);
          throw asSdkError(refusal, { Throttled: ThrottledException });
        }
        return stubbedSend.call(this, command);
      };
    }
  }

  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }

  /** Moves the full load to `percent`, as DMS would between two events. */
  /** Whether DMS would announce this moment: the replication stopped or failed, or a table failed. */
  get taskEventDue(): boolean {
    return this.task.Status === 'stopped' || this.task.Status === 'failed' || this.tables.some((table) => table.TableState === 'Table error');
  }

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
      this.throttled();
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
    dms.on(DescribeTableStatisticsCommand).callsFake(() => ({ ReplicationTaskArn: TASK_ARN, TableStatistics: this.tableStatistics() }));
    dms.on(DescribeEndpointsCommand).callsFake((input) => {
      const endpointArns: string[] = input.Filters?.find((filter: { Name: string }) => filter.Name === 'endpoint-arn')?.Values ?? Object.keys(ENDPOINT_SECRETS);
      return {
        Endpoints: endpointArns
          .filter((endpointArn) => ENDPOINT_SECRETS[endpointArn])
          .map((EndpointArn) => ({ EndpointArn, EndpointIdentifier: EndpointArn.split(':').at(-1)?.toLowerCase(), EngineName: 'mysql', MySQLSettings: { SecretsManagerSecretId: ENDPOINT_SECRETS[EndpointArn] } })),
      };
    });
    this.fakeServerless();
    dms.on(DescribeReplicationInstancesCommand).resolves({
      ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication', ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, ReplicationInstanceStatus: 'available' }],
    });
  }

  /** The tables' statistics as DMS reports them once more: validation settles after the scenario's pending checks. */
  private tableStatistics(): TableStatistics[] {
    const fullLoadDone = this.task.ReplicationTaskStats?.FullLoadProgressPercent === 100;
    if (fullLoadDone) this.validationChecks += 1;
    const validated = fullLoadDone && this.validationChecks > this.scenario.pendingValidationChecks;
    return this.tables.map((table) => ({
      ...table,
      ...(validated
        ? this.scenario.validation === 'Validated' || table.TableName !== 'order_lines'
          ? { ValidationState: 'Validated' }
          : { ValidationState: 'Mismatched records', ValidationFailedRecords: 3 }
        : { ValidationState: 'Pending records', ValidationPendingRecords: 200 }),
    }));
  }

  /** DescribeReplicationTasks and DescribeReplications answer with throttling while the scenario says so. */
  private throttled(): void {
    if (this.throttledReads <= 0) return;
    this.throttledReads -= 1;
    throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
  }

  /**
   * The same simulated replication as a DMS Serverless one (serverlessReplication's shape): a task never started
   * is a config `created`, a running one is provisioned, the task's failure message is among FailureMessages.
   * Starting it with an unreachable source fails it in `testing_connection`, as DMS Serverless tests
   * connections itself when it starts.
   */
  private fakeServerless(): void {
    const dms = this.dms;
    const replication = (): Replication => {
      const { Status, StopReason, LastFailureMessage, ReplicationTaskStats, MigrationType } = this.task;
      return serverlessReplication({
        ReplicationType: MigrationType,
        Status: Status === 'ready' ? 'created' : Status,
        StopReason,
        FailureMessages: LastFailureMessage ? [LastFailureMessage] : undefined,
        ReplicationStats: ReplicationTaskStats,
        ProvisionData: Status === 'running' ? { ProvisionState: 'provisioned', ProvisionedCapacityUnits: 4 } : undefined,
      });
    };
    dms.on(DescribeReplicationsCommand).callsFake(() => {
      this.throttled();
      return { Replications: [replication()] };
    });
    dms.on(DescribeReplicationConfigsCommand).callsFake(() => ({
      ReplicationConfigs: [{ ReplicationConfigArn: REPLICATION_CONFIG_ARN, ReplicationConfigIdentifier: 'orders-serverless', ReplicationType: this.task.MigrationType, TableMappings: this.task.TableMappings, ComputeConfig: { MaxCapacityUnits: 4 } }],
    }));
    dms.on(StartReplicationCommand).callsFake((input) => {
      this.dmsActions.push(`StartReplication ${input.StartReplicationType}`);
      if (this.scenario.sourceConnection === 'failed') {
        this.task = { ...this.task, Status: 'failed', StopReason: 'Stop Reason FATAL_ERROR', LastFailureMessage: "Test connection for endpoint orders-ec2-mysql failed: Can't connect to MySQL server on '10.0.1.15' (110)" };
        return { Replication: { ...replication(), Status: 'initializing' } };
      }
      this.task = { ...this.task, Status: 'running', ReplicationTaskStartDate: new Date('2026-11-24T09:00:00Z'), ReplicationTaskStats: this.stats(0) };
      return { Replication: { ...replication(), Status: 'initializing' } };
    });
    dms.on(StopReplicationCommand).callsFake(() => {
      this.dmsActions.push('StopReplication');
      this.task = { ...this.task, Status: 'stopped', StopReason: 'Stop Reason NORMAL' };
      return { Replication: { ...replication(), Status: 'stopping' } };
    });
    dms.on(DescribeReplicationTableStatisticsCommand).callsFake(() => ({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, ReplicationTableStatistics: this.tableStatistics() }));
  }

  private fakeOthers(): void {
    const rds = mockClient(RDSClient);
    const rdsOperations = rdsService({ target: TARGET_CLUSTER, snapshots: [] }).operations;
    rds.on(DescribeDBClustersCommand).callsFake(answeredByEmulator(rdsOperations.DescribeDBClusters, { DBClusterNotFoundFault }));
    const { snapshotRefused } = this.scenario;
    rds
      .on(CreateDBClusterSnapshotCommand)
      .callsFake(
        snapshotRefused
          ? () => Promise.reject(Object.assign(new Error(`RDS refused the snapshot (${snapshotRefused})`), { name: snapshotRefused, $metadata: { httpStatusCode: 400 } }))
          : answeredByEmulator(rdsOperations.CreateDBClusterSnapshot, { DBClusterNotFoundFault, DBClusterSnapshotAlreadyExistsFault }),
      );

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
    sns.on(PublishCommand).callsFake(async (input) => {
      const attributes: Record<string, string> = Object.fromEntries(
        Object.entries((input.MessageAttributes ?? {}) as Record<string, { StringValue?: string }>).map(([name, value]) => [name, value.StringValue ?? '']),
      );
      const published = {
        kind: attributes.kind ?? '',
        subject: input.Subject ?? '',
        message: input.Message ?? '',
        topicArn: input.TopicArn ?? '',
        deliveredTo: deliveriesOf(this.subscriptions, input.TopicArn ?? '', attributes),
      };
      this.notifications.push(published);
      await this.scenario.onNotification?.(published);
      return { MessageId: `message-${this.notifications.length}` };
    });

    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    for (const [SecretId, SecretString] of Object.entries(this.scenario.databaseSecrets ?? {})) {
      secrets.on(GetSecretValueCommand, { SecretId }).resolves({ ARN: SecretId, Name: SecretId.split(':').at(-1), SecretString });
    }

    const sfn = mockClient(SFNClient);
    const stepFunctions = stepFunctionsService(this.tokens, new StepFunctionsExecutions([])).operations;
    sfn.on(SendTaskSuccessCommand).callsFake(answeredByEmulator(stepFunctions.SendTaskSuccess, { TaskTimedOut }));
    sfn.on(SendTaskFailureCommand).callsFake(answeredByEmulator(stepFunctions.SendTaskFailure, { TaskTimedOut }));
    // Any other execution of this state machine (a lock holder) is still running.
    sfn.on(DescribeExecutionCommand).callsFake((input) => ({ executionArn: input.executionArn, status: 'RUNNING', startDate: new Date('2026-11-24T23:00:00Z') }));

    // The approval reminder's one-time schedule: created, never fired within a local run.
    const scheduler = mockClient(SchedulerClient);
    scheduler.on(CreateScheduleCommand).callsFake((input) => ({ ScheduleArn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/${input.GroupName}/${input.Name}` }));

    const eventBridge = mockClient(EventBridgeClient);
    const rules = eventBridgeService(this.eventRules).operations;
    eventBridge.on(EnableRuleCommand).callsFake(answeredByEmulator(rules.EnableRule, { ResourceNotFoundException }));
    eventBridge.on(DisableRuleCommand).callsFake(answeredByEmulator(rules.DisableRule, { ResourceNotFoundException }));

    this.stubs.push(rds, cloudWatch, ssm, sns, secrets, sfn, scheduler, eventBridge, fakeDynamoDbTable(this.items), this.fakeS3());
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
}
