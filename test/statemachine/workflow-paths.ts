import type { EngineFixture } from '../support/engines';
import { HAPPY_PATH, SNS_KMS_REFUSES, type Scenario } from '../support/local-aws';
import { FAILURE_PATH, runWorkflow, type WorkflowRun } from '../support/run-workflow';
import { synthesizeWorkflow } from '../support/synthesized-workflow';

/** The failure the workflow reported: error name and the failed step, from the failure notification. */
function failureOf(result: WorkflowRun) {
  const notification = result.aws.notifications.find((published) => published.kind === 'failure');
  return { error: result.error?.Error, subject: notification?.subject, message: notification?.message };
}

const START = ['Validate input', 'Take the run lock', 'What to run?', 'Check target', 'Start counting connection checks', 'Test connections', 'Connection tests finished?'];
const FULL_LOAD = ['Start task', 'Notify started', 'Check full-load progress', 'Full load complete?', 'Wait for full load', 'Full load complete?', 'Notify full load complete'];
const CUTOVER = [
  'Prepare a way back?',
  'Independent validation ran?',
  'No independent validation results',
  'Gate',
  'Report: Gate',
  'Freeze source writes',
  'Report: Freeze source writes',
  'Prove catch-up',
  'Report: Prove catch-up',
  'Dry run?',
  'Switch',
  'Report: Switch',
  'Keep the way back open?',
];
const CUTOVER_REPORTS = ['cutover-step', 'cutover-step', 'cutover-step', 'cutover-step'];
const VALIDATION = ['Note when validation wait began', 'Check DMS validation', 'DMS validation finished?'];

/**
 * Every path of the migration workflow, on one replication engine: test/statemachine/workflow.test.ts runs
 * them on a task, workflow-serverless.test.ts on a DMS Serverless replication. One test file per engine, not
 * describe.each in one: the handlers read their stack's environment as they load (as on Lambda), and a test
 * file loads them once.
 */
