import { type Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { FunctionEnvironment } from '../../functions/shared/environment';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import type { ReplicationEngine } from '../../functions/shared/replication';
import type { MigrationResourceArns } from '../constructs/migration-resources';
import type { PhaseFunction } from '../constructs/phase-function';

/**
 * One phase of the migration, declared once: where its handler is, how its function is set up, the
 * environment it reads and what its role may do. `Context` is what its settings and grants are made from.
 */
export interface PhaseDefinition<Context> {
  /** Folder under functions/ that holds the phase's code. */
  readonly folder: string;
  /** The handler's file in that folder, without `.ts`; a phase with two entry points names each. @default handler */
  readonly handlerFile?: string;
  readonly description: string;
  /** @default 30 seconds (PhaseFunction) */
  readonly timeout?: Duration;
  /** @default 256 MB (PhaseFunction) */
  readonly memorySize?: number;
  /** Runs in the database network, when the deployment gives one: the function opens MySQL sessions. */
  readonly network?: boolean;
  /** The variables its handler reads (functions/shared/environment.ts). */
  environment?(context: Context): FunctionEnvironment;
  /** Everything its role may do beyond writing its own logs, scoped to this migration's resources. */
  grant?(fn: PhaseFunction, context: Context): void;
}

/** What the orchestrator's phases are set up from: the migration and the stack's own resources. */
export interface OrchestratorContext {
  readonly migration: MigrationConfig;
  readonly arns: MigrationResourceArns;
  readonly tokenTable: ITable;
  readonly topic: ITopic;
  readonly approvalSigningKey: ISecret;
  /** Fixed ahead of the state machine, so roles can name it without depending on it. */
  readonly stateMachineName: string;
  readonly approvalTimeout: Duration;
  readonly progressMilestonePercent: number;
  /** The rule that wakes the full-load watcher while a wait is parked; named ahead, as the functions turn it on and off. */
  readonly fullLoadCheckRuleName: string;
}

/** What the database-facing phases are set up from. */
export interface DatabaseContext {
  readonly database: NonNullable<MigrationConfig['database']>;
  readonly replicationEngine: ReplicationEngine;
  readonly plansBucket: IBucket;
}

export function allow(actions: string[], resources: string[]): PolicyStatement {
  return new PolicyStatement({ effect: Effect.ALLOW, actions, resources });
}

/** The endpoints' server names, compared with the database secrets' hosts (no resource-level permission either). */
export function describeEndpoints(): PolicyStatement {
  return allow(['dms:DescribeEndpoints'], ['*']);
}

/** Publishing to the notification topic, whose KMS key needs GenerateDataKey* (granted by Topic.grantPublish). */
export function grantPublish(fn: PhaseFunction, topic: ITopic): void {
  topic.grantPublish(fn);
  if (!fn.role) return;
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason: 'Publishing to the KMS-encrypted topic needs GenerateDataKey* on the topic key only (granted by Topic.grantPublish).',
  });
}

/**
 * Handing a workflow's task token back. SendTaskSuccess and SendTaskFailure take no resource-level
 * permissions (Service Authorization Reference: no resource types, "*" only), so a grant on the state
 * machine's ARN never matches and the call is denied; the token itself names the waiting state.
 */
export function sendTaskResponse(): PolicyStatement {
  return allow(['states:SendTaskSuccess', 'states:SendTaskFailure'], ['*']);
}

/** A condition that limits DynamoDB item actions to keys starting with `<prefix>#` (one of the prefixes). */
export function ownItems(...prefixes: string[]): Record<string, unknown> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}#*`) } };
}
