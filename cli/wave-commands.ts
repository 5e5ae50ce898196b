import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { readLatestCdcLatencies, type LatestCdcLatency } from '../functions/shared/cdc-latency';
import { describeReplicationInstances, describeReplicationTasks } from '../functions/shared/dms';
import { summarizeReplication } from '../functions/shared/full-load-progress';
import { taskMetricDimensions, taskState } from '../functions/shared/replication/task';
import { describeReplications, serverlessMetricDimensions, serverlessState } from '../functions/shared/replication/serverless';
import type { ReplicationState } from '../functions/shared/replication';
import { parseEvent } from '../functions/shared/handler';
import { InvalidInput } from '../functions/shared/errors';
import { parseWave, waveInputSchema, type WaveConfig } from '../functions/shared/wave-input';
import { progressBar } from '../local/rehearsal/progress';
import { UsageError, type CommandContext } from './context';
import { regionOfArn } from './start-command';

/**
 * `dms-orchestrator start --wave FILE`: the wave checked on this machine as its first step checks it (every
 * migration's input too), then started; and `status` of a wave's execution: one row per migration, read from
 * its child executions (named after the wave's execution) and its DMS task.
 */
export async function startWave(file: string, stateMachineArn: string | undefined, name: string | undefined, context: CommandContext, json: boolean): Promise<number> {
  if (!stateMachineArn) throw new UsageError('--wave needs --state-machine-arn: the wave stack\'s state machine (stack output WaveStateMachineArn)');
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`Cannot read ${file} as JSON: ${(error as Error).message}`);
  }
  let wave: WaveConfig;
  try {
    const parsed = parseWave(parseEvent(waveInputSchema, input), name ?? 'wave');
    if (parsed.problems.length > 0) throw new InvalidInput(parsed.problems);
    wave = parsed.wave;
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    context.stderr.write(`The wave in ${file} is invalid; nothing was started:\n${error.problems.map((problem) => `  ${problem}`).join('\n')}\n`);
    return 1;
  }
  const started = await new SFNClient({ region: regionOfArn(stateMachineArn) }).send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  if (json) context.stdout.write(`${JSON.stringify({ executionArn: started.executionArn, waveName: wave.waveName, migrations: wave.names })}\n`);
  else context.stdout.write(`Started wave "${wave.waveName}" (${wave.names.length} migrations): ${started.executionArn}\nWatch it with: dms-orchestrator status ${started.executionArn}\n`);
  return 0;
}

export interface WaveRow {
  name: string;
  /** The child execution last started for it: prepare, then cutover, rollback or dry run. */
  run?: { step: string; status: string };
  loadPercent?: number;
  validation?: string;
  /** The latest CDC latency DMS published for its replication (none before CDC runs, or for a full load only). */
  cdcLatency?: LatestCdcLatency;
  verdict: string;
}

export interface WaveStatus {
  executionArn: string;
  waveName: string;
  status: string;
  rows: WaveRow[];
  /** Why no row shows CDC latency: the metrics could not be read (the caller's permissions, a throttle). */
  cdcLatencyUnavailable?: string;
}

/** The status shows the newest minute of CDC latency that DMS published within this many minutes. */
const STATUS_LATENCY_WINDOW_MINUTES = 15;

/** A wave execution's input, or undefined when the execution is one migration's. */
export function waveOf(executionInput: string | undefined, executionName: string): WaveConfig | undefined {
  try {
    const input = JSON.parse(executionInput ?? '') as Record<string, unknown>;
    if (!input || typeof input !== 'object' || !('waveName' in input) || !Array.isArray(input.migrations)) return undefined;
    return parseWave(parseEvent(waveInputSchema, input), executionName).wave;
  } catch {
    return undefined;
  }
}

const STEPS = ['cutover', 'rollback', 'dry-run', 'prepare'] as const;

/**
 * One DescribeExecution per child (latest step first), then one batched describe per engine for the wave's
 * replications, and their CDC latency in one GetMetricData (readWaveCdcLatencies).
 */
