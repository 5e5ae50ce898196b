import { Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { snapshotIdentifierPrefix } from '../../functions/shared/snapshots';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import { migrationResourceArns, type MigrationResourceArns } from './migration-resources';
import { PhaseFunction } from './phase-function';

export interface MigrationOrchestratorProps {
  /** The validated migration: its ARNs scope every IAM policy. */
  readonly migration: MigrationConfig;
  /** Addresses subscribed to the notification topic. @default none */
  readonly notificationEmails?: string[];
}

/** The phase functions of one migration, by phase. */
export interface PhaseFunctions {
  readonly validateInput: PhaseFunction;
  readonly checkTarget: PhaseFunction;
  readonly testConnections: PhaseFunction;
  readonly startTask: PhaseFunction;
  readonly checkProgress: PhaseFunction;
  readonly checkValidation: PhaseFunction;
  readonly cutover: PhaseFunction;
  readonly notify: PhaseFunction;
}

/**
 * Everything one DMS migration needs to be driven safely: the phase functions, each with a role that can
 * touch only this migration's resources, and an encrypted notification topic.
 */
export class MigrationOrchestrator extends Construct {
  /** Customer-managed key for the topic and the log groups. */
  readonly key: Key;
  readonly topic: Topic;
  readonly functions: PhaseFunctions;
  readonly resourceArns: MigrationResourceArns;

  constructor(scope: Construct, id: string, props: MigrationOrchestratorProps) {
    super(scope, id);
    const { migration } = props;
    const arns = migrationResourceArns(migration, snapshotIdentifierPrefix(migration.migrationName));
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

    const phase = (name: string, phaseId: string, description: string, environment?: Record<string, string>) =>
      new PhaseFunction(this, phaseId, { phase: name, description, logKey: this.key, environment });

    this.functions = {
      validateInput: phase('validate-input', 'ValidateInput', 'Validates the migration input'),
      checkTarget: phase('check-target', 'CheckTarget', 'Checks the target Aurora/RDS database is available'),
      testConnections: phase('test-connections', 'TestConnections', 'Tests the DMS source and target endpoints'),
      startTask: phase('start-task', 'StartTask', 'Starts or resumes the replication task safely'),
      checkProgress: phase('check-progress', 'CheckProgress', 'Reports full-load progress'),
      checkValidation: phase('check-validation', 'CheckValidation', 'Summarizes DMS data validation'),
      cutover: phase('cutover', 'Cutover', 'Checks preconditions and cuts over to the target'),
      notify: phase('notify', 'Notify', 'Publishes migration notifications', { TOPIC_ARN: this.topic.topicArn }),
    };
    this.grantLeastPrivilege(arns);
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

    this.topic.grantPublish(functions.notify);

    if (functions.notify.role) {
      Validations.of(functions.notify.role).acknowledge({
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
