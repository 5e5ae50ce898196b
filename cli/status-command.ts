import { parseArgs } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { summarizeReplication, type FullLoadProgress } from '../functions/shared/full-load-progress';
import { summarizeValidation, type ValidationSummary } from '../functions/shared/validation-summary';
import { replicationOf } from '../functions/shared/replication';
import { readableTime } from '../functions/shared/operator-text';
import { progressBar } from '../local/rehearsal/progress';
import { UsageError, type CommandContext } from './context';
import { readStartRequest, regionOfArn } from './start-command';
import { readWaveStatus, renderWaveStatus, waveOf } from './wave-commands';

export const STATUS_HELP = `Usage: dms-orchestrator status [EXECUTION_ARN] [options]

Shows where a migration stands: the execution's status and current step, and the DMS task's full-load and
validation progress as bars, refreshed until the execution ends. A wave's execution shows as a table, one row
per migration: its child execution's step, its load, its DMS validation and its verdict.

Without EXECUTION_ARN, shows the state machine's most recent execution (give --state-machine-arn or --config).

Options:
  --state-machine-arn ARN    the state machine whose latest execution to show
  --config FILE              the deployment config (to find the state machine)
  --endpoint-url URL         ask this endpoint instead of AWS, for Step Functions and DMS alike: a running
                             rehearsal's emulator (the rehearsal prints the command)
  --once                     print once and exit
  --interval SECONDS         seconds between refreshes (default 10)
  --json                     print JSON (one object per refresh)`;

export interface MigrationStatus {
  executionArn: string;
  status: string;
  currentStep?: string;
  startedAt?: string;
  stoppedAt?: string;
  error?: string;
  cause?: string;
  replicationTaskArn?: string;
  replicationConfigArn?: string;
  task?: FullLoadProgress & { tableCount: number };
  validation?: Pick<ValidationSummary, 'outcome' | 'counts' | 'tableCount'>;
}

export async function readMigrationStatus(clients: { sfn: SFNClient; dms: DatabaseMigrationServiceClient }, executionArn: string): Promise<MigrationStatus> {
  const execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history = await clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 25 }));
  const entered = history.events?.find((event) => event.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
  const status: MigrationStatus = {
    executionArn,
    status: execution.status ?? 'UNKNOWN',
    currentStep: entered,
    startedAt: execution.startDate?.toISOString(),
    stoppedAt: execution.stopDate?.toISOString(),
  };
  if (execution.error) status.error = execution.error;
  if (execution.cause) status.cause = execution.cause;
  const input = parseInput(execution.input);
  const replication = replicationOfInput(clients.dms, input);
  if (!replication) return status;
  if (replication.engine === 'task') status.replicationTaskArn = replication.arn;
  else status.replicationConfigArn = replication.arn;
  const tables = await replication.tableStatistics();
  status.task = { ...summarizeReplication(await replication.describe()), tableCount: tables.length };
  const validation = summarizeValidation(tables);
  status.validation = { outcome: validation.outcome, counts: validation.counts, tableCount: validation.tableCount };
  return status;
}

type ReplicationNames = { replicationTaskArn?: string; replicationInstanceArn?: string; replicationConfigArn?: string };

/** The execution's replication, from its input as given (the status reads it, never validates it). */
function replicationOfInput(dms: DatabaseMigrationServiceClient, input: ReplicationNames | undefined) {
  // The status reads the replication and its tables only; the instance matters to connection tests and CDC latency.
  if (input?.replicationTaskArn) return replicationOf(dms, { replicationTaskArn: input.replicationTaskArn, replicationInstanceArn: input.replicationInstanceArn ?? '' }).forward;
  if (input?.replicationConfigArn) return replicationOf(dms, { replicationConfigArn: input.replicationConfigArn }).forward;
  return undefined;
}

function parseInput(input: string | undefined): ReplicationNames | undefined {
  try {
    return JSON.parse(input ?? '') as ReplicationNames;
  } catch {
    return undefined;
  }
}

