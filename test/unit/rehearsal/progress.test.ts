import { ProgressView, progressBar, progressLine } from '../../../local/rehearsal/progress';
import { replicationTask, tableStatistics } from '../../fixtures/migration';

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
