import { Token } from 'aws-cdk-lib';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import type { ReplicationEngine } from '../../functions/shared/replication';

/**
 * The ARNs a migration's functions may touch, derived from the validated config. IAM policies are built
 * from these so every role is scoped to this migration's own task, endpoints, instance, target and
 * parameter, never to `*` where the service supports resource-level permissions.
 */
export interface MigrationResourceArns {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** Which engine replicates: it decides the DMS actions every grant names (infra/phases/replication-grants.ts). */
  readonly engine: ReplicationEngine;
  /** The replication task ARN, or the DMS Serverless replication config ARN. */
  readonly replication: string;
  readonly sourceEndpoint: string;
  readonly targetEndpoint: string;
  /** A task's replication instance; none for DMS Serverless. */
  readonly replicationInstance?: string;
  /** The Aurora cluster (`cluster:`) or RDS instance (`db:`) ARN. */
  readonly target: string;
  /** Snapshots the cutover may create: `cluster-snapshot:` or `snapshot:` with the migration's prefix. */
  readonly targetSnapshots: string;
  readonly endpointParameter: string;
}

/**
 * `stackEnvironment` places the migration when its DMS ARNs are CloudFormation references (the stack creates
 * the DMS resources), so the RDS and SSM ARNs built here stay plain strings.
 */
export function migrationResourceArns(
  config: MigrationConfig,
  snapshotPrefix: string,
  stackEnvironment: { region: string; account: string },
): MigrationResourceArns {
  const replication = config.replicationTaskArn ?? config.replicationConfigArn;
  const [, partition, , region, account] = Token.isUnresolved(replication)
    ? ['arn', partitionOf(stackEnvironment.region), 'dms', stackEnvironment.region, stackEnvironment.account]
    : replication.split(':');
  const rds = (resource: string) => `arn:${partition}:rds:${region}:${account}:${resource}`;
  const isCluster = config.target.type === 'aurora-cluster';
  const parameterName = config.cutover.endpointParameterName;
  return {
    partition,
    region,
    account,
    engine: config.replicationConfigArn !== undefined ? 'serverless' : 'task',
    replication,
    sourceEndpoint: config.sourceEndpointArn,
    targetEndpoint: config.targetEndpointArn,
    ...(config.replicationInstanceArn !== undefined ? { replicationInstance: config.replicationInstanceArn } : {}),
    target: rds(`${isCluster ? 'cluster' : 'db'}:${config.target.identifier}`),
    targetSnapshots: rds(`${isCluster ? 'cluster-snapshot' : 'snapshot'}:${snapshotPrefix}*`),
    // SSM ARNs join "parameter" and a fully qualified name without doubling the slash.
    endpointParameter: `arn:${partition}:ssm:${region}:${account}:parameter${parameterName.startsWith('/') ? '' : '/'}${parameterName}`,
  };
}

/** China and GovCloud regions have their own partitions; every other commercial region is `aws`. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