export function renderStatus(status: MigrationStatus): string {
  const lines = [`Execution ${status.executionArn}`, `  Status: ${status.status}${status.currentStep ? `, at "${status.currentStep}"` : ''}${status.startedAt ? ` (started ${readableTime(status.startedAt)})` : ''}`];
  if (status.error) lines.push(`  Error: ${status.error}${status.cause ? `: ${status.cause}` : ''}`);
  if (status.task) {
    const { task } = status;
    lines.push(
      `  DMS task: ${task.status} (${task.phase})${task.stopReason ? `, ${task.stopReason}` : ''}`,
      `  Full load   ${progressBar(task.fullLoadProgressPercent)} ${String(task.fullLoadProgressPercent).padStart(3)}%  ` +
        `${task.tables.loaded} loaded, ${task.tables.loading} loading, ${task.tables.queued} queued, ${task.tables.errored} errored of ${task.tableCount} tables`,
    );
  }
  if (status.validation && status.validation.tableCount > 0) {
    const { counts, tableCount, outcome } = status.validation;
    const percent = Math.floor((100 * counts.validated) / tableCount);
    lines.push(`  Validation  ${progressBar(percent)} ${String(percent).padStart(3)}%  ${counts.validated} of ${tableCount} tables validated, ${counts.failed} failed (${outcome})`);
  }
  return lines.join('\n');
}

export async function statusCommand(args: string[], context: CommandContext, sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'state-machine-arn': { type: 'string' },
      config: { type: 'string' },
      'endpoint-url': { type: 'string' },
      once: { type: 'boolean', default: false },
      interval: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError('status takes at most one execution ARN');
  if (!/^\d+$/.test(values.interval) || Number(values.interval) < 1) throw new UsageError('--interval takes a whole number of seconds (1 or more)');
  const endpoint = values['endpoint-url'];
  if (endpoint !== undefined && !isHttpUrl(endpoint)) throw new UsageError(`--endpoint-url takes an http:// or https:// URL (got "${endpoint}")`);
  let executionArn = positionals[0];
  if (!executionArn) {
    const stateMachineArn = values['state-machine-arn'] ?? (values.config ? readStartRequest(values.config, undefined).stateMachineArn : undefined);
    if (!stateMachineArn) throw new UsageError('Give an execution ARN, or --state-machine-arn / --config to show the latest execution');
    const latest = await new SFNClient({ region: regionOfArn(stateMachineArn), endpoint }).send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
    executionArn = latest.executions?.[0]?.executionArn ?? '';
    if (!executionArn) {
      context.stderr.write(`No executions of ${stateMachineArn} yet: start one with "dms-orchestrator start --config FILE".\n`);
      return 1;
    }
  }
  if (!/^arn:[^:]+:states:[^:]+:\d{12}:execution:/.test(executionArn)) throw new UsageError(`"${executionArn}" is not an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>)`);
  const region = regionOfArn(executionArn);
  const clients = { sfn: new SFNClient({ region, endpoint }), dms: new DatabaseMigrationServiceClient({ region, endpoint }), cloudWatch: new CloudWatchClient({ region, endpoint }) };
  const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const wave = waveOf(described.input, executionArn.slice(executionArn.lastIndexOf(':') + 1));
  for (;;) {
    if (wave) {
      const current = (await clients.sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
      const waveStatus = await readWaveStatus(clients, executionArn, wave, current);
      if (values.json) context.stdout.write(`${JSON.stringify(waveStatus)}\n`);
      else context.stdout.write(`${context.interactive && !values.once ? '\x1b[2J\x1b[H' : ''}${renderWaveStatus(waveStatus)}\n`);
      if (values.once || current !== 'RUNNING') return current === 'SUCCEEDED' ? 0 : current === 'RUNNING' ? 0 : 1;
      await sleep(Number(values.interval) * 1000);
      continue;
    }
    const status = await readMigrationStatus(clients, executionArn);
    if (values.json) context.stdout.write(`${JSON.stringify(status)}\n`);
    else context.stdout.write(`${context.interactive && !values.once ? '\x1b[2J\x1b[H' : ''}${renderStatus(status)}\n`);
    if (values.once || status.status !== 'RUNNING') return status.status === 'FAILED' || status.status === 'TIMED_OUT' || status.status === 'ABORTED' ? 1 : 0;
    await sleep(Number(values.interval) * 1000);
  }
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
