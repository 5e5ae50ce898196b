import { ProgressView, progressBar, progressLine } from '../../../../local/rehearsal/progress';
import { describeReport } from '../../../../local/rehearsal/summary';
import { replicationTask, tableStatistics } from '../../../support/migration';

describe('rehearsal progress', () => {
  it.each([
    [0, '[........]'],
    [49, '[####....]'],
    [100, '[########]'],
    [130, '[########]'],
  ])('draws %i %% as %s', (percent, bar) => {
    expect(progressBar(percent, 8)).toBe(bar);
  });

  it('names the step, the load, the tables and the rows validated so far', () => {
    const line = progressLine('Wait for full load', {
      task: replicationTask(),
      tables: [tableStatistics({ TableName: 'orders', FullLoadRows: 1500 }), tableStatistics({ TableName: 'customers', FullLoadRows: 250, ValidationState: 'Pending records' })],
    });
    expect(line).toBe('  [Wait for full load] [##########..............]  40%  tables 2/2 loaded, 2 loading, 0 errored, 1,750 rows, validated 1/2');
    expect(progressLine('Check target', { task: replicationTask({ Status: 'ready', ReplicationTaskStats: undefined }), tables: [] })).toBe('  [Check target] DMS task ready');
  });

  it('in a log, prints the progress line once per 10 % instead of redrawing it', () => {
    let output = '';
    let percent = 0;
    const view = new ProgressView({ write: (text) => (output += text), interactive: false }, () => ({
      task: replicationTask({ ReplicationTaskStats: { ...replicationTask().ReplicationTaskStats, FullLoadProgressPercent: percent } }),
      tables: [tableStatistics()],
    }));
    view.stateEntered('Wait for full load');
    for (percent of [5, 12, 15, 100]) view.refresh();
    expect(output.split('\n').filter(Boolean).map((line) => line.match(/^→ .*|\d+%/)?.[0])).toEqual(['→ Wait for full load', '0%', '12%', '100%']);
  });
});

describe('rehearsal summary of the other steps\' reports', () => {
  it('lists a readiness report by its counts and the checks that did not pass, with their remedy', () => {
    expect(
      describeReport('readiness', {
        counts: { pass: 11, warn: 1, fail: 0 },
        checks: [
          { name: 'Binary logging is on', status: 'pass', seen: 'log_bin=ON' },
          { name: 'Every table has a primary or unique key', status: 'warn', seen: '1 without a key: page_views', remedy: 'Add a primary key where you can.' },
        ],
      }),
    ).toEqual(['readiness: 11 pass, 1 warn, 0 fail', '  WARN Every table has a primary or unique key: 1 without a key: page_views -> Add a primary key where you can.']);
  });

  it('gives a comparison its outcome, tables, rows and where the full report is', () => {
    expect(describeReport('dataComparison', { outcome: 'match', tableCount: 5, sourceRows: 3000, targetRows: 3000, report: 's3://plans/run/report.json' })).toEqual([
      'dataComparison: match (5 tables, 3,000 source rows, 3,000 target rows); report s3://plans/run/report.json',
    ]);
  });

  it('says when the catch-up marker was written and seen, and shows anything else as one line of JSON', () => {
    expect(describeReport('catchUp', { marker: 'run:1', writtenAt: '2026-11-25 06:04:14.548945', seenOnTargetAt: '2026-11-25T06:04:15.052Z' })).toEqual([
      'catchUp: marker run:1 written on the source at 2026-11-25 06:04:14.548945, seen on the target at 2026-11-25T06:04:15.052Z',
    ]);
    expect(describeReport('lock', { holder: 'me' })).toEqual(['lock: {"holder":"me"}']);
    expect(describeReport('big', { text: 'x'.repeat(300) })[0]).toHaveLength('big: '.length + 203);
  });
});
