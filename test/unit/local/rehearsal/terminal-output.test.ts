import { ProgressView, progressBar, progressLine } from '../../../../local/rehearsal/progress';
import { rehearsalDeployment, rehearsalInput } from '../../../../local/rehearsal/fixture';
import { OUTPUT_NOT_REPORTED, OUTPUT_REPORTS, comparisonLine, readinessLines, stateTimingLines, words } from '../../../../local/rehearsal/summary';
import { synthesizeWorkflow } from '../../../support/synthesized-workflow';
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
      status: 'running',
      stats: replicationTask().ReplicationTaskStats,
      tables: [tableStatistics({ TableName: 'orders', FullLoadRows: 1500 }), tableStatistics({ TableName: 'customers', FullLoadRows: 250, ValidationState: 'Pending records' })],
    });
    expect(line).toBe('  [Wait for full load] [##########..............]  40%  tables 2/2 loaded, 2 loading, 0 errored, 1,750 rows, validated 1/2');
    expect(progressLine('Check target', { status: 'ready', stats: undefined, tables: [] })).toBe('  [Check target] DMS task ready');
    expect(progressLine('Start replication', { status: 'provisioning_capacity', stats: undefined, tables: [] }, 'replication')).toBe('  [Start replication] DMS replication provisioning_capacity');
  });

  it('in a log, prints the progress line once per 10 % instead of redrawing it', () => {
    let output = '';
    let percent = 0;
    const view = new ProgressView({ write: (text) => (output += text), interactive: false }, () => ({
      status: 'running',
      stats: { ...replicationTask().ReplicationTaskStats, FullLoadProgressPercent: percent },
      tables: [tableStatistics()],
    }));
    view.stateEntered('Wait for full load');
    for (percent of [5, 12, 15, 100]) view.refresh();
    expect(output.split('\n').filter(Boolean).map((line) => line.match(/^→ .*|\d+%/)?.[0])).toEqual(['→ Wait for full load', '0%', '12%', '100%']);
  });
});

describe('rehearsal summary', () => {
  it('tells every result a state writes into the workflow\'s output, or knows it for bookkeeping: no raw JSON', () => {
    const { definition } = synthesizeWorkflow(rehearsalDeployment(rehearsalInput(['shop'], undefined, true)));
    const written = new Set<string>();
    for (const state of Object.values(definition.States) as Array<{ ResultPath?: unknown; Catch?: Array<{ ResultPath?: unknown }> }>) {
      for (const resultPath of [state.ResultPath, ...(state.Catch ?? []).map((handler) => handler.ResultPath)]) {
        const name = typeof resultPath === 'string' ? /^\$\.(\w+)/.exec(resultPath)?.[1] : undefined;
        if (name) written.add(name);
      }
    }
    expect([...written].filter((name) => !(name in OUTPUT_REPORTS) && !OUTPUT_NOT_REPORTED.has(name))).toEqual([]);
    expect([...written]).toEqual(expect.arrayContaining(['readiness', 'dataComparison', 'dataRecheck', 'gate', 'freeze', 'catchUp', 'reversePath', 'reverseReplication']));
  });

  it('lists a readiness report by its counts and the checks that did not pass, with their remedy', () => {
    expect(
      readinessLines({
        counts: { pass: 11, warn: 1, fail: 0 },
        checks: [
          { name: 'Binary logging is on', status: 'pass', seen: 'log_bin=ON' },
          { name: 'Every table has a primary or unique key', status: 'warn', seen: '1 without a key: page_views', remedy: 'Add a primary key where you can.' },
        ],
      }),
    ).toEqual(['Readiness checks: 11 pass, 1 warn, 0 fail', '  WARN Every table has a primary or unique key: 1 without a key: page_views -> Add a primary key where you can.']);
    expect(readinessLines({ outcome: 'not-checked' })).toEqual(['Readiness checks: not run (no database access in the input)']);
  });

  it('gives a comparison its outcome, tables, rows and where the full report is', () => {
    expect(comparisonLine('Independent data comparison', { outcome: 'match', tableCount: 5, sourceRows: 3000, targetRows: 3000, report: 's3://plans/run/report.json' })).toBe(
      'Independent data comparison: match (5 tables, 3,000 source rows, 3,000 target rows); report s3://plans/run/report.json',
    );
  });

  it('tells the cutover steps in the e-mails\' sentences, in the direction of the run, with readable times', () => {
    const gate = { direction: 'to-target', passed: true, blockers: [], checkedAt: '2026-11-25T06:04:13.900Z', catchUp: 'marker', writeFreeze: 'read_only on the source', cdcLatencySeconds: { source: 0, target: 1 } };
    const freeze = { side: 'source', frozen: true, freeze: { previous: { readOnly: 'OFF' }, frozenAt: '2026-11-25T06:04:14.000Z', sessionsHoldingWrites: [], superReadOnlyAvailable: true } };
    const catchUp = { marker: 'run:1', heartbeatTable: 'shop.dms_orchestrator_heartbeat', writtenAt: '2026-11-25T06:04:14.548945Z', seenOnTargetAt: '2026-11-25T06:04:16.052Z' };
    const output = { gate, freeze, catchUp };
    expect([...OUTPUT_REPORTS.gate(gate, output)!, ...OUTPUT_REPORTS.freeze(freeze, output)!, ...OUTPUT_REPORTS.catchUp(catchUp, output)!]).toEqual([
      'Cutover gate:',
      '  Every cutover check passed at 2026-11-25 06:04:13 UTC; the source is frozen next.',
      '  CDC latency at the gate (2026-11-25 06:04:13 UTC): 0 s reading the source, 1 s applying to the target.',
      '  A marker written on the source after the freeze must arrive on the target before anything is switched.',
      'Write freeze:',
      '  Applications cannot write to the source from 2026-11-25 06:04:14 UTC until the switch (it had read_only=OFF before; the failure path restores exactly that).',
      '  No session had uncommitted writes.',
      'Catch-up proof:',
      '  The target has every write made on the source before the freeze: marker run:1, written to shop.dms_orchestrator_heartbeat on the source at 2026-11-25 06:04:14 UTC, was read on the target at 2026-11-25 06:04:16 UTC (2 s later).',
    ]);
    const rollback = { gate: { ...gate, direction: 'to-source' }, catchUp };
    expect(OUTPUT_REPORTS.catchUp(catchUp, rollback)![1]).toMatch(/^ {2}The source has every write made on the target before the freeze: .* on the target at .*, was read on the source at /);
  });

  it('times each state name once, a loop\'s states with their count, and leaves out what took less than the minimum in all', () => {
    const timings = [
      { state: 'Check full-load progress', at: 0 },
      { state: 'Wait for full load', at: 10 },
      { state: 'Check full-load progress', at: 510 },
      { state: 'Wait for full load', at: 520 },
      { state: 'Check full-load progress', at: 1020 },
      { state: 'Notify full load complete', at: 1030 },
    ];
    expect(stateTimingLines(timings, 1100, { minimumMillis: 100, nameWidth: 26 })).toEqual(['  Wait for full load            1.0 s  (2 times)']);
    expect(stateTimingLines(timings, 1100, { include: (state) => state.startsWith('Check') })).toEqual(['  Check full-load progress              0.0 s  (3 times)']);
  });

  it('says field names as words', () => {
    expect(['validated', 'notEnabled', 'keyless'].map(words)).toEqual(['validated', 'not enabled', 'keyless']);
  });
});
