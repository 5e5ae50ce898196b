import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEPLOYMENT } from '../support/synthesized-workflow';

/**
 * What `cdk synth` prints, run as an operator runs it (its own processes): a bad config is one message and a
 * non-zero exit, and bundling the functions says nothing beyond CDK's own line per asset.
 */
const ROOT = path.join(__dirname, '..', '..');

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const scratch = () => mkdtempSync(path.join(tmpdir(), 'dms-synth-'));

describe('cdk synth output', () => {
  it('refuses a bad config with one message naming the file and the field, no stack trace, exit 1', async () => {
    const config = path.join(scratch(), 'config.json');
    const { account: _account, ...withoutAccount } = DEPLOYMENT;
    writeFileSync(config, JSON.stringify({ ...withoutAccount, migration: { ...DEPLOYMENT.migration, replicationTaskArn: 'task-1' } }));
    const cdk = path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    const result = await run(process.execPath, [cdk, 'synth', '--quiet', '-c', `config=${config}`, '--output', scratch()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n').filter(Boolean);
    // The CLI adds one line of its own after the app's message: which command failed, with its exit code.
    expect(lines.slice(0, -1)).toEqual([
      `Invalid deployment config ${config}:`,
      '  account: required: expected a 12-digit AWS account id',
      '  migration.replicationTaskArn: expected a DMS replication task ARN: arn:aws:dms:<region>:<account-id>:task:<id>',
    ]);
    expect(lines.at(-1)).toMatch(/Subprocess exited with error 1$/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }, 120_000);

  it('refuses a bad wave deployment and a bad config in one run, each message naming its file and fields, exit 1', async () => {
    const config = path.join(scratch(), 'config.json');
    writeFileSync(config, JSON.stringify({ ...DEPLOYMENT, region: 'Ireland' }));
    const wave = path.join(scratch(), 'wave.json');
    writeFileSync(wave, JSON.stringify({ stackName: 'ShopWave', account: '123456789012', region: 'eu-west-1', migrationStackNames: [] }));
    const cdk = path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    const result = await run(process.execPath, [cdk, 'synth', '--quiet', '-c', `config=${config}`, '-c', `wave=${wave}`, '--output', scratch()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines.slice(0, -1)).toEqual([
      `Invalid deployment config ${config}:`,
      '  region: expected an AWS region such as eu-west-1',
      `Invalid wave deployment ${wave}:`,
      '  migrationStackNames: expected at least one migration stack name',
    ]);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }, 120_000);

  it('bundles a function without printing esbuild\'s file list, sizes and timing', async () => {
    const outdir = scratch();
    const program = `
      const { App, Stack } = require('aws-cdk-lib');
      const { Key } = require('aws-cdk-lib/aws-kms');
      const { PhaseFunction } = require('./infra/constructs/phase-function');
      const app = new App({ outdir: ${JSON.stringify(outdir)} });
      const stack = new Stack(app, 'Quiet');
      new PhaseFunction(stack, 'RunLock', { entry: 'run-lock/handler', description: 'run lock', logKey: new Key(stack, 'Logs') });
      app.synth();`;
    const result = await run(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['-e', program]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Bundling asset Quiet/RunLock/Code/Stage...\n');
  }, 120_000);
});
