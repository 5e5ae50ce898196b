import type { LeftReadOnly } from '../../../../functions/shared/cutover-vocabulary';
import { MAX_SUBJECT_LENGTH, NEXT_STEPS, consoleLink, readOnlyWarning, renderNotification, safeSubject } from '../../../../functions/shared/notifications/messages';

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration:run-42';
const CONSOLE = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;
const base = { migrationName: 'Orders to Aurora', executionArn: EXECUTION_ARN };

describe('message templates', () => {
  it('started: the decision taken and what comes next', () => {
    const { subject, body } = renderNotification({
      ...base,
      kind: 'started',
      details: { start: { action: 'resume-processing', outcome: 'started', previousStatus: 'stopped', reason: 'the task was stopped: resuming where it left off' } },
    });
    expect(subject).toBe('[DMS] Orders to Aurora: replication task resume-processing');
    expect(body).toContain('Task was: stopped');
    expect(body).toContain('Decision: the task was stopped: resuming where it left off');
    expect(body).toContain(`Execution: ${CONSOLE}`);
  });

  it('started: an already running task says so', () => {
    const { subject } = renderNotification({
      ...base,
      kind: 'started',
      details: { start: { action: 'none', outcome: 'already-running', previousStatus: 'running', reason: 'already running' } },
    });
    expect(subject).toBe('[DMS] Orders to Aurora: replication already running');
  });

  it('full-load progress: percent and tables', () => {
    const { subject, body } = renderNotification({
      ...base,
      kind: 'full-load-progress',
      details: { progress: { fullLoadProgressPercent: 50, tables: { loaded: 10, loading: 2, queued: 8, errored: 0 } } },
    });
    expect(subject).toBe('[DMS] Orders to Aurora: full load 50 %');
    expect(body).toContain('Tables: 10 loaded, 2 loading, 8 queued, 0 errored');
  });

  it('full load complete: tables, rows and duration', () => {
    const { body } = renderNotification({
      ...base,
      kind: 'full-load-complete',
      details: { progress: { tables: { loaded: 42 }, rowsLoaded: 123456789, fullLoadDurationSeconds: 9000 } },
    });
    expect(body).toContain('Tables loaded: 42');
    expect(body).toContain('Rows loaded: 123,456,789');
    expect(body).toContain('Duration: 2 h 30 min');
  });

  it('validation outcome: counts and pending tables', () => {
    const { subject, body } = renderNotification({
      ...base,
      kind: 'validation-outcome',
      details: { validation: { outcome: 'passed', tableCount: 3, counts: { validated: 3, pending: 0, failed: 0, notEnabled: 0 }, pendingTables: [] } },
    });
    expect(subject).toBe('[DMS] Orders to Aurora: DMS validation passed');
    expect(body).toContain('Tables: 3 in all; 3 validated, 0 pending, 0 failed, 0 not enabled');
  });

  it('validation outcome: names the keyless tables left to the independent comparison', () => {
    const { body } = renderNotification({
      ...base,
      kind: 'validation-outcome',
      details: { validation: { outcome: 'passed', tableCount: 3, counts: { validated: 2, pending: 0, failed: 0, notEnabled: 0, keyless: 1 }, keylessTables: ['shop.page_views'] } },
    });
    expect(body).toContain('Without a primary key, checked by the independent comparison (count and checksum; DMS cannot validate them): shop.page_views');
  });

  it('approval request: the review link and the expiry, never a decision link', () => {
    const { body } = renderNotification({
      ...base,
      kind: 'approval-request',
      details: {
        reviewUrl: 'https://approve.example.com/review?id=abc',
        expiresAt: '2026-11-25T09:00:00Z',
        summary: 'Validation passed.',
        checks: ['Independent comparison: match (12 tables, 120,000 source rows, 120,000 target rows)', 'Readiness warning: source: binlog_row_image: MINIMAL.'],
      },
    });
    expect(body).toContain('Review and decide: https://approve.example.com/review?id=abc');
    expect(body).toContain('expires at 2026-11-25 09:00:00 UTC');
    expect(body).toContain('Independent comparison: match (12 tables, 120,000 source rows, 120,000 target rows)');
    expect(body).toContain('Readiness warning: source: binlog_row_image: MINIMAL.');
  });

  it('approval timeout and rejection: nothing cut over, replication keeps running', () => {
    expect(renderNotification({ ...base, kind: 'approval-timeout', details: {} }).body).toContain('replication keeps running');
    const rejected = renderNotification({ ...base, kind: 'approval-rejected', details: { error: { Error: 'ApprovalRejected', Cause: 'Rejected by dba at 2026-11-24 22:00:00 UTC. Their reason:\n  > Wait for the Friday window' } } });
    expect(rejected.subject).toBe('[DMS] Orders to Aurora: cutover rejected');
    expect(rejected.body).toContain('The cutover was rejected. Rejected by dba at 2026-11-24 22:00:00 UTC. Their reason:\n  > Wait for the Friday window\n');
  });

  it('rollback approval timeout and rejection: nothing frozen, applications stay on the target', () => {
    const timedOut = renderNotification({ ...base, kind: 'approval-timeout', details: { mode: 'rollback' } });
    expect(timedOut.subject).toBe('[DMS] Orders to Aurora: ROLLBACK not approved in time');
    expect(timedOut.body).toContain('Nobody approved the ROLLBACK before the request expired. Nothing is frozen or switched: applications stay on the target');
    const rejected = renderNotification({ ...base, kind: 'approval-rejected', details: { mode: 'rollback', error: { Error: 'ApprovalRejected', Cause: 'Rejected by dba at 2026-11-24 22:00:00 UTC.' } } });
    expect(rejected.subject).toBe('[DMS] Orders to Aurora: ROLLBACK rejected');
    expect(rejected.body).toContain('The ROLLBACK was rejected. Rejected by dba at 2026-11-24 22:00:00 UTC.\nNothing is frozen or switched');
  });

  it('failure: step, error, DMS message from the Lambda cause, what to do; no stack trace', () => {
    const cause = JSON.stringify({
      errorType: 'ConnectionTestFailed',
      errorMessage: "The source endpoint orders-ec2 failed its connection test: Can't connect to MySQL server",
      trace: ['ConnectionTestFailed: ...', '    at testConnections (/var/task/index.js:1:2)'],
    });
    const { subject, body } = renderNotification({
      ...base,
      kind: 'failure',
      details: { error: { Error: 'ConnectionTestFailed', Cause: cause }, failedStep: { name: 'Test connections' } },
    });
    expect(subject).toBe('[DMS] Orders to Aurora: FAILED at Test connections (ConnectionTestFailed)');
    expect(body).toContain('Phase: Test connections');
    expect(body).toContain("What happened: The source endpoint orders-ec2 failed its connection test: Can't connect to MySQL server");
    expect(body).toContain(`What to do: ${NEXT_STEPS.ConnectionTestFailed}`);
    expect(body).not.toContain('/var/task');
  });

  it('failure: an unknown error still says what to do', () => {
    const { body } = renderNotification({ ...base, kind: 'failure', details: { error: { Error: 'Lambda.Unknown' } } });
    expect(body).toContain('What happened: (no details given)');
    expect(body).toContain('What to do: Check the execution history');
  });

  it.each<[string, LeftReadOnly, string]>([
    ['Switch', { side: 'source', because: 'switch-failed' }, 'The source database is still read-only (frozen for the switch), and the new endpoint may already be published'],
    ['Roll back: switch', { side: 'target', because: 'switch-failed' }, 'The target database is still read-only (frozen for the switch)'],
    ['Unfreeze source writes', { side: 'source', because: 'unfreeze-failed' }, 'The source database may still be read-only: restoring its settings failed'],
    ['Roll back: unfreeze target writes', { side: 'target', because: 'unfreeze-failed' }, 'The target database may still be read-only'],
    ['Start reverse replication', { side: 'source', because: 'switched' }, 'The source database stays read-only on purpose: the switch is done and applications use the target now. Do not make the source writable'],
  ])('failure at %s: warns first that a database is left read-only', (name, leftReadOnly, warning) => {
    const { body } = renderNotification({ ...base, kind: 'failure', details: { error: { Error: 'DatabaseUnreachable' }, failedStep: { name, leftReadOnly } } });
    // Before the phase, error and cause: the first thing read after the migration's name.
    const lines = body.split('\n');
    expect(lines[lines.findIndex((line) => line.startsWith('Migration:')) + 1]).toContain(`WARNING: ${warning}`);
  });

  it('failure before the freeze or after a restore: no read-only warning', () => {
    for (const name of ['Gate', 'Freeze source writes', 'Prove catch-up', 'Start task']) {
      const { body } = renderNotification({ ...base, kind: 'failure', details: { error: { Error: 'DatabaseUnreachable' }, failedStep: { name } } });
      expect(body).not.toContain('WARNING');
    }
    expect(readOnlyWarning(undefined)).toBeUndefined();
  });

  it('has next steps for every error the functions throw', () => {
    for (const name of ['InvalidInput', 'ConnectionTestFailed', 'TargetNotReady', 'ResourceNotFound', 'TaskInUnexpectedState', 'TablesErrored', 'ValidationMismatch', 'ValidationNotEnabled', 'CutoverPreconditionFailed', 'AwsServiceUnavailable', 'DatabaseSecretInvalid', 'DatabaseUnreachable'] as const) {
      expect(NEXT_STEPS[name]).toBeDefined();
      const { body } = renderNotification({ ...base, kind: 'failure', details: { error: { Error: name } } });
      expect(body).toContain(`What to do: ${NEXT_STEPS[name]}`);
    }
  });
});

describe('subjects, causes and links', () => {
  it('keeps subjects ASCII, on one line and under 100 characters', () => {
    const subject = safeSubject(`[DMS] Migración «Pedidos» ${'x'.repeat(200)}\nsecond line`);
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.endsWith('...')).toBe(true);
    expect(safeSubject('Migración\tok')).toBe('Migracion ok');
  });

  it('uses a plain-text cause as it is', () => {
    const { body } = renderNotification({ ...base, kind: 'failure', details: { error: { Error: 'States.Timeout', Cause: 'The task timed out' } } });
    expect(body).toContain('What happened: The task timed out');
  });

  it('links to the console of the execution partition, or not at all', () => {
    expect(consoleLink(EXECUTION_ARN)).toBe(CONSOLE);
    expect(consoleLink('arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:sm:run')).toContain('https://us-gov-west-1.console.amazonaws-us-gov.com/states/');
    expect(consoleLink('arn:aws-iso:states:us-iso-east-1:123456789012:execution:sm:run')).toBeUndefined();
    expect(consoleLink(undefined)).toBeUndefined();
    expect(renderNotification({ migrationName: 'm', kind: 'approval-timeout', details: {} }).body).not.toContain('Execution:');
  });
});
