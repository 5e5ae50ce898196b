import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { ENGINE_FACTS } from '../../functions/shared/replication';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { snapshotIdentifierPrefix } from '../../functions/shared/snapshots';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import { MigrationWorkflow } from '../../statemachine/definition';
import { createPhaseFunctions, ORCHESTRATOR_PHASES, type DatabaseCheckPhase, type OrchestratorPhase } from '../phases';
import { ApprovalApi } from './approval-api';
import { DatabaseFunctions, type DatabaseNetwork } from './database-functions';
import { migrationResourceArns, type MigrationResourceArns } from './migration-resources';
import { NetworkEndpoints } from './network-endpoints';
import { approvalSigningKey, loggedStateMachine, orchestrationKey, tokenTable } from './orchestration-resources';
import type { PhaseFunction } from './phase-function';

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
  /**
   * How often the watcher looks at a parked full load between DMS events: the end of a full-load-and-cdc task's
   * load has no event, so this bounds how late it is noticed. @default 1 minute
   */
  readonly progressCheckInterval?: Duration;
  /** The network the database-facing functions run in (only with `migration.database`). @default no VPC */
  readonly databaseNetwork?: DatabaseNetwork;
}

/** The phase functions of one migration, by phase (infra/phases); the database checks only when the migration has `database`. */
export type PhaseFunctions = Record<OrchestratorPhase, PhaseFunction> & Partial<Record<DatabaseCheckPhase, PhaseFunction>>;

/** A migration stack's state machine name, `<stack name>-migration`: the wave stack starts and watches it by this name. */
export function migrationStateMachineName(stackName: string): string {
  return `${stackName}-migration`.slice(0, 80);
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
  readonly databaseFunctions?: DatabaseFunctions;
  /** `<stack name>-migration`: fixed, so roles can name the state machine without depending on it. */
  readonly stateMachineName: string;
  /** The cutover approval page and its reminder. */
  readonly approvalApi: ApprovalApi;
  /** What the functions in the database network call, and the endpoints created for it; only with a network. */
  readonly networkEndpoints?: NetworkEndpoints;

  constructor(scope: Construct, id: string, props: MigrationOrchestratorProps) {
    super(scope, id);
    const { migration } = props;
    this.stateMachineName = migrationStateMachineName(Stack.of(this).stackName);
    const arns = migrationResourceArns(migration, snapshotIdentifierPrefix(migration.migrationName), Stack.of(this));
    this.resourceArns = arns;

    this.key = orchestrationKey(this, `dms-orchestrator ${migration.migrationName}: notifications and logs`);

    this.topic = new Topic(this, 'Notifications', {
      displayName: `DMS migration: ${migration.migrationName}`,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.notificationEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));

    this.tokenTable = tokenTable(this);
    this.approvalSigningKey = approvalSigningKey(this, `dms-orchestrator ${migration.migrationName}: HMAC key for approval links`, this.key);

    const approvalTimeout = props.approvalTimeout ?? Duration.hours(24);
    this.databaseFunctions =
      migration.database && new DatabaseFunctions(this, 'DatabaseChecks', { database: migration.database, replicationEngine: arns.engine, logKey: this.key, network: props.databaseNetwork });
    const fullLoadCheckRuleName = `${Stack.of(this).stackName}-full-load-checks`.slice(0, 64);
    const context = {
      migration,
      arns,
      tokenTable: this.tokenTable,
      topic: this.topic,
      approvalSigningKey: this.approvalSigningKey,
      stateMachineName: this.stateMachineName,
      approvalTimeout,
      progressMilestonePercent: props.progressMilestonePercent ?? 25,
      fullLoadCheckRuleName,
    };
    this.functions = {
      ...createPhaseFunctions(this, ORCHESTRATOR_PHASES, context, { logKey: this.key, network: this.databaseFunctions?.network }),
      ...this.databaseFunctions?.functions,
    };
    // After every phase's grants: the endpoints are derived from what the functions in the network may call.
    const network = this.databaseFunctions?.network;
    if (network && props.databaseNetwork) {
      this.networkEndpoints = new NetworkEndpoints(this, 'NetworkEndpoints', {
        network,
        functions: Object.values<PhaseFunction>(this.functions).filter((fn) => fn.isBoundToVpc),
        mode: props.databaseNetwork.vpcEndpoints ?? 'existing',
        routeTableIds: props.databaseNetwork.routeTableIds,
      });
    }

    // Every state change of this replication wakes the watcher; it reads the replication itself, so the event's
    // content does not matter and a lost event only delays the workflow until the next periodic check. Both
    // engines' events carry the replication's ARN (task or replication config) in `resources`.
    new Rule(this, 'TaskStateChanges', {
      description: `DMS state changes of ${migration.migrationName}'s replication ${ENGINE_FACTS[arns.engine].noun}`,
      eventPattern: {
        source: ['aws.dms'],
        detailType: [ENGINE_FACTS[arns.engine].stateChangeDetailType],
        resources: [arns.replication],
      },
      targets: [new LambdaFunction(this.functions.fullLoadWatcher, { retryAttempts: 4 })],
    });
    // Off until a full-load wait is parked: the wait's functions turn it on and off (functions/full-load-wait).
    new Rule(this, 'FullLoadChecks', {
      ruleName: fullLoadCheckRuleName,
      description: `Full-load checks of ${migration.migrationName} while the workflow waits for the load`,
      schedule: Schedule.rate(props.progressCheckInterval ?? Duration.minutes(1)),
      enabled: false,
      targets: [new LambdaFunction(this.functions.fullLoadWatcher, { retryAttempts: 2 })],
    });

    const workflow = new MigrationWorkflow(this, 'Workflow', {
      functions: this.functions,
      fullLoadSafetyNet: props.fullLoadSafetyNet,
      approvalTimeout,
      databaseChecks: this.databaseFunctions && { functions: this.databaseFunctions.functions, plansBucket: this.databaseFunctions.plansBucket },
    });
    this.stateMachine = loggedStateMachine(this, {
      stateMachineName: this.stateMachineName,
      definitionBody: workflow.definitionBody,
      comment: `Migration runbook: ${migration.migrationName}`,
      key: this.key,
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
      approvers: migration.approval?.approvers,
      replicationEngine: arns.engine,
    });
    this.acknowledgeStateMachineAccess();
    this.databaseFunctions?.acknowledgeStateMachineAccess(this.stateMachine);
  }

  /** What CDK grants the state machine role beyond single resources, and why. */
  private acknowledgeStateMachineAccess(): void {
    const { functions } = this;
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
  }
}