export function workflowPaths(fixture: EngineFixture): void {
  describe(`migration workflow on ${fixture.name}, executed locally from the synthesized definition`, () => {
    const synthesized = synthesizeWorkflow(fixture.deployment);
    const run = (changes: Partial<Scenario> = {}, input: unknown = fixture.input()) => runWorkflow(synthesized, { ...HAPPY_PATH, engine: fixture.engine, ...changes }, input);
    const { actions } = fixture;

    it('full-load-and-cdc happy path: every runbook step, in order, with its notifications', async () => {
      const result = await run();
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states).toEqual([
        ...START,
        ...fixture.connectionTestWait,
        ...FULL_LOAD,
        ...VALIDATION,
        'Wait for DMS validation',
        'Check DMS validation',
        'DMS validation finished?',
        'Notify validation outcome',
        'Preparing for a wave?',
        'Approval required?',
        'Ask for cutover approval',
        ...CUTOVER,
        'Notify cut over',
        'Release run lock after cutover',
        'Migration complete',
      ]);
      expect(result.notifications).toEqual([
        'started',
        'full-load-progress',
        'full-load-progress',
        'full-load-complete',
        'validation-outcome',
        'approval-request',
        ...CUTOVER_REPORTS,
        'cut-over',
      ]);
      expect(result.aws.dmsActions).toEqual([...actions.testConnections, actions.start('start-replication'), actions.stop]);
      expect(result.aws.parameters.get('/apps/orders/database-endpoint')).toBe('orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com:3306');
      expect(result.output?.gate).toMatchObject({ passed: true, catchUp: 'CDC latency only (no database access in the input)' });
      expect(result.output?.switched).toMatchObject({ alreadySwitched: false, taskStatus: 'stopping' });
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
      const progressSubjects = result.aws.notifications.filter((published) => published.kind === 'full-load-progress').map((published) => published.subject);
      expect(progressSubjects).toEqual(['[DMS] Orders to Aurora: full load 30 %', '[DMS] Orders to Aurora: full load 60 %']);
    });

    it('full-load-only task: completes when DMS stops it with FULL_LOAD_ONLY_FINISHED, cuts over without stopping it again', async () => {
      const result = await run({ migrationType: 'full-load' });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states).toEqual(expect.arrayContaining(['Wait for full load', 'Notify full load complete', 'Switch', 'Migration complete']));
      expect(result.aws.dmsActions).toEqual([...actions.testConnections, actions.start('start-replication')]);
      expect(result.notifications.at(-1)).toBe('cut-over');
    });

    it('a failed connection test ends the run quoting DMS, before the load (a task: before it starts; serverless: as it starts)', async () => {
      const result = await run({ sourceConnection: 'failed' });
      const { failedState, error, message, actions: tried } = fixture.connectionFailure;
      expect(result.status).toBe('FAILED');
      expect(result.states.slice(-6)).toEqual([`${failedState} failed`, ...FAILURE_PATH]);
      expect(failureOf(result)).toMatchObject({ error, subject: `[DMS] Orders to Aurora: FAILED at ${failedState} (${error})`, message: expect.stringContaining(message) });
      expect(result.aws.dmsActions).toEqual(tried);
      expect(result.notifications).not.toContain('full-load-complete');
    });

    it('errored tables fail the full-load wait with their names', async () => {
      const result = await run({ erroredTable: 'order_lines' });
      expect(result.status).toBe('FAILED');
      expect(result.states.slice(-7)).toEqual(['Wait for full load', 'Wait for full load failed', ...FAILURE_PATH]);
      expect(failureOf(result)).toMatchObject({ error: 'TablesErrored', message: expect.stringContaining('Full load failed for orders.order_lines') });
      expect(result.aws.dmsActions).not.toContain(actions.stop);
    });

    it('a validation mismatch fails before any approval or cutover', async () => {
      const result = await run({ validation: 'Mismatched records' });
      expect(result.status).toBe('FAILED');
      expect(result.states).not.toContain('Ask for cutover approval');
      expect(failureOf(result)).toMatchObject({ error: 'ValidationMismatch', message: expect.stringContaining('orders.order_lines (Mismatched records: 3 failed') });
      expect(result.aws.dmsActions).not.toContain(actions.stop);
    });

    it('a rejected approval ends without cutover, replication still running', async () => {
      const result = await run({ approval: 'reject' });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(-4)).toEqual(['Ask for cutover approval', 'Notify approval rejected', 'Release run lock', 'End without cutover']);
      expect(result.notifications.slice(-2)).toEqual(['approval-request', 'approval-rejected']);
      expect(result.aws.notifications.at(-1)?.message).toContain('Not before the Friday change window');
      expect(result.aws.dmsActions).not.toContain(actions.stop);
      expect(result.aws.parameters.size).toBe(0);
    });

    it('an approval timeout notifies and ends without cutover, nothing lost', async () => {
      const result = await run({ approval: 'timeout' });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(-4)).toEqual(['Ask for cutover approval', 'Notify approval timed out', 'Release run lock', 'End without cutover']);
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
      expect(result.notifications.at(-1)).toBe('approval-timeout');
      expect(result.aws.dmsActions).not.toContain(actions.stop);
    });

    it('a cutover precondition failure changes nothing and says why', async () => {
      const result = await run({ cdcLatencySeconds: 120 });
      expect(result.status).toBe('FAILED');
      expect(result.states.slice(-7)).toEqual(['Gate', 'Gate failed', ...FAILURE_PATH]);
      expect(failureOf(result)).toMatchObject({
        error: 'CutoverPreconditionFailed',
        message: expect.stringContaining('CDCLatencySource reached 120 s in the last 5 minutes (maximum 30 s)'),
      });
      expect(result.aws.dmsActions).not.toContain(actions.stop);
      expect(result.aws.parameters.size).toBe(0);
    });

    it('DMS throttling is retried with backoff, then the run succeeds', async () => {
      const result = await run({ throttledTaskReads: 2 });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.retries).toEqual([
        { state: fixture.firstReplicationRead, error: 'AwsServiceUnavailable' },
        { state: fixture.firstReplicationRead, error: 'AwsServiceUnavailable' },
      ]);
      expect(result.aws.dmsActions.filter((action) => action.startsWith(actions.start('')))).toHaveLength(1);
    });

    it('notices the end of a full-load-and-cdc load at the minute check (DMS sends no event for it), and turns the checks off', async () => {
      const result = await run();
      expect(result.status).toBe('SUCCEEDED');
      expect(result.fullLoadNoticedAt).toBeDefined();
      // The wait was never timed out: no check of the workflow's own after it.
      expect(result.states.filter((state) => state === 'Check full-load progress')).toHaveLength(1);
      expect([...result.aws.eventRules.values()]).toEqual(['DISABLED']);
    });

    it('a load nobody announces (no DMS event, no minute check) is recovered by the workflow\'s safety net', async () => {
      const ruleStates: string[] = [];
      const result = await run({
        dmsEventsMissed: true,
        scheduledChecksMissed: true,
        // The minute checks' rule as the load moves: on for as long as the wait is parked.
        prepare: (aws) => {
          const advance = aws.advanceFullLoad.bind(aws);
          aws.advanceFullLoad = (percent) => {
            ruleStates.push(...aws.eventRules.values());
            advance(percent);
          };
        },
      });
      expect(ruleStates).toEqual(['ENABLED', 'ENABLED', 'ENABLED']);
      expect(result.status).toBe('SUCCEEDED');
      const afterWait = result.states.slice(result.states.indexOf('Wait for full load'));
      expect(afterWait.slice(0, 4)).toEqual(['Wait for full load', 'Check full-load progress', 'Full load complete?', 'Notify full load complete']);
      expect(result.notifications).not.toContain('full-load-progress');
    });

    it('re-running on a task that is already running starts nothing', async () => {
      const result = await run({ initialStatus: 'running' });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.aws.dmsActions.filter((action) => action.startsWith(actions.start('')))).toEqual([]);
      expect(result.aws.notifications[0]).toMatchObject({ kind: 'started', subject: '[DMS] Orders to Aurora: replication already running' });
    });

    it('SNS refusing every message from the start decides nothing: the task is started and watched, the run cuts over, and its output lists what was not sent', async () => {
      const result = await run(
        { progressSteps: [100], prepare: (aws) => aws.outages.push(SNS_KMS_REFUSES) },
        fixture.input({ cutover: { approvalRequired: false, endpointParameterName: '/apps/orders/database-endpoint' } }),
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states).toEqual(expect.arrayContaining(['Notify started', 'Notify started not delivered', 'Wait for full load', 'Switch', 'Migration complete']));
      expect(result.aws.dmsActions).toEqual([...actions.testConnections, actions.start('start-replication'), actions.stop]);
      expect(result.aws.parameters.get('/apps/orders/database-endpoint')).toBe('orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com:3306');
      expect(result.aws.notifications).toEqual([]);
      const undelivered = Object.values(result.output?.undeliveredNotifications as Record<string, { notification: string; kind: string; error: string }>);
      expect(undelivered.map(({ notification, kind, error }) => `${notification} (${kind}): ${error}`)).toEqual([
        'Notify started (started): KMSAccessDeniedException',
        'Notify full load complete (full-load-complete): KMSAccessDeniedException',
        'Notify validation outcome (validation-outcome): KMSAccessDeniedException',
        'Report: Gate (cutover-step): KMSAccessDeniedException',
        'Report: Freeze source writes (cutover-step): KMSAccessDeniedException',
        'Report: Prove catch-up (cutover-step): KMSAccessDeniedException',
        'Report: Switch (cutover-step): KMSAccessDeniedException',
        'Notify cut over (cut-over): KMSAccessDeniedException',
      ]);
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
    });

    it('invalid input fails first, touches nothing, and is reported under the execution name', async () => {
      const result = await run({}, fixture.input({ startPolicy: 'reload' }));
      expect(result.status).toBe('FAILED');
      expect(result.states).toEqual(['Validate input', 'Name the run after the execution', 'Validate input failed', ...FAILURE_PATH]);
      expect(failureOf(result)).toMatchObject({
        error: 'InvalidInput',
        subject: '[DMS] local-run: FAILED at Validate input (InvalidInput)',
        message: expect.stringContaining('confirmReloadTarget: startPolicy "reload" truncates every target table'),
      });
      expect(result.aws.dmsActions).toEqual([]);
    });
  });
}
