import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readLatestCdcLatencies } from '../../../functions/shared/cdc-latency';

const cloudWatch = mockClient(CloudWatchClient);
afterAll(() => cloudWatch.restore());

describe('latest CDC latency of many replications', () => {
  it('asks for 500 metric queries a call at most (two per replication), and answers in the order asked', async () => {
    // Each query answers its own replication's number, so an answer in the wrong place would show.
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((query) => ({ Id: query.Id, Values: [Number(query.Id?.split('_')[1]) + (query.Id?.startsWith('target') ? 0.5 : 0)] })),
    }));
    const replications = Array.from({ length: 300 }, (_, index) => ({ dimensions: [{ Name: 'ReplicationConfigIdentifier', Value: `config-${index}` }] }));
    const at = new Date('2026-11-30T12:00:00Z');
    const latest = await readLatestCdcLatencies(new CloudWatchClient({}), replications, 15, at);
    expect(cloudWatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.MetricDataQueries?.length)).toEqual([500, 100]);
    expect(cloudWatch).toHaveReceivedCommandWith(GetMetricDataCommand, { StartTime: new Date('2026-11-30T11:45:00Z'), EndTime: at, ScanBy: 'TimestampDescending' });
    expect(latest[0]).toEqual({ sourceSeconds: 0, targetSeconds: 0.5 });
    expect(latest[299]).toEqual({ sourceSeconds: 299, targetSeconds: 299.5 });
    expect(latest).toHaveLength(300);
  });
});
