import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInput } from '../functions/shared/errors';
import { validateMigrationInput } from '../functions/validate-input/validate-input';
import { DEFAULT_REHEARSAL, type RehearsalOptions, type RehearsedSettings } from '../local/rehearsal/options';
import { REHEARSAL_DMS_ARNS } from '../local/rehearsal/fixture';
import { SAMPLE_TABLES } from '../local/rehearsal/sample-schema';
import { isAwsOperation } from '../local/emulator/aws-operations';
import { rehearse } from '../local/rehearsal/rehearse';
import { UsageError, type CommandContext } from './context';
import { readMigrationFile } from './start-command';

export const REHEARSE_HELP = `Usage: dms-orchestrator rehearse [options]

Runs the whole orchestrator on this machine, no AWS account needed: seeds a source database with a sample
shop (${DEFAULT_REHEARSAL.rows.toLocaleString('en-US')} rows), starts an empty target MariaDB and a local AWS emulator, and executes the
state machine synthesized from the CDK code with the real phase functions.

Options:
  --auto-approve             approve the cutover as soon as it is requested (unattended runs)
  --config FILE              rehearse your migration's settings (name, start policy, validation, cutover, target
                             type, approvers) from a deployment config or execution input; its ARNs are not used
  --rows N                   rows to seed in all (default ${DEFAULT_REHEARSAL.rows})
  --full-load-only           rehearse a full-load task instead of full-load-and-cdc
  --rollback                 keep a way back (reverse replication) at the cutover, place orders on the target,
                             then roll back to the source with a second execution (mode "rollback")
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
  --error-table TABLE        the table goes into "Table error" during the full load
  --alter-target-row TABLE   one target row is changed after the load, before validation
  --cdc-latency SECONDS      how far the emulated DMS's CDC lags the source; CloudWatch reports the lag it measures (default ${DEFAULT_REHEARSAL.cdcLatencySeconds})

Exit status: 0 when the migration cut over (with --rollback: and rolled back); 1 when the workflow failed or ended without cutover (the reason is
printed); 2 when the rehearsal could not run.`;

export function rehearsalOptions(args: string[]): RehearsalOptions {
  const { values } = parseArgs({
    args,
    options: {
      'auto-approve': { type: 'boolean', default: false },
      config: { type: 'string' },
      rows: { type: 'string' },
      'full-load-only': { type: 'boolean', default: false },
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
    },
    strict: true,
    allowPositionals: false,
  });
  const failConnection = values['fail-connection'];
  if (failConnection !== undefined && failConnection !== 'source' && failConnection !== 'target') {
    throw new UsageError('--fail-connection takes "source" or "target"');
  }
  if (values.rollback && values['full-load-only']) throw new UsageError('--rollback needs ongoing replication: it cannot be combined with --full-load-only');
  const throttle: Record<string, number> = {};
  for (const entry of values.throttle) {
    const match = /^([A-Za-z]+)=(\d+)$/.exec(entry);
    if (!match) throw new UsageError(`--throttle takes OPERATION=N, such as DescribeReplicationTasks=3 (got "${entry}")`);
    if (!isAwsOperation(match[1])) throw new UsageError(`--throttle: no AWS operation the functions can call is named "${match[1]}" (such as DescribeReplicationTasks, GetItem, Publish)`);
    throttle[match[1]] = Number(match[2]);
  }
  for (const flag of ['error-table', 'alter-target-row'] as const) {
    const table = values[flag];
    if (table !== undefined && !seededTable(table)) throw new UsageError(`--${flag}: the rehearsal seeds no table "${table}"; it seeds ${SAMPLE_TABLES.join(', ')}`);
  }
  const outboxFile = values.outbox ?? DEFAULT_REHEARSAL.outboxFile;
  if (values.outbox !== undefined) checkWritable('--outbox', outboxFile);
  return {
    ...DEFAULT_REHEARSAL,
    autoApprove: values['auto-approve'],
    rows: wholeNumber('--rows', values.rows, DEFAULT_REHEARSAL.rows, 120),
    migrationType: values['full-load-only'] ? 'full-load' : 'full-load-and-cdc',
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
    ...(values.config ? { migrationSettings: rehearsedSettings(values.config) } : {}),
  };
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
function rehearsedSettings(file: string): RehearsedSettings {
  const { input } = readMigrationFile(file);
  let config;
  try {
    // A config whose stack creates the DMS resources names none: the rehearsal's stand in, as they would anyway.
    config = validateMigrationInput({ ...REHEARSAL_DMS_ARNS, ...(input as object) });
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
  const options = rehearsalOptions(args);
  if (!options.autoApprove && !context.canPrompt) {
    // Without a terminal nobody sees the review link or can type a decision: the run would wait out the whole
    // approval timeout (24 hours) for nothing.
    throw new UsageError('No terminal to approve the cutover from (standard input is not a terminal): run the rehearsal in a terminal, or add --auto-approve for an unattended run.');
  }
  if (!/^[A-Za-z0-9_]{1,64}$/.test(options.sourceDatabase)) throw new UsageError('--source-database takes a MySQL database name (letters, digits, _)');
  const result = await rehearse(options, { write: (text) => context.stdout.write(text), interactive: context.interactive });
  if (result.reason) context.stderr.write(`${result.reason}\n`);
  return result.exitCode;
}
