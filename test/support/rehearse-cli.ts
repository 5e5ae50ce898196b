import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** `dms-orchestrator rehearse` as an operator runs it: the CLI in its own process, judged by its exit status. */
const ROOT = path.resolve(__dirname, '../..');

export interface Notification {
  subject: string;
  message: string;
  attributes: { kind: string };
}

export interface CliRehearsal {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Every SNS message the run published, from its outbox. */
  notifications: Notification[];
}

export function notificationsIn(outbox: string): Notification[] {
  return (existsSync(outbox) ? readFileSync(outbox, 'utf8') : '').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Notification);
}

/** A figure for the log, not an assertion: how long one rehearsal takes on this machine. */
export function reportDuration(what: string, startedAt: number): void {
  console.log(`${what}: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

/** Runs `dms-orchestrator rehearse ARGS --outbox OUTBOX` and reads what it published; `environment` adds to the test's. */
export function rehearseInItsOwnProcess(args: string[], outbox: string, timeoutMillis = 170_000, environment: NodeJS.ProcessEnv = {}): Promise<CliRehearsal> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const options = { cwd: ROOT, timeout: timeoutMillis, env: { ...process.env, ...environment } };
    execFile(process.execPath, ['bin/dms-orchestrator.js', 'rehearse', ...args, '--outbox', outbox], options, (error, stdout, stderr) => {
      reportDuration(`dms-orchestrator rehearse ${args.join(' ')}`, startedAt);
      resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr, notifications: notificationsIn(outbox) });
    });
  });
}
