import { GetMetricDataCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';

/** Per-minute maxima of CDCLatencySource and CDCLatencyTarget, oldest first. */
export interface CdcLatencySeries {
  source: number[];
  target: number[];
}

/**
 * CDC latency per minute over `windowMinutes`, ending at `at`, for the replication the dimensions name
 * (each engine's file says which dimensions AWS/DMS publishes it under).
 */
export async function readCdcLatency(
  cloudWatch: CloudWatchClient,
  dimensions: Dimension[],
  windowMinutes: number,
  at: Date,
): Promise<CdcLatencySeries> {
  const query = (id: string, metricName: string) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName: metricName, Dimensions: dimensions }, Period: 60, Stat: 'Maximum' },
    ReturnData: true,
  });
  const response = await cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(at.getTime() - windowMinutes * 60_000),
      EndTime: at,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [query('source', 'CDCLatencySource'), query('target', 'CDCLatencyTarget')],
    }),
  );
  const values = (id: string) => response.MetricDataResults?.find((result) => result.Id === id)?.Values ?? [];
  return { source: values('source'), target: values('target') };
}
