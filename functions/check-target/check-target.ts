import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { TargetNotReady } from '../shared/errors';
import type { MigrationConfig } from '../shared/migration-input';

export interface TargetDatabase {
  type: MigrationConfig['target']['type'];
  identifier: string;
  engine: string;
  engineVersion: string;
  status: string;
  /** Where applications connect after cutover: the cluster's writer endpoint, or the instance endpoint. */
  writerEndpoint: string;
  port: number;
}

/**
 * MySQL-compatible engines DMS can load as a MySQL target. `aurora-mysql` is an Aurora cluster, `mysql` an
 * RDS instance or Multi-AZ DB cluster; RDS for MariaDB is a documented MySQL-compatible DMS target too.
 */
const MYSQL_COMPATIBLE_ENGINES: ReadonlySet<string> = new Set(['aurora-mysql', 'mysql', 'mariadb']);

export async function checkTarget(rds: RDSClient, target: MigrationConfig['target']): Promise<TargetDatabase> {
  const database = target.type === 'aurora-cluster' ? await describeCluster(rds, target.identifier) : await describeInstance(rds, target.identifier);
  const problem = targetProblem(database);
  if (problem) throw new TargetNotReady(problem);
  return database;
}

/** Why the target cannot receive the migration, or undefined when it can. */
export function targetProblem(database: TargetDatabase): string | undefined {
  const name = `${database.type === 'aurora-cluster' ? 'Aurora cluster' : 'RDS instance'} ${database.identifier}`;
  if (!MYSQL_COMPATIBLE_ENGINES.has(database.engine)) {
    return `${name} runs ${database.engine}, which is not MySQL-compatible: choose an Aurora MySQL or RDS for MySQL target.`;
  }
  if (database.status !== 'available') {
    return `${name} is "${database.status}", not "available": wait until it is available (or start it if it is stopped), then run the migration again.`;
  }
  if (!database.writerEndpoint) return `${name} has no endpoint yet: wait until it is available, then run the migration again.`;
  return undefined;
}

async function describeCluster(rds: RDSClient, identifier: string): Promise<TargetDatabase> {
  let cluster: DBCluster | undefined;
  try {
    cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }))).DBClusters?.[0];
  } catch (error) {
    if (!(error instanceof Error && error.name === 'DBClusterNotFoundFault')) throw error;
  }
  if (!cluster) {
    throw new TargetNotReady(`Aurora cluster ${identifier} was not found in this account and region: check target.identifier.`);
  }
  return {
    type: 'aurora-cluster',
    identifier,
    engine: cluster.Engine ?? 'unknown',
    engineVersion: cluster.EngineVersion ?? 'unknown',
    status: cluster.Status ?? 'unknown',
    writerEndpoint: cluster.Endpoint ?? '',
    port: cluster.Port ?? 3306,
  };
}

async function describeInstance(rds: RDSClient, identifier: string): Promise<TargetDatabase> {
  let instance: DBInstance | undefined;
  try {
    instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
  } catch (error) {
    if (!(error instanceof Error && error.name === 'DBInstanceNotFoundFault')) throw error;
  }
  if (!instance) {
    throw new TargetNotReady(`RDS instance ${identifier} was not found in this account and region: check target.identifier.`);
  }
  // An Aurora instance belongs to a cluster whose writer can move on failover: applications must use the
  // cluster endpoint, so the migration must name the cluster.
  if (instance.DBClusterIdentifier) {
    throw new TargetNotReady(
      `RDS instance ${identifier} is a member of cluster ${instance.DBClusterIdentifier}: set target.type to "aurora-cluster" and target.identifier to "${instance.DBClusterIdentifier}".`,
    );
  }
  return {
    type: 'rds-instance',
    identifier,
    engine: instance.Engine ?? 'unknown',
    engineVersion: instance.EngineVersion ?? 'unknown',
    status: instance.DBInstanceStatus ?? 'unknown',
    writerEndpoint: instance.Endpoint?.Address ?? '',
    port: instance.Endpoint?.Port ?? 3306,
  };
}
