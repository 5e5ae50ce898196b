import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_REHEARSAL, type RehearsalOptions } from '../../local/rehearsal/options';
import { rehearse } from '../../local/rehearsal/rehearse';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../../local/workflow/synthesize';
import { migrationConfig } from '../support/migration';
import { notificationsIn, rehearseInItsOwnProcess, reportDuration, type CliRehearsal, type Notification } from '../support/rehearse-cli';

/**
 * `npm run rehearse` end to end: a source database on the shared MariaDB, a throwaway target server, the
 * emulator, the synthesized workflow and the real handlers. The task's happy path, its rollback and a refused option
 * run as an operator runs them (the CLI in its own process, judged by its exit status and standard error); the others
 * run in this process, sharing one synthesis of the stack per engine, with the handlers loaded afresh for each
 * rehearsal (the CLI's options are tested in test/unit/cli/rehearse-options.test.ts). A small seed keeps each run
 * to seconds; the default (120,000 rows) is the README's first command.
 */
// Each rehearsal starts a MariaDB server and runs the whole workflow: seconds, not milliseconds.
jest.setTimeout(180_000);
const outboxDirectory = mkdtempSync(path.join(tmpdir(), 'rehearsal-test-'));
let runs = 0;

function smallRehearsal(): { outbox: string; sourceDatabase: string } {
  const run = ++runs;
  return { outbox: path.join(outboxDirectory, `outbox-${run}.jsonl`), sourceDatabase: `rehearsal_test_${process.pid}_${run}` };
}

function rehearseSmallInItsOwnProcess(...options: string[]): Promise<CliRehearsal> {
  const { outbox, sourceDatabase } = smallRehearsal();
  return rehearseInItsOwnProcess(['--rows', '3000', '--batch-rows', '500', '--source-database', sourceDatabase, ...options], outbox);
}

/**
 * One synthesis per engine, with or without a way back, for the rehearsals with the default settings: their stacks
 * differ only in the source database's name, which each rehearsal gives its own.
 */
const syntheses = new Map<string, SynthesizedWorkflow>();
const synthesizeOncePer = (engine: RehearsalOptions['engine'], rollback: boolean) => (deployment: unknown) => {
  const key = `${engine}${rollback ? ' with a way back' : ''}`;
  const synthesized = syntheses.get(key) ?? synthesizeWorkflow(deployment);
  syntheses.set(key, synthesized);
  return synthesized;
};

async function rehearseHere(
  faults: RehearsalOptions['faults'],
  options: {
    autoApprove?: boolean;
    onOutput?: (output: string) => void;
    migrationSettings?: RehearsalOptions['migrationSettings'];
    engine?: RehearsalOptions['engine'];
    rollback?: boolean;
  } = {},
) {
  const { outbox, sourceDatabase } = smallRehearsal();
  const engine = options.engine ?? 'task';
  const rollback = options.rollback ?? false;
  jest.resetModules(); // the handlers read their environment as they load: each rehearsal has its own emulator
  let output = '';
  // What the CLI would print on its standard error (a warning, a stack trace): nothing, when all goes well.
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  const writeStandardError = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return write(chunk);
  });
  const startedAt = Date.now();
  const result = await rehearse(
    {
      ...DEFAULT_REHEARSAL,
      rows: 3000,
      batchRows: 500,
      outboxFile: outbox,
      sourceDatabase,
      autoApprove: options.autoApprove ?? true,
      waitMilliseconds: 100,
      faults,
      migrationSettings: options.migrationSettings,
      engine,
      rollback,
    },
    {
      write: (text) => {
        output += text;
        options.onOutput?.(output);
      },
      interactive: false,
    },
    // Other settings than the default make another stack each.
    options.migrationSettings ? synthesizeWorkflow : synthesizeOncePer(engine, rollback),
  ).finally(() => writeStandardError.mockRestore());
  reportDuration(`rehearse ${engine}${rollback ? ' --rollback' : ''} with ${JSON.stringify(faults)}`, startedAt);
  const notifications = notificationsIn(outbox);
  return { ...result, output, stderr, notifications, failure: notifications.find((notification) => notification.attributes.kind === 'failure') };
}

/**
 * A summary an operator reads: no raw JSON, no field names in camelCase. File paths and URLs are names, not
 * words (the test's temporary directory has a random, mixed-case suffix).
 */
function expectPlainWords(summary: string): void {
  expect(summary).not.toMatch(/[{}]/);
  expect(summary.replace(/\S*\/\S*/g, '')).not.toMatch(/\b[a-z]+[A-Z][A-Za-z]*\b/);
}

const kinds = (notifications: Notification[]) => notifications.map((notification) => notification.attributes.kind);

