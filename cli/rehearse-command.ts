import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInput } from '../functions/shared/errors';
import { validateMigrationInput } from '../functions/validate-input/validate-input';
import { DEFAULT_REHEARSAL, type RehearsalOptions, type RehearsedSettings } from '../local/rehearsal/options';
import { SOURCE_PASSWORD_VARIABLE, SourceUrlInvalid, describeOwnSource, parseSourceUrl, type OwnSourceSettings } from '../local/rehearsal/own-source';
import { rehearsalDmsArns } from '../local/rehearsal/fixture';
import type { ReplicationEngine } from '../functions/shared/replication';
import { SAMPLE_DATABASES, SAMPLE_TABLES } from '../local/rehearsal/sample-schema';
import { WAVE_MEMBERS, rehearseWave, waveDatabaseOf } from '../local/rehearsal/wave';
import { isAwsOperation } from '../local/emulator/aws-operations';
import { rehearse } from '../local/rehearsal/rehearse';
import { UsageError, type CommandContext } from './context';
import { readMigrationFile } from './start-command';

/** Rows per table `--source` copies at most unless told otherwise: enough to rehearse, small enough for a laptop. */
const DEFAULT_MAX_ROWS_PER_TABLE = 100_000;

export const REHEARSE_HELP = `Usage: dms-orchestrator rehearse [options]

Runs the whole orchestrator on this machine, no AWS account needed: seeds a source database with a sample
shop (${DEFAULT_REHEARSAL.rows.toLocaleString('en-US')} rows), starts an empty target MariaDB and a local AWS emulator, and executes the
state machine synthesized from the CDK code with the real phase functions.

Options:
  --auto-approve             approve the cutover as soon as it is requested (unattended runs)
  --source mysql://USER@HOST:PORT/SCHEMA1,SCHEMA2[?tls=required|verify-rds-ca|disabled]
                             rehearse your own (staging) database instead of the sample shop: its readiness is
                             checked on your server, its schemas are copied into a throwaway local source, and the
                             workflow runs on the copy. Your server is only read (one read-only session): never
                             written to, never frozen. The password comes from ${SOURCE_PASSWORD_VARIABLE}
                             (empty for none) or a prompt, never from the command line
  --max-rows N               with --source: copy at most N rows per table (default ${DEFAULT_MAX_ROWS_PER_TABLE.toLocaleString('en-US')}); a larger
                             table stops the rehearsal before anything is copied
  --sample                   with --source: copy a larger table as its first --max-rows rows in key order
  --config FILE              rehearse your migration's settings (name, start policy, validation, cutover, target
                             type, approvers) from a deployment config or execution input; its ARNs are not used
  --rows N                   rows to seed in all (default ${DEFAULT_REHEARSAL.rows})
  --full-load-only           rehearse a full-load task instead of full-load-and-cdc
  --serverless               replicate with a DMS Serverless replication config instead of a task on a replication
                             instance (the execution input names replicationConfigArn)
  --rollback                 keep a way back (reverse replication) at the cutover, place orders on the target,
                             then roll back to the source with a second execution (mode "rollback")
  --wave N                   rehearse a wave of N migrations (1-${WAVE_MEMBERS.length}: ${WAVE_MEMBERS.map((member) => member.sample).join(', ')}), each its own sample
                             database on throwaway source and target servers, its own migration stack and
                             emulator: one execution of the wave state machine prepares them, asks for one
                             approval, then cuts them over one at a time; --rows seeds the shop, the clinic
                             half as many, the ledger 1.5 times. Exit 0 when every one cut over
  --throwaway                seed the source on a private throwaway MariaDB, not the server at --source-port
  --source-port PORT         the MySQL/MariaDB server for the source (default 3306, root without password),
                             used when it has a row-based binary log; otherwise a throwaway server is started
  --source-database NAME     the source database to (re)create (default ${DEFAULT_REHEARSAL.sourceDatabase})
  --batch-rows N             rows per DMS batch (default ${DEFAULT_REHEARSAL.batchRows})
  --outbox FILE              where SNS notifications are written (default ${DEFAULT_REHEARSAL.outboxFile})
  --verbose                  print the functions' JSON logs
  --without-iam              do not evaluate the functions' AWS calls against their roles' policies (evaluated by
                             default, as the deployed stack's IAM would: a call its role does not allow is denied)
Fault injection (to watch the failure paths):
  --throttle OPERATION=N     answer the next N calls of an AWS operation with throttling (repeatable)
  --fail-connection source|target   the endpoint's DMS connection test fails
  --error-table TABLE        the table goes into "Table error" during the full load (with --wave: DATABASE:TABLE,
                             such as dms_rehearsal_clinic:patients, in that migration only)
  --alter-target-row TABLE   one target row is changed after the load, before validation
  --cdc-latency SECONDS      how far the emulated DMS's CDC lags the source; CloudWatch reports the lag it measures (default ${DEFAULT_REHEARSAL.cdcLatencySeconds})

Exit status: 0 when the migration cut over (with --rollback: and rolled back); 1 when the workflow failed or ended without cutover (the reason is
printed); 2 when the rehearsal could not run.`;

