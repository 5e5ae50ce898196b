import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { rehearseInItsOwnProcess } from '../support/rehearse-cli';

/**
 * `npm run rehearse -- --wave 3` end to end, as an operator runs it: three sample databases of different shapes
 * (a shop, a clinic, a ledger), each on throwaway servers of its own with its own migration stack and emulator,
 * moved by one execution of the synthesized wave state machine with one approval. Small seeds keep each run short.
 */
// Six MariaDB servers, four syntheses and nine executions: tens of seconds on an idle machine.
jest.setTimeout(300_000);
const outboxDirectory = mkdtempSync(path.join(tmpdir(), 'rehearse-wave-test-'));
afterAll(() => rmSync(outboxDirectory, { recursive: true, force: true }));

const MIGRATIONS = ['Shop rehearsal', 'Clinic rehearsal', 'Ledger rehearsal'];

/** `environment`: CDK_VALIDATION=false skips CloudFormation's validation of stacks another run here already validated. */
function rehearseWave(name: string, options: string[] = [], environment: NodeJS.ProcessEnv = {}) {
  return rehearseInItsOwnProcess(['--auto-approve', '--wave', '3', '--rows', '600', '--batch-rows', '200', ...options], path.join(outboxDirectory, `${name}.jsonl`), 290_000, environment);
}

/** The summary's lines about one migration: the wave's verdict, then where its endpoint parameter points. */
function reportOf(stdout: string, migration: string): string {
  const summary = stdout.slice(stdout.lastIndexOf('\nWave rehearsal '));
  const start = summary.indexOf(`\n${migration}: `);
  return start < 0 ? '' : summary.slice(start + 1, summary.indexOf('\n\n', start + 1));
}

it('cuts three different databases over with one wave execution and one approval, each call held to its own stack’s IAM', async () => {
  const result = await rehearseWave('wave');

  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain('Wave rehearsal succeeded');
  for (const migration of MIGRATIONS) {
    expect(reportOf(result.stdout, migration)).toMatch(new RegExp(`^${migration}: cut over: on the target\\n[^]*\\(its target server\\)`));
  }
  // One e-mail per milestone of the wave, none per migration.
  expect(result.notifications.map((notification) => notification.subject)).toEqual(['[DMS] wave Rehearsal wave: wave approval needed', '[DMS] wave Rehearsal wave: wave summary']);
  expect(result.stdout).toMatch(/^Wave stack RehearsalWave: IAM enforced: [1-9]\d* calls evaluated, 0 denied$/m);
  for (const stack of ['ShopRehearsal', 'ClinicRehearsal', 'LedgerRehearsal']) {
    expect(result.stdout).toMatch(new RegExp(`^Migration stack ${stack}: IAM enforced: [1-9]\\d* calls evaluated, 0 denied$`, 'm'));
  }
});

it('exits 1 naming the migration whose table errored, while the other two cut over', async () => {
  const result = await rehearseWave('errored-table', ['--error-table', 'dms_rehearsal_clinic:patients'], { CDK_VALIDATION: 'false' });

  expect(result.exitCode).toBe(1);
  expect(result.stderr).toMatch(/^WaveIncomplete: Wave incomplete: Clinic rehearsal: not ready for cutover: still on the source \(TablesErrored: Full load failed for dms_rehearsal_clinic\.patients/);
  expect(reportOf(result.stdout, 'Clinic rehearsal')).toContain('(its source server)');
  // The failed migration's own failure e-mail goes out at once, beside the wave's milestones.
  expect(result.notifications.map((notification) => notification.subject)).toEqual([
    expect.stringMatching(/^\[DMS\] Clinic rehearsal: FAILED at Wait for full load \(TablesErrored\)$/),
    '[DMS] wave Rehearsal wave: wave approval needed',
    '[DMS] wave Rehearsal wave: wave summary',
  ]);
  for (const migration of ['Shop rehearsal', 'Ledger rehearsal']) {
    expect(reportOf(result.stdout, migration)).toMatch(new RegExp(`^${migration}: cut over: on the target\\n[^]*\\(its target server\\)`));
  }
});