afterAll(() => rmSync(outboxDirectory, { recursive: true, force: true }));

describe('npm run rehearse', () => {
  it('migrates the sample shop through every phase to cutover, riding out throttling, and exits 0', async () => {
    const result = await rehearseSmallInItsOwnProcess('--auto-approve', '--throttle', 'DescribeReplicationTasks=4');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(kinds(result.notifications)).toEqual(expect.arrayContaining(['started', 'full-load-complete', 'validation-outcome', 'approval-request', 'cut-over']));
    expect(kinds(result.notifications)).not.toContain('failure');
    expect(result.stdout).toContain('Rehearsal succeeded');
    expect(result.stdout).toMatch(/Full load: 3,000 of 3,000 rows copied/);
    // The keyless table: readiness warns, DMS cannot validate it, the independent comparison checks it.
    expect(result.stdout).toMatch(/WARN Every table has a primary or unique key: 1 without a key: \w+\.page_views/);
    expect(result.stdout).toMatch(/page_views +\d[\d,]* rows {2}Table completed; DMS validation: No primary key/);
    expect(result.stdout).toMatch(/DMS validation: passed \(5 validated, .*1 keyless\)/);
    expect(result.stdout).toMatch(/Independent data comparison: match \(6 tables/);
    expect(result.stdout).toMatch(/Endpoint published: SSM parameter \/apps\/shop\/database-endpoint = 127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/Retried:\n {2}[A-Za-z ]+ after AwsServiceUnavailable/);
    expect(result.stdout).toMatch(/IAM enforced: [1-9]\d* calls evaluated, 0 denied/);
    expectPlainWords(result.stdout.slice(result.stdout.indexOf('Rehearsal succeeded')));
    const timings = /Timings[^\n]*\n((?: {2}.+\n)+)/.exec(result.stdout)?.[1].trimEnd().split('\n') ?? [];
    const timedStates = timings.map((line) => line.trim().replace(/ +\d+\.\d s.*$/, ''));
    expect(timedStates.length).toBeGreaterThan(0);
    expect(new Set(timedStates).size).toBe(timedStates.length);
  });

  // Under IAM enforcement: the rollback's gate reads the reverse task's table statistics (issue 16, defect 2).
  it('--rollback: cuts over keeping a way back, then rolls back; orders placed on the target are on the source, the endpoint names it, exit 0', async () => {
    const result = await rehearseSmallInItsOwnProcess('--auto-approve', '--rollback');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.notifications.map((notification) => notification.subject.replace(/^\[DMS\] Shop rehearsal: /, '')).slice(-11)).toEqual([
      'cutover: Freeze source writes',
      'cutover: Prove catch-up',
      'cutover: Switch',
      'cutover: Start reverse replication',
      'cut over to the target',
      // A rollback asks for its own approval (here given by --auto-approve).
      'ROLLBACK approval needed: freezes the TARGET',
      'cutover: Roll back: gate',
      'cutover: Roll back: freeze target writes',
      'cutover: Roll back: prove catch-up',
      'cutover: Roll back: switch',
      'rolled back to the source',
    ]);
    expect(result.stdout).toMatch(/After the switch:\n {2}Reverse replication \(task arn:aws:dms:\S+\) is starting from the target's binlog position binlog\.\d+:\d+/);
    expect(result.stdout).toMatch(/Rollback steps:\n(?: {2}Roll back: .+\n)*? {2}Roll back: freeze target writes +\d/);
    expect(result.stdout).toMatch(/Catch-up proof:\n {2}The source has every write made on the target before the freeze: marker \S+, written to \S+ on the target at .+ UTC, was read on the source at .+ UTC/);
    expect(result.stdout).toMatch(/Orders placed on the target after the cutover: (\d+, \d+, \d+); on the source after the rollback: \1\n/);
    expect(result.stdout).toMatch(/Endpoint published: (127\.0\.0\.1:\d+) \(the source is \1\)/);
    expect(result.stdout).toContain('Rollback succeeded: the applications are back on the source.');
    expectPlainWords(result.stdout.slice(result.stdout.indexOf('Rehearsal succeeded')));
  });

  it('refuses a bad option before touching anything, exit 2 with the usage', async () => {
    const result = await rehearseSmallInItsOwnProcess('--fail-connection', 'both');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--fail-connection takes "source" or "target"');
    expect(result.stderr).toContain('Usage: dms-orchestrator rehearse');
  });
});

// These run before the task's rehearsals in this process: a serverless rehearsal that follows a task rehearsal in the
// same process waits forever at "Wait for full load" (seen while moving these in-process; its own process is unaffected).
describe('npm run rehearse -- --serverless', () => {
  it('migrates the sample shop on a DMS Serverless replication through every phase to cutover, the summary naming the engine, exit 0', async () => {
    const result = await rehearseHere({}, { engine: 'serverless' });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(kinds(result.notifications)).toEqual(expect.arrayContaining(['started', 'full-load-complete', 'validation-outcome', 'approval-request', 'cut-over']));
    expect(result.output).toMatch(/aws --endpoint-url \S+ dms describe-replications --filters Name=replication-config-arn,Values=arn:aws:dms:\S+:replication-config:\S+/);
    expect(result.output).not.toContain('describe-replication-tasks');
    expect(result.output).toMatch(/Engine: DMS Serverless replication, arn:aws:dms:eu-west-1:123456789012:replication-config:\S+/);
    expect(result.output).toMatch(/Full load: 3,000 of 3,000 rows copied/);
    expect(result.output).toMatch(/DMS validation: passed \(5 validated, .*1 keyless\)/);
    expect(result.output).toMatch(/Ongoing replication \(CDC\): \d+ inserts/);
    expect(result.output).toMatch(/IAM enforced: [1-9]\d* calls evaluated, 0 denied/);
    expectPlainWords(result.output.slice(result.output.indexOf('Rehearsal succeeded')));
  });

  it('--rollback: the way back is a CDC-only serverless replication; orders placed on the target reach the source, exit 0', async () => {
    const result = await rehearseHere({}, { engine: 'serverless', rollback: true });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(kinds(result.notifications)).toEqual(expect.arrayContaining(['cut-over', 'rolled-back']));
    expect(result.output).toMatch(/Reverse replication \(replication config arn:aws:dms:\S+:replication-config:\S+\)/);
    expect(result.output).toMatch(/Orders placed on the target after the cutover: (\d+, \d+, \d+); on the source after the rollback: \1\n/);
    expect(result.output).toContain('Rollback succeeded: the applications are back on the source.');
    expect(result.output).toMatch(/IAM enforced: [1-9]\d* calls evaluated, 0 denied\s*$/);
  });

  it('an endpoint the replication cannot reach fails it in testing_connection: the failure names the DMS message, exit 1', async () => {
    const result = await rehearseHere({ failConnection: 'source' }, { engine: 'serverless' });
    expect(result.exitCode).toBe(1);
    expect(result.failure?.message).toContain('Test connection for endpoint shop-source failed');
    expect(result.failure?.message).toContain("Can't connect to MySQL server on '127.0.0.1'");
    expect(result.output).toContain('Full load: not started (the run ended before it).');
  });
});

describe('rehearsal paths that end short of cutover', () => {
  it('a failed source connection test ends the run with the DMS message in the failure notification, exit 1', async () => {
    const result = await rehearseHere({ failConnection: 'source' });
    expect(result.exitCode).toBe(1);
    expect(result.reason).toMatch(/^ConnectionTestFailed: The source endpoint shop-source failed its connection test/);
    expect(result.failure?.subject).toContain('(ConnectionTestFailed)');
    expect(result.failure?.message).toContain("Can't connect to MySQL server on '127.0.0.1'");
    // The task logs (as the stack creates tasks): the notify function, held to its role, read where.
    expect(result.failure?.message).toMatch(/\nThe replication task's own log: CloudWatch Logs, log group dms-tasks-shop-rehearsal-instance, log stream dms-task-\w+\.(\n|$)/);
    expect(kinds(result.notifications)).not.toContain('started');
    // It failed before the load: the summary says so, with no load figures.
    expect(result.output).toContain('Full load: not started (the run ended before it).');
    expect(result.output).not.toMatch(/rows copied|Ongoing replication/);
  });

  it('a table in "Table error" fails the full-load wait and names the table, exit 1', async () => {
    const result = await rehearseHere({ erroredTable: 'orders' });
    expect(result.exitCode).toBe(1);
    expect(result.failure?.subject).toContain('FAILED at Wait for full load (TablesErrored)');
    expect(result.failure?.message).toMatch(/Full load failed for rehearsal_test_\d+_\d+\.orders/);
    expect(kinds(result.notifications)).not.toContain('cut-over');
  });

  it('prints the review link of the real approval page and waits; a rejection there ends without cutover, exit 1', async () => {
    let decided = false;
    const pageProblems: string[] = [];
    /** Opens the link as a browser would, then posts the page's own form with Reject and a reason. */
    const rejectOnThePage = async (reviewUrl: string): Promise<void> => {
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const page = await (await fetch(reviewUrl)).text();
        const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
        if (csrf) {
          const form = new URLSearchParams({ csrf, decision: 'reject', decidedBy: 'dba@example.com', reason: 'Not before the Friday window' });
          const answer = await fetch(reviewUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
          if (answer.ok) return;
          pageProblems.push(`POST answered ${answer.status}`);
        } else {
          pageProblems.push(`no form on the page: ${/<h1[^>]*>([^<]*)/.exec(page)?.[1] ?? page.slice(0, 80)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    const result = await rehearseHere(
      {},
      {
        autoApprove: false,
        onOutput: (output) => {
          const reviewUrl = /http:\/\/127\.0\.0\.1:\d+\/review\?\S+/.exec(output)?.[0];
          if (reviewUrl && !decided) {
            decided = true;
            void rejectOnThePage(reviewUrl).catch((error: Error) => pageProblems.push(error.message));
          }
        },
      },
    );
    expect(pageProblems).toEqual([]);
    expect(result.output).toMatch(/cutover approval needed \(open until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/);
    expect(result.exitCode).toBe(1);
    expect(result.reason).toMatch(/^Ended without cutover \(ApprovalRejected\): Rejected by dba@example.com at .+ UTC\. Their reason:\n {2}> Not before the Friday window$/);
    expect(kinds(result.notifications)).toEqual(expect.arrayContaining(['approval-request', 'approval-rejected']));
    expect(kinds(result.notifications)).not.toContain('cut-over');
  });

  it('with two approvers: each asks the page for a code, the rehearsal prints the code e-mail it sent to that address alone, and two approvals cut over', async () => {
    const approvers = ['dba.lead@example.com', 'shop.owner@example.com'];
    const config = migrationConfig({
      migrationName: 'Shop rehearsal',
      cutover: { maxCdcLatencySeconds: 10, endpointParameterName: '/apps/shop/database-endpoint' },
      validation: { requireDmsValidation: true, maxWaitMinutes: 60 },
      approval: { approvers, approvals: 2 },
    });
    const { migrationName, startPolicy, confirmReloadTarget, validation, cutover, target, approval } = config;
    let output = '';
    const pageProblems: string[] = [];
    const waitFor = async <T>(find: () => T | undefined): Promise<T | undefined> => {
      for (let attempt = 0; attempt < 120 && find() === undefined; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 250));
      return find();
    };
    /** An approver at the page: a code to their address, read where the rehearsal prints it, then Approve with it. */
    const approveOnThePage = async (reviewUrl: string, approver: string) => {
      const csrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(reviewUrl)).text())?.[1] ?? '';
      const post = (fields: Record<string, string>) => fetch(reviewUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, ...fields }) });
      const sent = await post({ action: 'send-code', approver });
      if (!sent.ok) pageProblems.push(`send-code for ${approver} answered ${sent.status}`);
      const code = await waitFor(() => new RegExp(`✉ to ${approver.replace(/\./g, '\\.')}: .*your approval code: (\\d{6})`).exec(output)?.[1]);
      if (!code) {
        pageProblems.push(`no code printed for ${approver}`);
        return;
      }
      const decided = await post({ approver, code, decision: 'approve' });
      if (!decided.ok) pageProblems.push(`approval by ${approver} answered ${decided.status}`);
    };
    let started = false;
    const result = await rehearseHere(
      {},
      {
        autoApprove: false,
        migrationSettings: { migrationName, startPolicy, confirmReloadTarget, validation, cutover, target: { type: target.type }, approval },
        onOutput: (text) => {
          output = text;
          const reviewUrl = /http:\/\/127\.0\.0\.1:\d+\/review\?\S+/.exec(text)?.[0];
          if (reviewUrl && !started) {
            started = true;
            void (async () => {
              for (const approver of approvers) await approveOnThePage(reviewUrl, approver);
            })().catch((error: Error) => pageProblems.push(error.message));
          }
        },
      },
    );
    expect(pageProblems).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(output).toContain(`Choose one of ${approvers.join(', ')} there and send yourself a code`);
    const codes = result.notifications.filter((notification) => notification.attributes.kind === 'approval-code') as Array<Notification & { deliveredTo: string[] }>;
    expect(codes.map((notification) => notification.deliveredTo)).toEqual([[approvers[0]], [approvers[1]]]);
    expect(kinds(result.notifications)).toContain('cut-over');
  });

  it('a target row changed before validation is caught as a validation mismatch, nothing cut over, exit 1', async () => {
    const result = await rehearseHere({ alterTargetRow: 'customers' });
    expect(result.exitCode).toBe(1);
    expect(result.failure?.subject).toContain('(ValidationMismatch)');
    expect(result.failure?.message).toMatch(/\.customers \(Mismatched records: 1 failed/);
    expect(kinds(result.notifications)).not.toContain('approval-request');
  });
});
