import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { snapshotIdentifierPrefix } from '../../functions/shared/snapshots';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import { MigrationWorkflow } from '../../statemachine/definition';
import { ApprovalApi } from './approval-api';
import { DatabaseChecks, type DatabaseCheckPhaseFunctions, type DatabaseNetwork } from './database-checks';
import { migrationResourceArns, type MigrationResourceArns } from './migration-resources';
import { PhaseFunction } from './phase-function';

export interface MigrationOrchestratorProps {
  /** The validated migration: its ARNs scope every IAM policy. */
  readonly migration: MigrationConfig;
  /** Addresses subscribed to the notification topic. @default none */
  readonly notificationEmails?: string[];
  /** Link the approval e-mail to this address instead of the approval API's own (a custom domain). @default the API's review route */
  readonly approvalPageUrl?: string;
  /** Remind the approvers once when nobody has decided after this long. @default 4 hours */
  readonly approvalReminderAfter?: Duration;
  /** How long a cutover approval request stays open before the workflow ends without cutover. @default 24 hours */
  readonly approvalTimeout?: Duration;
  /** The full-load wait's safety net: the workflow checks progress itself when no DMS event came for this long. @default 2 hours */
  readonly fullLoadSafetyNet?: Duration;
  /** Progress e-mails each time the full load crosses a multiple of this percentage. @default 25 */
  readonly progressMilestonePercent?: number;
  /** How often the watcher looks at the full load between DMS events, for progress milestones. @default 15 minutes */
  readonly progressCheckInterval?: Duration;
  /** The network the database-facing functions run in (only with `migration.database`). @default no VPC */
  readonly databaseNetwork?: DatabaseNetwork;
}

/** The phase functions of one migration, by phase; the database checks only when the migration has `database`. */
export interface PhaseFunctions extends Partial<DatabaseCheckPhaseFunctions> {
  readonly validateInput: PhaseFunction;
  readonly checkTarget: PhaseFunction;
  readonly testConnections: PhaseFunction;
  readonly startTask: PhaseFunction;
  readonly checkProgress: PhaseFunction;
  readonly checkValidation: PhaseFunction;
  readonly cutover: PhaseFunction;
  readonly notify: PhaseFunction;
  readonly awaitFullLoad: PhaseFunction;
  readonly fullLoadWatcher: PhaseFunction;
  readonly requestApproval: PhaseFunction;
  readonly runLock: PhaseFunction;
}

/**
 * Everything one DMS migration needs to be driven safely: the workflow, its phase functions (each with a role
 * that can touch only this migration's resources), the event-driven full-load wait, and an encrypted
 * notification topic.
 */
export class MigrationOrchestrator extends Construct {
  /** Customer-managed key for the topic and the log groups. */
  readonly key: Key;
  readonly topic: Topic;
  readonly functions: PhaseFunctions;
  readonly resourceArns: MigrationResourceArns;
  /** Task tokens of parked workflows: full-load waits and approval requests. */
  readonly tokenTable: Table;
  /** The key approval links are signed with. */
  readonly approvalSigningKey: Secret;
  readonly stateMachine: StateMachine;
  /** Readiness and independent data comparison, when the migration gives direct database access. */
  readonly databaseChecks?: DatabaseChecks;
  /** `<stack name>-migration`: fixed, so roles can name the state machine without depending on it. */
  readonly stateMachineName: string;
  /** The cutover approval page and its reminder. */
  readonly approvalApi: ApprovalApi;
  private readonly migration: MigrationConfig;

