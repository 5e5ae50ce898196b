import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { ENVIRONMENT } from '../../functions/shared/environment';
import type { PhaseFunction } from '../constructs/phase-function';
import { allow, describeEndpoints, type DatabaseContext, type PhaseDefinition } from './phase';
import { describeReplication } from './replication-grants';

/**
 * The readiness check and the independent data comparison. Only these functions (and the cutover) may read
 * the two database secrets, and only those two; the comparison's functions share the plans bucket's `runs/`.
 */
function readSecrets(fn: PhaseFunction, { database }: DatabaseContext): void {
  fn.addToRolePolicy(allow(['secretsmanager:GetSecretValue'], [database.sourceSecretArn, database.targetSecretArn]));
}

function plansEnvironment({ plansBucket }: DatabaseContext) {
  return { [ENVIRONMENT.plansBucket]: plansBucket.bucketName };
}

function grantRuns(fn: PhaseFunction, { plansBucket }: DatabaseContext, actions: string[]): void {
  fn.addToRolePolicy(allow(actions, [plansBucket.arnForObjects('runs/*')]));
  if (!fn.role) return;
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(fn).getLogicalId(plansBucket.node.defaultChild as never)}.Arn>/runs/*]`,
    reason: 'Objects of comparison runs in the stack’s own plans bucket; their names are only known at run time.',
  });
}

export const checkReadiness: PhaseDefinition<DatabaseContext> = {
  folder: 'check-readiness',
  description: 'Checks the source and target databases are ready for DMS',
  // Reads variables, grants and information_schema, plus a bounded LOB sample per LOB column.
  timeout: Duration.minutes(2),
  network: true,
  grant(fn, context) {
    readSecrets(fn, context);
    // Describe calls take no resource-level permission; the readiness check reads the replication's migration type.
    fn.addToRolePolicy(describeReplication(context.replicationEngine));
    fn.addToRolePolicy(describeEndpoints());
  },
};

export const planDataComparison: PhaseDefinition<DatabaseContext> = {
  folder: 'plan-data-comparison',
  description: 'Plans the independent data comparison',
  // Index dives and EXPLAINs only: a few hundred quick queries even for large schemas.
  timeout: Duration.minutes(5),
  network: true,
  environment: plansEnvironment,
  grant(fn, context) {
    readSecrets(fn, context);
    grantRuns(fn, context, ['s3:PutObject']);
  },
};

export const compareDataChunk: PhaseDefinition<DatabaseContext> = {
  folder: 'compare-data-chunk',
  description: 'Compares one chunk of a table on source and target',
  // One chunk (100,000 rows by default) hashes in seconds; locating differences and the CDC re-check add
  // a little. Ten minutes leaves a slow or busy source ample room inside Lambda's 15-minute limit.
  timeout: Duration.minutes(10),
  memorySize: 512,
  network: true,
  environment: plansEnvironment,
  grant(fn, context) {
    readSecrets(fn, context);
    grantRuns(fn, context, ['s3:GetObject', 's3:PutObject']);
  },
};

export const reportDataComparison: PhaseDefinition<DatabaseContext> = {
  folder: 'report-data-comparison',
  description: 'Reports the independent data comparison per table',
  timeout: Duration.minutes(5),
  network: true,
  environment: plansEnvironment,
  grant(fn, context) {
    grantRuns(fn, context, ['s3:GetObject', 's3:PutObject']);
    fn.addToRolePolicy(allow(['s3:ListBucket'], [context.plansBucket.bucketArn]));
  },
};
