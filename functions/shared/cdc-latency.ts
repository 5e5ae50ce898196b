import { GetMetricDataCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';

/** One per-minute maximum of a DMS CDC latency metric of the replication `dimensions` name. */
function latencyQuery(id: string, metricName: 'CDCLatencySource' | 'CDCLatencyTarget', dimensions: Dimension[]) {
  return {
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName: metricName, Dimensions: dimensions }, Period: 60, Stat: 'Maximum' },
    ReturnData: true,
  };
}

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
  const response = await cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(at.getTime() - windowMinutes * 60_000),
      EndTime: at,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [latencyQuery('source', 'CDCLatencySource', dimensions), latencyQuery('target', 'CDCLatencyTarget', dimensions)],
    }),
  );
  const values = (id: string) => response.MetricDataResults?.find((result) => result.Id === id)?.Values ?? [];
  return { source: values('source'), target: values('target') };
}

/** The latest CDC latency of one replication, in seconds. */
export interface LatestCdcLatency {
  sourceSeconds: number;
  targetSeconds: number;
}

/**
 * GetMetricData takes at most 500 MetricDataQuery structures a call (the CloudWatch API reference,
 * GetMetricData MetricDataQueries): two per replication, so 250 replications a call; a wave has at most 100.
 */
const QUERIES_PER_CALL = 500;

/**
 * The latest CDCLatencySource and CDCLatencyTarget of many replications (each named by its engine's
 * dimensions) in one GetMetricData call per 250 of them, newest first (TimestampDescending), following
 * NextToken, whose pages may carry more values of a query seen before: the first value seen is the newest.
 * A replication with no datapoint of either metric in the window (no CDC yet, or a full-load-only task) is
 * undefined, in the order asked.
 */
export async function readLatestCdcLatencies(
  cloudWatch: CloudWatchClient,
  replications: Array<{ dimensions: Dimension[] }>,
  windowMinutes: number,
  at: Date,
): Promise<Array<LatestCdcLatency | undefined>> {
  // Ids start with a lowercase letter and hold letters, digits and underscores (MetricDataQuery Id).
  const queries = replications.flatMap(({ dimensions }, index) => [latencyQuery(`source_${index}`, 'CDCLatencySource', dimensions), latencyQuery(`target_${index}`, 'CDCLatencyTarget', dimensions)]);
  const newest = new Map<string, number>();
  for (let start = 0; start < queries.length; start += QUERIES_PER_CALL) {
    let nextToken: string | undefined;
    do {
      const response = await cloudWatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(at.getTime() - windowMinutes * 60_000),
          EndTime: at,
          ScanBy: 'TimestampDescending',
          MetricDataQueries: queries.slice(start, start + QUERIES_PER_CALL),
          NextToken: nextToken,
        }),
      );
      for (const result of response.MetricDataResults ?? []) {
        const [value] = result.Values ?? [];
        if (result.Id && value !== undefined && !newest.has(result.Id)) newest.set(result.Id, value);
      }
      nextToken = response.NextToken;
    } while (nextToken);
  }
  return replications.map((_, index) => {
    const [sourceSeconds, targetSeconds] = [newest.get(`source_${index}`), newest.get(`target_${index}`)];
    return sourceSeconds === undefined || targetSeconds === undefined ? undefined : { sourceSeconds, targetSeconds };
  });
}
