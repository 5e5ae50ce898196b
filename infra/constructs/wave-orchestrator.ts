import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { StateMachine, type IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENVIRONMENT } from '../../functions/shared/environment';
import { WaveWorkflow } from '../../statemachine/wave-definition';
import { allow, grantPublish } from '../phases/phase';
import { ApprovalPage } from './approval-api';
import { migrationStateMachineName } from './migration-orchestrator';
import { approvalSigningKey, loggedStateMachine, orchestrationKey, tokenTable } from './orchestration-resources';
import { PhaseFunction } from './phase-function';

export interface WaveOrchestratorProps {
  /**
   * The migration stacks a wave may start, by stack name: each has its state machine `<stack name>-migration`
   * (infra/constructs/migration-orchestrator.ts). The wave's role can start those and no other.
   */
  readonly migrationStackNames: string[];
  /** Addresses subscribed to the wave's topic (its approval request and summary). @default none */
  readonly notificationEmails?: string[];
  /** How long the wave's approval stays open. @default 24 hours */
  readonly approvalTimeout?: Duration;
  /** Link to this address instead of the approval API's own (a custom domain in front of it). @default the API's /review route */
  readonly approvalPageUrl?: string;
}

/**
 * The wave: its state machine (statemachine/wave-definition.ts), whose role may start and follow the
 * migration stacks' state machines only; its two functions; a token table for its approval, the approval page
 * its e-mail links to (where the approver chooses which migrations to approve) and an encrypted topic for its
 * e-mails.
 */
export class WaveOrchestrator extends Construct {
  readonly key: Key;
  readonly topic: Topic;
  readonly tokenTable: Table;
  readonly approvalSigningKey: Secret;
  readonly approvalPage: ApprovalPage;
  readonly stateMachine: StateMachine;
  readonly functions: { wave: PhaseFunction; milestones: PhaseFunction };
  /** `<stack name>-wave`, fixed like the migrations' state machine names. */
  readonly stateMachineName: string;
  /** The migration stacks' state machines the wave may start, by stack name (`<stack name>-migration`). */
  readonly migrationStateMachines: Array<{ stackName: string; stateMachine: IStateMachine }>;

  constructor(scope: Construct, id: string, props: WaveOrchestratorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.migrationStackNames.length === 0) throw new Error('A wave needs at least one migration stack to start');
    this.stateMachineName = `${stack.stackName}-wave`.slice(0, 80);
    this.key = orchestrationKey(this, `dms-orchestrator wave ${stack.stackName}: notifications and logs`);
    this.topic = new Topic(this, 'Notifications', { displayName: `DMS wave: ${stack.stackName}`, masterKey: this.key, enforceSSL: true });
    for (const email of props.notificationEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    this.tokenTable = tokenTable(this);
    this.approvalSigningKey = approvalSigningKey(this, `dms-orchestrator wave ${stack.stackName}: HMAC key for approval links`, this.key);
    this.approvalPage = new ApprovalPage(this, 'ApprovalPage', {
      tokenTable: this.tokenTable,
      signingKey: this.approvalSigningKey,
      logKey: this.key,
      approvalPageUrl: props.approvalPageUrl,
    });
    const approvalTimeout = props.approvalTimeout ?? Duration.hours(24);

    const wave = new PhaseFunction(this, 'Wave', { entry: 'wave/handler', description: 'The wave’s decisions between its child executions', logKey: this.key });
    const milestones = new PhaseFunction(this, 'Milestones', {
      entry: 'wave-milestones/handler',
      description: 'The wave’s approval request and summary e-mails',
      logKey: this.key,
      environment: {
        [ENVIRONMENT.tokenTableName]: this.tokenTable.tableName,
        [ENVIRONMENT.topicArn]: this.topic.topicArn,
        [ENVIRONMENT.approvalTimeoutSeconds]: String(approvalTimeout.toSeconds()),
        [ENVIRONMENT.approvalKeySecretArn]: this.approvalSigningKey.secretArn,
        [ENVIRONMENT.approvalBaseUrl]: this.approvalPage.reviewUrl,
      },
    });
    milestones.addToRolePolicy(allow(['dynamodb:PutItem'], [this.tokenTable.tableArn]));
    this.approvalSigningKey.grantRead(milestones);
    grantPublish(milestones, this.topic);
    this.functions = { wave, milestones };

    const workflow = new WaveWorkflow(this, 'Workflow', { wave, milestones, approvalTimeout });
    this.stateMachine = loggedStateMachine(this, {
      stateMachineName: this.stateMachineName,
      definitionBody: workflow.definitionBody,
      comment: 'Migration wave: prepare, approve once, cut over in order',
      key: this.key,
    });
    this.migrationStateMachines = props.migrationStackNames.map((stackName) => ({
      stackName,
      stateMachine: StateMachine.fromStateMachineName(this, `Migration${stackName}`, migrationStateMachineName(stackName)),
    }));
    this.grantChildExecutions();
  }

  /**
   * What a `.sync` child execution needs (Step Functions developer guide, "IAM policies for AWS Step Functions",
   * synchronous StartExecution): start on the child state machines, describe and stop their executions, and the
   * managed rule StepFunctionsGetEventsForStepFunctionsExecutionRule through which the service follows them.
   */
  private grantChildExecutions(): void {
    const stack = Stack.of(this);
    const names = this.migrationStateMachines.map(({ stackName }) => migrationStateMachineName(stackName));
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(allow(['states:StartExecution'], names.map((name) => `arn:${stack.partition}:states:${stack.region}:${stack.account}:stateMachine:${name}`)));
    const executions = names.map((name) => `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${name}:*`);
    role.addToPrincipalPolicy(allow(['states:DescribeExecution', 'states:StopExecution'], executions));
    role.addToPrincipalPolicy(
      allow(['events:PutTargets', 'events:PutRule', 'events:DescribeRule'], [`arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`]),
    );
    Validations.of(role).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray tracing and CloudWatch Logs delivery (logs:*LogDelivery*) have no resource-level permissions.' },
      ...executions.map((arn) => ({
        // As cdk-nag names the resource: resolved where the stack's environment is known, tokens named otherwise.
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResourceName(stack, arn)}]`,
        reason: 'The executions the wave starts of this migration state machine: their names are made per wave.',
      })),
      ...[this.functions.wave, this.functions.milestones].map((fn) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
        reason: 'Invoking versions of the wave’s own functions (granted by the Lambda task integration).',
      })),
    );
  }
}

function nagResourceName(stack: Stack, arn: string): string {
  const resolved: unknown = stack.resolve(arn);
  if (typeof resolved === 'string') return resolved;
  const joined = resolved as { 'Fn::Join': [string, Array<string | { Ref: string }>] };
  return joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${part.Ref}>`)).join('');
}
