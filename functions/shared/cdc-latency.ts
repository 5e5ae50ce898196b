import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeReplicationInstancesCommand, type DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { dmsResourceId } from './dms';
import { ResourceNotFound } from './errors';
import type { MigrationConfig } from './migration-input';

export interface CdcLatencyClients {
  dms: DatabaseMigrationServiceClient;
  cloudWatch: CloudWatchClient;
}

/** Per-minute maxima of CDCLatencySource and CDCLatencyTarget, oldest first. */
export interface CdcLatencySeries {
  source: number[];
  target: number[];
}

/**
 * CDC latency per minute over the config's latency window, ending at `at`. AWS/DMS task metrics carry two
 * dimensions: the replication instance's identifier (its name, not the ARN's resource id) and
 * ReplicationTaskIdentifier, which is the task ARN's resource id rather than the task's friendly name.
 */
export async function readCdcLatency(
  clients: CdcLatencyClients,
  config: Pick<MigrationConfig, 'replicationInstanceArn' | 'replicationTaskArn' | 'cutover'>,
  at: Date,
): Promise<CdcLatencySeries> {
  const instances = await clients.dms.send(
    new DescribeReplicationInstancesCommand({
      Filters: [{ Name: 'replication-instance-arn', Values: [config.replicationInstanceArn] }],
    }),
  );
  const instanceIdentifier = instances.ReplicationInstances?.[0]?.ReplicationInstanceIdentifier;
  if (!instanceIdentifier) throw new ResourceNotFound(`Replication instance ${config.replicationInstanceArn} was not found`);

  const dimensions = [
    { Name: 'ReplicationInstanceIdentifier', Value: instanceIdentifier },
    { Name: 'ReplicationTaskIdentifier', Value: dmsResourceId(config.replicationTaskArn) },
  ];
  const query = (id: string, metricName: string) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName: metricName, Dimensions: dimensions }, Period: 60, Stat: 'Maximum' },
    ReturnData: true,
  });
  const response = await clients.cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(at.getTime() - config.cutover.latencyWindowMinutes * 60_000),
      EndTime: at,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [query('source', 'CDCLatencySource'), query('target', 'CDCLatencyTarget')],
    }),
  );
  const values = (id: string) => response.MetricDataResults?.find((result) => result.Id === id)?.Values ?? [];
  return { source: values('source'), target: values('target') };
}