export async function readWaveStatus(
  clients: { sfn: SFNClient; dms: DatabaseMigrationServiceClient; cloudWatch: CloudWatchClient },
  executionArn: string,
  wave: WaveConfig,
  status: string,
  now: Date = new Date(),
): Promise<WaveStatus> {
  const children = await Promise.all(
    wave.migrations.map(async (migration) => {
      for (const step of STEPS) {
        const childArn = `${migration.stateMachineArn.replace(':stateMachine:', ':execution:')}:${migration.executionName}-${step}`;
        try {
          const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn: childArn }));
          return { step, status: described.status ?? 'UNKNOWN', output: parseJson(described.output) };
        } catch (error) {
          if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
        }
      }
      return undefined;
    }),
  );
  // Each migration runs on a task or a DMS Serverless replication: one batched describe per engine.
  const arnsOf = (field: 'replicationTaskArn' | 'replicationConfigArn') => [
    ...new Set(wave.migrations.map((migration) => migration.input[field]).filter((arn): arn is string => typeof arn === 'string')),
  ];
  const [tasks, replications, latencies] = await Promise.all([
    describeReplicationTasks(clients.dms, arnsOf('replicationTaskArn')),
    describeReplications(clients.dms, arnsOf('replicationConfigArn')),
    readWaveCdcLatencies(clients, wave, now).catch((error: Error) => error),
  ]);
  const states = new Map<string, ReplicationState>([
    ...tasks.map((task): [string, ReplicationState] => [task.ReplicationTaskArn ?? '', taskState(task)]),
    ...replications.map((replication): [string, ReplicationState] => [replication.ReplicationConfigArn ?? '', serverlessState(replication)]),
  ]);
  const rows = wave.migrations.map((migration, index): WaveRow => {
    const child = children[index];
    const state = states.get(String(migration.input.replicationTaskArn ?? migration.input.replicationConfigArn));
    const validation = (child?.output?.validation as { outcome?: string } | undefined)?.outcome;
    return {
      name: migration.name,
      ...(child ? { run: { step: child.step, status: child.status } } : {}),
      ...(state ? { loadPercent: summarizeReplication(state).fullLoadProgressPercent } : {}),
      ...(validation ? { validation } : {}),
      ...(!(latencies instanceof Error) && latencies[index] ? { cdcLatency: latencies[index] } : {}),
      verdict: verdictOf(child),
    };
  });
  // The latency is for information: a refused read leaves the rest of the table as it is and says why.
  return { executionArn, waveName: wave.waveName, status, rows, ...(latencies instanceof Error ? { cdcLatencyUnavailable: `${latencies.name}: ${latencies.message}` } : {}) };
}

/**
 * Every migration's latest CDC latency in one GetMetricData, under the dimensions its engine publishes it
 * with: a task's need its replication instance's identifier, read for all of them in one
 * DescribeReplicationInstances; a DMS Serverless replication's are its config's id.
 */
async function readWaveCdcLatencies(clients: { dms: DatabaseMigrationServiceClient; cloudWatch: CloudWatchClient }, wave: WaveConfig, now: Date): Promise<Array<LatestCdcLatency | undefined>> {
  const instanceArns = [...new Set(wave.migrations.map((migration) => migration.input.replicationInstanceArn).filter((arn): arn is string => typeof arn === 'string'))];
  const instances = await describeReplicationInstances(clients.dms, instanceArns);
  const identifierOf = new Map(instances.map((instance) => [instance.ReplicationInstanceArn, instance.ReplicationInstanceIdentifier]));
  const named = wave.migrations.flatMap((migration, index) => {
    const { replicationTaskArn, replicationInstanceArn, replicationConfigArn } = migration.input;
    const instanceIdentifier = identifierOf.get(String(replicationInstanceArn));
    if (typeof replicationTaskArn === 'string' && instanceIdentifier) return [{ index, dimensions: taskMetricDimensions(instanceIdentifier, replicationTaskArn) }];
    if (typeof replicationConfigArn === 'string') return [{ index, dimensions: serverlessMetricDimensions(replicationConfigArn) }];
    return [];
  });
  const latest = await readLatestCdcLatencies(clients.cloudWatch, named, STATUS_LATENCY_WINDOW_MINUTES, now);
  const byIndex = new Map(named.map(({ index }, position) => [index, latest[position]]));
  return wave.migrations.map((_, index) => byIndex.get(index));
}

function verdictOf(child: { step: string; status: string } | undefined): string {
  if (!child) return 'waiting';
  if (child.status === 'RUNNING') return child.step === 'prepare' ? 'preparing' : `${child.step} running`;
  if (child.status !== 'SUCCEEDED') return `${child.step} ${child.status.toLowerCase()}`;
  return { prepare: 'ready for cutover', cutover: 'cut over', rollback: 'rolled back', 'dry-run': 'dry run passed' }[child.step] ?? child.step;
}

export function renderWaveStatus(status: WaveStatus): string {
  const width = Math.max(9, ...status.rows.map((row) => row.name.length));
  const header = `${'Migration'.padEnd(width)}  ${'Step'.padEnd(18)}  ${'Load'.padEnd(27)}  ${'Validation'.padEnd(18)}  ${'CDC latency (s)'.padEnd(18)}  Verdict`;
  const lines = status.rows.map((row) => {
    const step = row.run ? `${row.run.step} ${row.run.status.toLowerCase()}` : '-';
    const load = row.loadPercent === undefined ? '-' : `${progressBar(row.loadPercent)} ${String(row.loadPercent).padStart(3)}%`;
    const latency = row.cdcLatency ? `source ${row.cdcLatency.sourceSeconds}, target ${row.cdcLatency.targetSeconds}` : '-';
    return `${row.name.padEnd(width)}  ${step.padEnd(18)}  ${load.padEnd(27)}  ${(row.validation ?? '-').padEnd(18)}  ${latency.padEnd(18)}  ${row.verdict}`;
  });
  const unavailable = status.cdcLatencyUnavailable ? ['', `CDC latency not shown: CloudWatch or DMS could not be read (${status.cdcLatencyUnavailable}).`] : [];
  return [`Wave "${status.waveName}": ${status.status}`, `  ${status.executionArn}`, '', header, ...lines, ...unavailable].join('\n');
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
