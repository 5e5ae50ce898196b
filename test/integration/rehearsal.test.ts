import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * `npm run rehearse` end to end, as an operator runs it: the CLI in its own process, a source database on the
 * shared MariaDB, a throwaway target server, the emulator, the synthesized workflow and the real handlers.
 * A small seed keeps each run to seconds; the default run (120,000 rows) is the README's first command.
 */
const ROOT = path.resolve(__dirname, '../..');
// Each rehearsal synthesizes the stack and starts a MariaDB server: seconds, not milliseconds.
jest.setTimeout(90_000);
const outboxDirectory = mkdtempSync(path.join(tmpdir(), 'rehearsal-test-'));
let runs = 0;

interface Rehearsal {
  exitCode: number;
  stdout: string;
  stderr: string;
  notifications: Array<{ subject: string; message: string; attributes: { kind: string } }>;
}

function rehearse(...options: string[]): Promise<Rehearsal> {
  const run = ++runs;
  const outbox = path.join(outboxDirectory, `outbox-${run}.jsonl`);
  const args = ['bin/dms-orchestrator.js', 'rehearse', '--rows', '3000', '--batch-rows', '500', '--outbox', outbox, '--source-database', `rehearsal_test_${process.pid}_${run}`, ...options];
  const startedAt = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, timeout: 90_000 }, (error, stdout, stderr) => {
      // A figure for the log, not an assertion: how long one rehearsal takes on this machine.
      console.log(`rehearse ${options.join(' ')}: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      const notifications = (existsSync(outbox) ? readFileSync(outbox, 'utf8') : '').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Rehearsal['notifications'][number]);
      resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr, notifications });
    });
  });
}

const kinds = (result: Rehearsal) => result.notifications.map((notification) => notification.attributes.kind);
const failure = (result: Rehearsal) => result.notifications.find((notification) => notification.attributes.kind === 'failure');

afterAll(() => rmSync(outboxDirectory, { recursive: true, force: true }));

describe('npm run rehearse', () => {
  it('migrates the sample shop through every phase to cutover, riding out throttling, and exits 0', async () => {
    const result = await rehearse('--auto-approve', '--throttle', 'DescribeReplicationTasks=4');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(kinds(result)).toEqual(expect.arrayContaining(['started', 'full-load-complete', 'validation-outcome', 'approval-request', 'cut-over']));
    expect(kinds(result)).not.toContain('failure');
    expect(result.stdout).toContain('Rehearsal succeeded');
    expect(result.stdout).toMatch(/Full load: 3,000 of 3,000 rows copied/);
    expect(result.stdout).toMatch(/page_views +\d[\d,]* rows {2}Table completed; DMS validation: Validated/);
    expect(result.stdout).toMatch(/Endpoint published: SSM parameter \/apps\/shop\/database-endpoint = 127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/Retried:\n {2}Start task after AwsServiceUnavailable/);
  });

  it('a failed source connection test ends the run with the DMS message in the failure notification, exit 1', async () => {
    const result = await rehearse('--auto-approve', '--fail-connection', 'source');
    expect(result.exitCode).toBe(1);
    expect(failure(result)?.subject).toContain('(ConnectionTestFailed)');
    expect(failure(result)?.message).toContain("Can't connect to MySQL server on '127.0.0.1'");
    expect(result.stderr).toMatch(/^ConnectionTestFailed: The source endpoint shop-source failed its connection test/);
    expect(kinds(result)).not.toContain('started');
  });

  it('a table in "Table error" fails the full-load wait and names the table, exit 1', async () => {
    const result = await rehearse('--auto-approve', '--error-table', 'orders');
    expect(result.exitCode).toBe(1);
    expect(failure(result)?.subject).toContain('FAILED at Wait for full load (TablesErrored)');
    expect(failure(result)?.message).toMatch(/Full load failed for rehearsal_test_\d+_\d+\.orders/);
    expect(kinds(result)).not.toContain('cut-over');
  });

  it('a target row changed before validation is caught as a validation mismatch, nothing cut over, exit 1', async () => {
    const result = await rehearse('--auto-approve', '--alter-target-row', 'customers');
    expect(result.exitCode).toBe(1);
    expect(failure(result)?.subject).toContain('(ValidationMismatch)');
    expect(failure(result)?.message).toMatch(/\.customers \(Mismatched records: 1 failed/);
    expect(kinds(result)).not.toContain('approval-request');
  });

  it('refuses a bad option before touching anything, exit 2 with the usage', async () => {
    const result = await rehearse('--fail-connection', 'both');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--fail-connection takes "source" or "target"');
    expect(result.stderr).toContain('Usage: dms-orchestrator rehearse');
  });
});
