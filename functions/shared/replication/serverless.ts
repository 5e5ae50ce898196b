import type { CloudWatchClient, Dimension } from '@aws-sdk/client-cloudwatch';
import {
  CreateReplicationConfigCommand,
  DeleteReplicationConfigCommand,
  DescribeEndpointsCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  paginateDescribeReplicationTableStatistics,
  type DatabaseMigrationServiceClient,
  type Replication as DmsReplication,
  type ReplicationConfig,
  type TableStatistics,
} from '@aws-sdk/client-database-migration-service';
import { readCdcLatency } from '../cdc-latency';
import type { ConnectionTestsResult, EndpointConnection, EndpointRole } from '../connection-tests';
import { describeByArns, dmsResourceId } from '../dms';
import { ConnectionTestFailed, ResourceNotFound, TaskInUnexpectedState } from '../errors';
import type { Replication, ReplicationEngineClient, ReplicationEndpoints } from './replication';
import { readingOf, type ReplicationState } from './state';
import { ENGINE_FACTS, type StartType } from './vocabulary';

/**
 * The CloudWatch dimension DMS Serverless publishes a replication's metrics under, valued (like a task's
 * ReplicationTaskIdentifier) with the ARN's resource id. NOT verified: the DMS User Guide lists the serverless
 * metrics (CDCLatencySource/Target among them) but not their dimension, and no other source available here
 * names it (docs/dms-serverless-facts.md). Named once so the gate,
 * the approval page and the dashboard cannot disagree.
 */
export const SERVERLESS_METRIC_DIMENSION = 'ReplicationConfigIdentifier';

/** The dimensions of a DMS Serverless replication's AWS/DMS metrics. */
export function serverlessMetricDimensions(replicationConfigArn: string): Dimension[] {
  return [{ Name: SERVERLESS_METRIC_DIMENSION, Value: dmsResourceId(replicationConfigArn) }];
}

/** A DescribeReplications entry in the engines' common shape. */
export function serverlessState(replication: DmsReplication): ReplicationState {
  const stats = replication.ReplicationStats ?? {};
  const provision = replication.ProvisionData;
  return readingOf(
    'serverless',
    {
      arn: replication.ReplicationConfigArn ?? '',
      identifier: replication.ReplicationConfigIdentifier ?? '',
      status: replication.Status,
      migrationType: replication.ReplicationType,
      // `created`: the config was never started. Otherwise a replication that ran has a start date or a stop time.
      neverRun: replication.Status === 'created' || (!stats.StartDate && !stats.FreshStartDate && !replication.ReplicationLastStopTime),
      stats,
    },
    {
      stopReason: replication.StopReason,
      failureMessage: replication.FailureMessages?.join(' '),
      sourceEndpointArn: replication.SourceEndpointArn,
      targetEndpointArn: replication.TargetEndpointArn,
      provisioning: provision && {
        ...(provision.ProvisionState ? { state: provision.ProvisionState } : {}),
        ...(provision.ProvisionedCapacityUnits !== undefined ? { capacityUnits: provision.ProvisionedCapacityUnits } : {}),
      },
    },
  );
}

/** DescribeReplications' documented filters: replication-config-arn | replication-config-id. */
async function describeReplication(dms: DatabaseMigrationServiceClient, filter: 'replication-config-arn' | 'replication-config-id', value: string): Promise<DmsReplication | undefined> {
  try {
    return (await dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: filter, Values: [value] }] }))).Replications?.[0];
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundFault') return undefined;
    throw error;
  }
}

/**
 * Many replications in as few calls as DescribeReplications allows (a fleet's status): filters over their config
 * ARNs, batched and paged as the other batched Describe calls are.
 */
export async function describeReplications(dms: DatabaseMigrationServiceClient, replicationConfigArns: string[]): Promise<DmsReplication[]> {
  return describeByArns(replicationConfigArns, async (arns, marker) => {
    const response = await dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: arns }], Marker: marker }));
    return { items: response.Replications, marker: response.Marker };
  });
}

async function describeConfig(dms: DatabaseMigrationServiceClient, arn: string): Promise<ReplicationConfig> {
  const config = (await dms.send(new DescribeReplicationConfigsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] }))).ReplicationConfigs?.[0];
  if (!config) throw new ResourceNotFound(`Replication config ${arn} was not found`);
  return config;
}