  constructor(scope: Construct, id: string, props: MigrationOrchestratorProps) {
    super(scope, id);
    const { migration } = props;
    this.migration = migration;
    this.stateMachineName = `${Stack.of(this).stackName}-migration`.slice(0, 80);
    const arns = migrationResourceArns(migration, snapshotIdentifierPrefix(migration.migrationName), Stack.of(this));
    this.resourceArns = arns;

    this.key = new Key(this, 'Key', {
      description: `dms-orchestrator ${migration.migrationName}: notifications and logs`,
      enableKeyRotation: true,
    });
    // CloudWatch Logs encrypts log groups with this key only when its key policy lets the service use it.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${Stack.of(this).region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${arns.partition}:logs:${arns.region}:${arns.account}:*` },
        },
      }),
    );

    this.topic = new Topic(this, 'Notifications', {
      displayName: `DMS migration: ${migration.migrationName}`,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.notificationEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));

    this.tokenTable = new Table(this, 'Tokens', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      // Encrypted with the DynamoDB-managed KMS key: callers need no KMS grants, so the functions' roles stay
      // down to the item actions they use.
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.approvalSigningKey = new Secret(this, 'ApprovalSigningKey', {
      description: `dms-orchestrator ${migration.migrationName}: HMAC key for approval links`,
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.approvalSigningKey).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason: 'Rotating the link-signing key would invalidate pending approval links; a new request is one click away, so rotation is left to the operator.',
    });

    const approvalTimeout = props.approvalTimeout ?? Duration.hours(24);
    const waitSettings = {
      TOKEN_TABLE_NAME: this.tokenTable.tableName,
      TOPIC_ARN: this.topic.topicArn,
      PROGRESS_MILESTONE_PERCENT: String(props.progressMilestonePercent ?? 25),
    };
    const phase = (name: string, phaseId: string, description: string, environment?: Record<string, string>) =>
      new PhaseFunction(this, phaseId, { phase: name, description, logKey: this.key, environment });
    this.databaseChecks =
      migration.database && new DatabaseChecks(this, 'DatabaseChecks', { database: migration.database, logKey: this.key, network: props.databaseNetwork });

    this.functions = {
      validateInput: phase('validate-input', 'ValidateInput', 'Validates the migration input'),
      checkTarget: phase('check-target', 'CheckTarget', 'Checks the target Aurora/RDS database is available'),
      testConnections: phase('test-connections', 'TestConnections', 'Tests the DMS source and target endpoints'),
      startTask: phase('start-task', 'StartTask', 'Starts or resumes the replication task safely'),
      checkProgress: phase('check-progress', 'CheckProgress', 'Reports full-load progress'),
      checkValidation: phase('check-validation', 'CheckValidation', 'Summarizes DMS data validation'),
      // Long enough for the catch-up wait (at most 600 s, cutover.writeFreeze.catchUpTimeoutSeconds) and the steps around it.
      cutover: new PhaseFunction(this, 'Cutover', {
        phase: 'cutover',
        description: 'Gate, write freeze, catch-up proof, switch and way back',
        logKey: this.key,
        environment: { TOKEN_TABLE_NAME: this.tokenTable.tableName },
        timeout: Duration.minutes(12),
        // The freeze and the marker open sessions on both databases, from where the database checks run.
        network: this.databaseChecks?.network,
      }),
      notify: phase('notify', 'Notify', 'Publishes migration notifications', { TOPIC_ARN: this.topic.topicArn }),
      awaitFullLoad: phase('await-full-load', 'AwaitFullLoad', 'Parks the workflow until the full load ends', waitSettings),
      fullLoadWatcher: phase('full-load-watcher', 'FullLoadWatcher', 'Ends the full-load wait on DMS events', {
        ...waitSettings,
        REPLICATION_TASK_ARN: migration.replicationTaskArn,
      }),
      requestApproval: phase('request-approval', 'RequestApproval', 'Asks a person to approve the cutover', {
        TOKEN_TABLE_NAME: this.tokenTable.tableName,
        TOPIC_ARN: this.topic.topicArn,
        APPROVAL_TIMEOUT_SECONDS: String(approvalTimeout.toSeconds()),
        APPROVAL_KEY_SECRET_ARN: this.approvalSigningKey.secretArn,
      }),
      runLock: phase('run-lock', 'RunLock', 'One run per migration: takes and releases the run lock', { TOKEN_TABLE_NAME: this.tokenTable.tableName }),
      ...this.databaseChecks?.functions,
    };

    // Every state change of this task wakes the watcher; it reads the task itself, so the event's content
    // does not matter and a lost event only delays the workflow until the next periodic check.
    new Rule(this, 'TaskStateChanges', {
      description: `DMS state changes of ${migration.migrationName}'s replication task`,
      eventPattern: {
        source: ['aws.dms'],
        detailType: ['DMS Replication Task State Change'],
        resources: [migration.replicationTaskArn],
      },
      targets: [new LambdaFunction(this.functions.fullLoadWatcher, { retryAttempts: 4 })],
    });
    new Rule(this, 'ProgressChecks', {
      description: `Periodic full-load progress check of ${migration.migrationName}`,
      schedule: Schedule.rate(props.progressCheckInterval ?? Duration.minutes(15)),
      targets: [new LambdaFunction(this.functions.fullLoadWatcher, { retryAttempts: 2 })],
    });

    const workflow = new MigrationWorkflow(this, 'Workflow', {
      functions: this.functions,
      fullLoadSafetyNet: props.fullLoadSafetyNet,
      approvalTimeout,
      databaseChecks: this.databaseChecks && { functions: this.databaseChecks.functions, plansBucket: this.databaseChecks.plansBucket },
    });
    const executionLogs = new LogGroup(this, 'WorkflowLogs', {
      retention: RetentionDays.SIX_MONTHS,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: workflow.definitionBody,
      comment: `Migration runbook: ${migration.migrationName}`,
      tracingEnabled: true,
      // Inputs name resources and outputs carry progress: both stay out of the logs.
      logs: { destination: executionLogs, level: LogLevel.ALL, includeExecutionData: false },
    });
    this.approvalApi = new ApprovalApi(this, 'ApprovalApi', {
      tokenTable: this.tokenTable,
      signingKey: this.approvalSigningKey,
      topic: this.topic,
      logKey: this.key,
      stateMachineArn: `arn:${arns.partition}:states:${arns.region}:${arns.account}:stateMachine:${this.stateMachineName}`,
      requestApproval: this.functions.requestApproval,
      reminderAfter: props.approvalReminderAfter,
      approvalPageUrl: props.approvalPageUrl,
    });
    this.grantLeastPrivilege(arns);
    this.databaseChecks?.acknowledgeStateMachineAccess(this.stateMachine);
  }

  /**
   * The lossless cutover's extra reach: its own items in the token table (the run lock, the cutover record),
   * the database secrets for the freeze and the marker, and the reverse task. The reverse task's ARN is
   * generated by DMS, so task actions are scoped by the tag the function puts on it at creation.
   */
  private grantCutoverSafety(arns: MigrationResourceArns): void {
    const { functions, tokenTable } = this;
    const migration = this.migration;
    const ownItems = (prefix: string) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}#*`] } });
    functions.runLock.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'], resources: [tokenTable.tableArn], conditions: ownItems('lock') }),
    );
    const executions = `arn:${arns.partition}:states:${arns.region}:${arns.account}:execution:${this.stateMachineName}:*`;
    functions.runLock.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    if (functions.runLock.role) {
      Validations.of(functions.runLock.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${executions}]`,
        reason: 'The lock holder can be any execution of this migration’s own state machine; DescribeExecution only reads whether it still runs.',
      });
    }
    functions.cutover.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:GetItem'], resources: [tokenTable.tableArn], conditions: ownItems('cutover') }),
    );
    if (migration.database) {
      functions.cutover.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [migration.database.sourceSecretArn, migration.database.targetSecretArn] }),
      );
    }
    const { reverseSourceEndpointArn, reverseTargetEndpointArn } = migration.rollback;
    if (migration.rollback.enabled && reverseSourceEndpointArn && reverseTargetEndpointArn) {
      const reverseTasks = `arn:${arns.partition}:dms:${arns.region}:${arns.account}:task:*`;
      const tagged = { StringEquals: { 'aws:ResourceTag/dms-orchestrator:migration': migration.migrationName } };
      functions.cutover.addToRolePolicy(new PolicyStatement({ actions: ['dms:DescribeConnections'], resources: ['*'] }));
      functions.cutover.addToRolePolicy(
        new PolicyStatement({ actions: ['dms:TestConnection'], resources: [reverseSourceEndpointArn, reverseTargetEndpointArn, arns.replicationInstance] }),
      );
      functions.cutover.addToRolePolicy(
        new PolicyStatement({
          actions: ['dms:CreateReplicationTask'],
          resources: [reverseSourceEndpointArn, reverseTargetEndpointArn, arns.replicationInstance, reverseTasks],
        }),
      );
      functions.cutover.addToRolePolicy(
        new PolicyStatement({
          actions: ['dms:AddTagsToResource'],
          resources: [reverseTasks],
          conditions: { StringEquals: { 'aws:RequestTag/dms-orchestrator:migration': migration.migrationName } },
        }),
      );
      functions.cutover.addToRolePolicy(
        new PolicyStatement({ actions: ['dms:StartReplicationTask', 'dms:StopReplicationTask', 'dms:DeleteReplicationTask'], resources: [reverseTasks], conditions: tagged }),
      );
      if (functions.cutover.role) {
        Validations.of(functions.cutover.role).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${reverseTasks}]`,
          reason: 'The reverse replication task gets its ARN from DMS at creation; start, stop and delete are limited to tasks tagged with this migration.',
        });
      }
    }
  }

  private grantLeastPrivilege(arns: MigrationResourceArns): void {
    const { functions } = this;
    const allow = (actions: string[], resources: string[]) =>
      new PolicyStatement({ effect: Effect.ALLOW, actions, resources });
    // DMS Describe* list calls take no resource-level permissions (Service Authorization Reference), so they
    // need "*"; every call that reads or changes one resource is scoped to this migration's ARN.
    const describeTasks = allow(['dms:DescribeReplicationTasks'], ['*']);
    const tableStatistics = allow(['dms:DescribeTableStatistics'], [arns.replicationTask]);

    functions.testConnections.addToRolePolicy(
      allow(['dms:TestConnection'], [arns.sourceEndpoint, arns.targetEndpoint, arns.replicationInstance]),
    );
    functions.testConnections.addToRolePolicy(allow(['dms:DescribeConnections'], ['*']));

    const describeTarget = allow(['rds:DescribeDBClusters', 'rds:DescribeDBInstances'], [arns.target]);
    functions.checkTarget.addToRolePolicy(describeTarget);

    functions.startTask.addToRolePolicy(describeTasks);
    functions.startTask.addToRolePolicy(allow(['dms:StartReplicationTask'], [arns.replicationTask]));

    functions.checkProgress.addToRolePolicy(describeTasks);
    functions.checkProgress.addToRolePolicy(tableStatistics);

    functions.checkValidation.addToRolePolicy(tableStatistics);

    functions.cutover.addToRolePolicy(allow(['dms:DescribeReplicationTasks', 'dms:DescribeReplicationInstances'], ['*']));
    functions.cutover.addToRolePolicy(tableStatistics);
    functions.cutover.addToRolePolicy(allow(['dms:StopReplicationTask'], [arns.replicationTask]));
    // GetMetricData has no resource-level permissions; the function only reads AWS/DMS latency metrics.
    functions.cutover.addToRolePolicy(allow(['cloudwatch:GetMetricData'], ['*']));
    functions.cutover.addToRolePolicy(
      allow(['rds:CreateDBClusterSnapshot', 'rds:CreateDBSnapshot', 'rds:AddTagsToResource'], [arns.target, arns.targetSnapshots]),
    );
    functions.cutover.addToRolePolicy(allow(['ssm:GetParameter', 'ssm:PutParameter'], [arns.endpointParameter]));
    this.grantCutoverSafety(arns);

    this.topic.grantPublish(functions.notify);

    for (const waiting of [functions.awaitFullLoad, functions.fullLoadWatcher]) {
      waiting.addToRolePolicy(describeTasks);
      waiting.addToRolePolicy(tableStatistics);
      waiting.addToRolePolicy(allow(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [this.tokenTable.tableArn]));
      // The ARN is spelled out from the name: referencing the state machine would make it depend on these
      // functions and them on it, a cycle CloudFormation cannot deploy.
      waiting.addToRolePolicy(
        allow(
          ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          [`arn:${arns.partition}:states:${arns.region}:${arns.account}:stateMachine:${this.stateMachineName}`],
        ),
      );
      this.topic.grantPublish(waiting);
    }
    functions.requestApproval.addToRolePolicy(allow(['dynamodb:PutItem'], [this.tokenTable.tableArn]));
    this.topic.grantPublish(functions.requestApproval);
    this.approvalSigningKey.grantRead(functions.requestApproval);

    const stateMachineRole = this.stateMachine.role;
    Validations.of(stateMachineRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing and CloudWatch Logs delivery (logs:*LogDelivery*) have no resource-level permissions.',
      },
      ...Object.values(functions).map((fn) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason: 'Invoking versions of the workflow’s own functions (granted by the Lambda task integration).',
      })),
    );
    for (const publisher of [functions.notify, functions.awaitFullLoad, functions.fullLoadWatcher, functions.requestApproval]) {
      if (!publisher.role) continue;
      Validations.of(publisher.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to the KMS-encrypted topic needs GenerateDataKey* on the topic key only (granted by Topic.grantPublish).',
      });
    }
    if (functions.cutover.role) {
      Validations.of(functions.cutover.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arns.targetSnapshots}]`,
        reason: 'The cutover creates snapshots whose names start with this migration’s prefix; the timestamp suffix is not known in advance.',
      });
    }
  }
}
