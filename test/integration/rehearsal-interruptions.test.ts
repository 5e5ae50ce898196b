import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';

/**
 * Whatever ends a rehearsal, a running source server must not stay read-only. The "running server" is a
 * throwaway MariaDB this test starts (the rehearsal did not start it, so it treats it as an operator's
 * server, given with --source-port); the rehearsal CLI runs in its own process and is interrupted while its
 * cutover has the source frozen, seen by polling @@read_only on that server.
 */
const ROOT = path.resolve(__dirname, '../..');
// Each run starts its own target server and runs the workflow up to the freeze.
jest.setTimeout(240_000);
const outboxDirectory = mkdtempSync(path.join(tmpdir(), 'rehearsal-interruptions-'));
let runs = 0;
let server: ThrowawayMariadb;
let admin: Connection;

interface Run {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  send(signal: NodeJS.Signals): void;
  closeOutput(): void;
  /** Standard output so far. */
  output(): string;
}

/** `dms-orchestrator rehearse --auto-approve` on the test's server, or `shellPipe` appended (`| head -1`). */
function rehearsal(shellPipe?: string): Run {
  const run = ++runs;
  const args = ['bin/dms-orchestrator.js', 'rehearse', '--auto-approve', '--rows', '3000', '--batch-rows', '500', '--source-port', String(server.port)];
  args.push('--source-database', `rehearsal_interrupted_${process.pid}_${run}`, '--outbox', path.join(outboxDirectory, `outbox-${run}.jsonl`));
  // CDK's CloudFormation validation of the template (seconds of CPU in each run) is left to the runs that check the
  // template: this stack is the rehearsal's default one, validated in rehearsal.test.ts's own-process run.
  const env = { ...process.env, CDK_VALIDATION: 'false' };
  const child = shellPipe
    ? spawn('sh', ['-c', `"${process.execPath}" ${args.join(' ')} ${shellPipe}`], { cwd: ROOT, env })
    : spawn(process.execPath, args, { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    exited: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))),
    send: (signal) => child.kill(signal),
    closeOutput: () => child.stdout.destroy(),
    output: () => stdout,
  };
}

async function readOnly(): Promise<boolean> {
  const [[row]] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.read_only AS readOnly');
  return Number(row.readOnly) === 1;
}

/** Resolves once the cutover has frozen the source; fails if the rehearsal ends first. */
async function frozen(run: Run): Promise<void> {
  let ended = false;
  void run.exited.then(() => (ended = true));
  while (!(await readOnly())) {
    if (ended) throw new Error(`The rehearsal ended before the freeze: ${JSON.stringify(await run.exited)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const STACK_TRACE = /^\s+at .+\(.+:\d+:\d+\)$/m;

beforeAll(async () => {
  // Set up as a DMS source, and storing text as the rehearsal's target does.
  server = await startThrowawayMariadb({
    'log-bin': 'binlog',
    'binlog-format': 'ROW',
    'binlog-row-image': 'FULL',
    'server-id': 1,
    'character-set-server': 'utf8mb4',
    'collation-server': 'utf8mb4_unicode_ci',
  });
  admin = await createConnection({ host: server.host, port: server.port, user: 'root' });
});

afterEach(async () => {
  await admin.query('SET GLOBAL read_only = OFF');
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
  rmSync(outboxDirectory, { recursive: true, force: true });
});

describe('an interrupted rehearsal gives a running source its settings back', () => {
  it('a closed terminal (SIGHUP) during the freeze', async () => {
    const run = rehearsal();
    await frozen(run);
    run.send('SIGHUP');
    const { code, stderr } = await run.exited;
    expect(code).toBe(129);
    expect(stderr).toContain("Interrupted (SIGHUP): restoring the source's read_only settings");
    expect(await readOnly()).toBe(false);
  });

  it('Ctrl-C twice in a row during the freeze', async () => {
    const run = rehearsal();
    await frozen(run);
    run.send('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    run.send('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(await readOnly()).toBe(false);
  });

  it('its output closed by the reader during the freeze (EPIPE): no stack trace', async () => {
    const run = rehearsal();
    await frozen(run);
    run.closeOutput();
    const { code, stderr } = await run.exited;
    expect(stderr).not.toMatch(STACK_TRACE);
    expect(stderr).toContain('Standard output was closed');
    expect(code).toBe(141);
    expect(await readOnly()).toBe(false);
  });

  it('piped to head -1: exits without a stack trace and leaves the server writable', async () => {
    const { stdout, stderr } = await rehearsal('| head -1').exited;
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).not.toMatch(STACK_TRACE);
    expect(await readOnly()).toBe(false);
  });

  it('leaves alone a source that is read-only already, saying so, and rehearses on a throwaway server', async () => {
    await admin.query('SET GLOBAL read_only = ON');
    const run = rehearsal();
    // The warning comes before anything is seeded; the rest of the run is not this test's subject.
    while (!run.output().includes('Starting a throwaway MariaDB')) await new Promise((resolve) => setTimeout(resolve, 50));
    run.send('SIGINT');
    const { stdout } = await run.exited;
    expect(stdout).toContain(`WARNING: 127.0.0.1:${server.port} is read-only (read_only=ON). It may be a replica`);
    expect(stdout).toContain(`The source cannot be 127.0.0.1:${server.port}: it is read-only. Starting a throwaway MariaDB for it.`);
    expect(await readOnly()).toBe(true);
  });
});