/** The options as the command line gives them: everything but the password of `--source`, which is asked for apart. */
export type ParsedRehearsalOptions = Omit<RehearsalOptions, 'ownSource'> & { ownSource?: Omit<OwnSourceSettings, 'password'> };

export function rehearsalOptions(args: string[]): ParsedRehearsalOptions {
  const { values } = parseArgs({
    args,
    options: {
      'auto-approve': { type: 'boolean', default: false },
      config: { type: 'string' },
      rows: { type: 'string' },
      'full-load-only': { type: 'boolean', default: false },
      serverless: { type: 'boolean', default: false },
      rollback: { type: 'boolean', default: false },
      throwaway: { type: 'boolean', default: false },
      'source-port': { type: 'string' },
      'source-database': { type: 'string' },
      'batch-rows': { type: 'string' },
      outbox: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      throttle: { type: 'string', multiple: true, default: [] },
      'fail-connection': { type: 'string' },
      'error-table': { type: 'string' },
      'alter-target-row': { type: 'string' },
      'cdc-latency': { type: 'string' },
      'without-iam': { type: 'boolean', default: false },
      source: { type: 'string' },
      'max-rows': { type: 'string' },
      sample: { type: 'boolean', default: false },
      wave: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const failConnection = values['fail-connection'];
  if (failConnection !== undefined && failConnection !== 'source' && failConnection !== 'target') {
    throw new UsageError('--fail-connection takes "source" or "target"');
  }
  if (values.rollback && values['full-load-only']) throw new UsageError('--rollback needs ongoing replication: it cannot be combined with --full-load-only');
  const ownSource = values.source === undefined ? undefined : ownSourceOf(values.source, values);
  if (values.source === undefined && (values['max-rows'] !== undefined || values.sample)) throw new UsageError('--max-rows and --sample size the copy of your database: they go with --source');
  const throttle: Record<string, number> = {};
  for (const entry of values.throttle) {
    const match = /^([A-Za-z]+)=(\d+)$/.exec(entry);
    if (!match) throw new UsageError(`--throttle takes OPERATION=N, such as DescribeReplicationTasks=3 (got "${entry}")`);
    if (!isAwsOperation(match[1])) throw new UsageError(`--throttle: no AWS operation the functions can call is named "${match[1]}" (such as DescribeReplicationTasks, GetItem, Publish)`);
    throttle[match[1]] = Number(match[2]);
  }
  const wave = values.wave === undefined ? undefined : waveSize(values.wave, values);
  for (const flag of ['error-table', 'alter-target-row'] as const) {
    const table = values[flag];
    if (table === undefined || wave !== undefined) continue;
    if (!seededTable(table)) throw new UsageError(`--${flag}: the rehearsal seeds no table "${table}"; it seeds ${SAMPLE_TABLES.join(', ')}`);
  }
  if (wave !== undefined && values['error-table'] !== undefined) checkWaveTable(values['error-table'], wave);
  const outboxFile = values.outbox ?? DEFAULT_REHEARSAL.outboxFile;
  if (values.outbox !== undefined) checkWritable('--outbox', outboxFile);
  return {
    ...DEFAULT_REHEARSAL,
    autoApprove: values['auto-approve'],
    rows: wholeNumber('--rows', values.rows, DEFAULT_REHEARSAL.rows, 120),
    migrationType: values['full-load-only'] ? 'full-load' : 'full-load-and-cdc',
    engine: values.serverless ? 'serverless' : 'task',
    rollback: values.rollback,
    throwaway: values.throwaway,
    sourcePort: wholeNumber('--source-port', values['source-port'], DEFAULT_REHEARSAL.sourcePort, 1),
    sourceDatabase: values['source-database'] ?? DEFAULT_REHEARSAL.sourceDatabase,
    batchRows: wholeNumber('--batch-rows', values['batch-rows'], DEFAULT_REHEARSAL.batchRows, 1),
    outboxFile,
    verbose: values.verbose,
    enforceIam: !values['without-iam'],
    cdcLatencySeconds: wholeNumber('--cdc-latency', values['cdc-latency'], DEFAULT_REHEARSAL.cdcLatencySeconds, 0),
    faults: { throttle, failConnection, erroredTable: values['error-table'], alterTargetRow: values['alter-target-row'] },
    ...(values.config ? { migrationSettings: rehearsedSettings(values.config, values.serverless ? 'serverless' : 'task') } : {}),
    ...(ownSource ? { ownSource } : {}),
    ...(wave !== undefined ? { wave } : {}),
  };
}

/** What a wave rehearsal does not take: each migration's database, server and settings are the wave's own. */
const NOT_IN_A_WAVE = ['source', 'config', 'rollback', 'throwaway', 'source-port', 'source-database', 'fail-connection', 'alter-target-row', 'throttle'] as const;

function waveSize(value: string, values: Record<string, unknown>): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > WAVE_MEMBERS.length) {
    throw new UsageError(`--wave takes the number of migrations, 1 to ${WAVE_MEMBERS.length} (${WAVE_MEMBERS.map((member) => member.sample).join(', ')}); got "${value}"`);
  }
  const given = NOT_IN_A_WAVE.filter((name) => values[name] !== undefined && values[name] !== false && !(Array.isArray(values[name]) && values[name].length === 0));
  if (given.length > 0) throw new UsageError(`--wave rehearses the wave's own sample databases; ${given.map((name) => `--${name}`).join(', ')} cannot be combined with it`);
  return Number(value);
}

/** With --wave, `--error-table DATABASE:TABLE`: a table of one of the wave's databases, errored in that migration only. */
function checkWaveTable(value: string, wave: number): void {
  const members = WAVE_MEMBERS.slice(0, wave);
  const [database, table] = value.split(':');
  const member = members.find((candidate) => waveDatabaseOf(candidate.sample) === database);
  const tables = member && SAMPLE_DATABASES[member.sample].tables;
  if (!member || table === undefined || !tables?.includes(table)) {
    const choices = members.map((candidate) => `${waveDatabaseOf(candidate.sample)}:{${SAMPLE_DATABASES[candidate.sample].tables.join(',')}}`).join(' ');
    throw new UsageError(`--error-table with --wave takes DATABASE:TABLE of the wave, one of ${choices} (got "${value}")`);
  }
}

/** The sample shop's options make no sense for your own database: refused together rather than silently ignored. */
const SAMPLE_ONLY_OPTIONS = ['rows', 'throwaway', 'source-port', 'source-database', 'rollback', 'error-table', 'alter-target-row'] as const;

function ownSourceOf(url: string, values: Record<string, unknown>): Omit<OwnSourceSettings, 'password'> {
  const given = SAMPLE_ONLY_OPTIONS.filter((name) => values[name] !== undefined && values[name] !== false);
  if (given.length > 0) throw new UsageError(`--source rehearses your own database; ${given.map((name) => `--${name}`).join(', ')} ${given.length === 1 ? 'is' : 'are'} for the sample shop`);
  try {
    return {
      ...parseSourceUrl(url),
      maxRowsPerTable: wholeNumber('--max-rows', values['max-rows'] as string | undefined, DEFAULT_MAX_ROWS_PER_TABLE, 1),
      sample: values.sample === true,
    };
  } catch (error) {
    if (error instanceof SourceUrlInvalid) throw new UsageError(error.message);
    throw error;
  }
}

/** A seeded table, by name or as `schema.table` (the emulated DMS matches either). */
function seededTable(name: string): boolean {
  const table = name.includes('.') ? name.slice(name.indexOf('.') + 1) : name;
  return (SAMPLE_TABLES as readonly string[]).includes(table);
}

/**
 * Before anything starts: the file can be created (or appended to) as a regular file. The missing directories
 * are made one level at a time, from the nearest one that exists: Node's recursive mkdir loops forever on
 * some /proc paths, and a path there must fail here at once with the system's reason.
 */
function checkWritable(flag: string, file: string): void {
  const missing: string[] = [];
  let directory = path.dirname(path.resolve(file));
  while (!existsSync(directory) && directory !== path.dirname(directory)) {
    missing.unshift(directory);
    directory = path.dirname(directory);
  }
  try {
    for (const level of missing) mkdirSync(level);
    closeSync(openSync(file, 'a'));
  } catch (error) {
    throw new UsageError(`${flag}: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The operator's settings, validated with the workflow's own schema: a bad file is a usage error, nothing runs. */
function rehearsedSettings(file: string, engine: ReplicationEngine): RehearsedSettings {
  const { input } = readMigrationFile(file);
  let config;
  try {
    // A config whose stack creates the DMS resources names none: the rehearsal's stand in, as they would anyway.
    // A config naming the other engine's replication is rehearsed on this one: those fields are left out.
    const { replicationTaskArn, replicationInstanceArn, replicationConfigArn, ...settings } = input as Record<string, unknown>;
    const ownReplication = engine === 'serverless' ? { replicationConfigArn } : { replicationTaskArn, replicationInstanceArn };
    const named = Object.fromEntries(Object.entries(ownReplication).filter(([, value]) => value !== undefined));
    config = validateMigrationInput({ ...rehearsalDmsArns(engine), ...settings, ...named });
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    throw new UsageError(`The migration input in ${file} is invalid:\n${error.problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
  const { migrationName, startPolicy, confirmReloadTarget, validation, cutover, target, approval } = config;
  return { migrationName, startPolicy, confirmReloadTarget, validation, cutover, target: { type: target.type }, ...(approval ? { approval } : {}) };
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < minimum) throw new UsageError(`${flag} takes a whole number of at least ${minimum} (got "${value}")`);
  return Number(value);
}

export async function rehearseCommand(args: string[], context: CommandContext): Promise<number> {
  const { ownSource, ...parsed } = rehearsalOptions(args);
  if (!parsed.autoApprove && !context.canPrompt) {
    // Without a terminal nobody sees the review link or can type a decision: the run would wait out the whole
    // approval timeout (24 hours) for nothing.
    throw new UsageError('No terminal to approve the cutover from (standard input is not a terminal): run the rehearsal in a terminal, or add --auto-approve for an unattended run.');
  }
  if (!/^[A-Za-z0-9_]{1,64}$/.test(parsed.sourceDatabase)) throw new UsageError('--source-database takes a MySQL database name (letters, digits, _)');
  const options: RehearsalOptions = ownSource ? { ...parsed, ownSource: { ...ownSource, password: await sourcePassword(ownSource, context) } } : parsed;
  const terminal = { write: (text: string) => context.stdout.write(text), interactive: context.interactive };
  const result = options.wave !== undefined ? await rehearseWave({ ...options, wave: options.wave }, terminal) : await rehearse(options, terminal);
  if (result.reason) context.stderr.write(`${result.reason}\n`);
  return result.exitCode;
}

/** The password of `--source`: from the environment (empty for a user without one), else typed at a prompt that shows nothing. */
async function sourcePassword(source: Omit<OwnSourceSettings, 'password'>, context: CommandContext): Promise<string> {
  const fromEnvironment = process.env[SOURCE_PASSWORD_VARIABLE];
  if (fromEnvironment !== undefined) return fromEnvironment;
  if (!context.canPrompt) {
    throw new UsageError(`--source: set ${SOURCE_PASSWORD_VARIABLE} to the password of ${source.username} (empty for none); there is no terminal to ask it at.`);
  }
  return promptHidden(`Password for ${describeOwnSource(source)} (not shown; or set ${SOURCE_PASSWORD_VARIABLE}): `, context);
}

/** Reads a line from the terminal in raw mode, echoing nothing. Ctrl-C cancels. */
function promptHidden(question: string, context: CommandContext): Promise<string> {
  const input = process.stdin;
  context.stdout.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (settle: () => void) => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      context.stdout.write('\n');
      settle();
    };
    const onData = (chunk: Buffer) => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\r' || character === '\n') return finish(() => resolve(typed));
        if (character === '\u0003') return finish(() => reject(new Error('Cancelled at the password prompt')));
        typed = character === '\u007f' || character === '\b' ? typed.slice(0, -1) : typed + character;
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}