/** A DMS Serverless replication, addressed by its replication config's ARN. */
export function serverlessReplication(dms: DatabaseMigrationServiceClient, arn: string): Replication {
  const describe = async () => {
    const replication = await describeReplication(dms, 'replication-config-arn', arn);
    if (!replication) throw new ResourceNotFound(`Serverless replication ${arn} was not found`);
    return serverlessState(replication);
  };
  return {
    engine: 'serverless',
    arn,
    noun: ENGINE_FACTS.serverless.noun,
    describe,
    tableMappings: async () => (await describeConfig(dms, arn)).TableMappings,
    start: async (startType: StartType, cdcStartPosition?: string) => {
      const started = await dms.send(
        new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: startType, ...(cdcStartPosition ? { CdcStartPosition: cdcStartPosition } : {}) }),
      );
      return started.Replication?.Status ?? 'initializing';
    },
    stop: async () => {
      try {
        return (await dms.send(new StopReplicationCommand({ ReplicationConfigArn: arn }))).Replication?.Status ?? 'stopping';
      } catch (error) {
        if (!(error instanceof Error && error.name === 'InvalidResourceStateFault')) throw error;
        const { status } = await describe();
        if (status === 'stopping' || status === 'stopped') return status;
        throw new TaskInUnexpectedState(`DMS would not stop the replication (now "${status}"): ${error.message}`);
      }
    },
    // DeleteReplicationConfig answers with the config, which has no status: the replication is gone with it.
    delete: async () => {
      await dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn }));
      return 'deleting';
    },
    tableStatistics: async () => {
      const tables: TableStatistics[] = [];
      // No page size: the API model gives DescribeReplicationTableStatistics no documented MaxRecords range.
      for await (const page of paginateDescribeReplicationTableStatistics({ client: dms }, { ReplicationConfigArn: arn })) {
        tables.push(...(page.ReplicationTableStatistics ?? []));
      }
      return tables;
    },
    cdcLatency: (cloudWatch: CloudWatchClient, windowMinutes: number, at: Date) =>
      readCdcLatency(cloudWatch, serverlessMetricDimensions(arn), windowMinutes, at),
    testConnections: (endpoints: ReplicationEndpoints) => checkServerlessEndpoints(dms, describe, endpoints),
  };
}

/**
 * DMS Serverless has no TestConnection (it needs a replication instance): the replication tests both
 * connections itself when it starts (status `testing_connection`, DMS User Guide "AWS DMS Serverless
 * components"), and a failure there fails the start with FailureMessages, which the full-load wait reports.
 * What can be known before starting, and is checked here: both endpoints exist, and the replication config
 * uses exactly the endpoints the input names (a config pointing elsewhere would migrate other databases).
 */
async function checkServerlessEndpoints(
  dms: DatabaseMigrationServiceClient,
  describe: () => Promise<ReplicationState>,
  endpoints: ReplicationEndpoints,
): Promise<ConnectionTestsResult> {
  const replication = await describe();
  const response = await dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [endpoints.sourceEndpointArn, endpoints.targetEndpointArn] }] }));
  const found = new Map((response.Endpoints ?? []).map((endpoint) => [endpoint.EndpointArn ?? '', endpoint]));
  const roles: Array<[EndpointRole, string, string | undefined]> = [
    ['source', endpoints.sourceEndpointArn, replication.sourceEndpointArn],
    ['target', endpoints.targetEndpointArn, replication.targetEndpointArn],
  ];
  const problems: string[] = [];
  const connections: EndpointConnection[] = roles.map(([role, endpointArn, used]) => {
    const endpoint = found.get(endpointArn);
    const identifier = endpoint?.EndpointIdentifier ?? dmsResourceId(endpointArn);
    if (!endpoint) problems.push(`The ${role} endpoint ${endpointArn} does not exist.`);
    else if (used !== endpointArn) problems.push(`The serverless replication ${replication.identifier} uses ${used ?? 'no'} ${role} endpoint, not ${identifier} named in the input.`);
    // "successful" here means usable by this replication; DMS tests the connection itself when it starts.
    return { role, endpointArn, endpointIdentifier: identifier, status: endpoint && used === endpointArn ? 'successful' : 'failed' };
  });
  if (problems.length > 0) throw new ConnectionTestFailed(problems.join(' '));
  return { status: 'successful', connections };
}

/**
 * Serverless replications: the forward one, and the way back's CDC-only config, created with the forward
 * config's compute settings (same subnet group, security groups, KMS key and capacity bounds).
 */
export function serverlessEngine(dms: DatabaseMigrationServiceClient, replicationConfigArn: string): ReplicationEngineClient {
  return {
    engine: 'serverless',
    forward: serverlessReplication(dms, replicationConfigArn),
    byArn: (arn) => serverlessReplication(dms, arn),
    find: async (identifier) => {
      const replication = await describeReplication(dms, 'replication-config-id', identifier);
      return replication ? serverlessState(replication) : undefined;
    },
    createCdcOnly: async (spec) => {
      const forward = await describeConfig(dms, replicationConfigArn);
      const created = await dms.send(
        new CreateReplicationConfigCommand({
          ReplicationConfigIdentifier: spec.identifier,
          SourceEndpointArn: spec.sourceEndpointArn,
          TargetEndpointArn: spec.targetEndpointArn,
          ComputeConfig: forward.ComputeConfig,
          ReplicationType: 'cdc',
          TableMappings: spec.tableMappings,
          Tags: spec.tags,
        }),
      );
      return created.ReplicationConfig?.ReplicationConfigArn;
    },
  };
}
