import { executeLocally, type LocalExecution } from '../workflow/execute';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../workflow/synthesize';
import { ENGINE_FACTS } from '../../functions/shared/replication';
import { meaningOf } from '../../functions/shared/replication/vocabulary';
import { REHEARSAL_EXECUTION_ARN, migrationArnOf, prepareDatabases, rehearsalDeployment, rehearsalInput, type RehearsalDatabases, type RehearsalInput } from './fixture';
import { judgeMigration, judgeRollback, type RehearsalOutcome } from './judge';
import { rehearsedSchemas, type RehearsalOptions } from './options';
import { prepareOwnDatabase, type OwnDatabaseReport } from './own-database';
import { ProgressView, type Terminal } from './progress';
import { ordersOnSource, placeOrdersOnTarget, rollbackSummary, type RollbackFacts } from './rollback';
import { RehearsalShutdown } from './shutdown';
import { followCommands } from './second-terminal';
import { startStage, stateMachineArnOf, type RehearsalStage } from './stage';
import { ownDatabaseSummary, rehearsalSummary, switchRecordIn } from './summary';

/**
 * `npm run rehearse`: the whole orchestrator on this machine. A source database seeded with a sample shop (or,
 * with `--source`, a copy of the operator's own database: own-database.ts), an empty target server, the AWS emulator, and the state machine synthesized from the CDK code executed
 * with the real handlers, whose SDK clients reach the emulator through AWS_ENDPOINT_URL.
 */
export interface RehearsalResult extends RehearsalOutcome {
  execution?: LocalExecution;
}

type Say = (line: string) => void;
type StateTimings = Array<{ state: string; at: number }>;

/** `synthesize` is replaceable so a test file can synthesize the stack once for several rehearsals. */
export async function rehearse(
  options: RehearsalOptions,
  terminal: Terminal,
  synthesize: (deployment: unknown) => SynthesizedWorkflow = synthesizeWorkflow,
): Promise<RehearsalResult> {
  const startedAt = Date.now();
  const say: Say = (line) => terminal.write(`${line}\n`);
  // Whatever ends the run (Ctrl-C at the approval prompt, a closed terminal, a CI timeout, a closed pipe)
  // must not leave a running server read-only, a mariadbd running (its parent gone, it would keep its port
  // and datadir) or a seeded database behind.
  const shutdown = new RehearsalShutdown((line) => process.stderr.write(`${line}\n`));
  const uninstall = shutdown.install();
  try {
    // The source (seeded, or a copy of the operator's database) and the target on its own server, so both keep the same schema names.
    const databases: RehearsalDatabases & { ownDatabase?: OwnDatabaseReport } = options.ownSource
      ? await prepareOwnDatabase(options.ownSource, options, terminal, shutdown)
      : await prepareDatabases(options, say, shutdown);
    const input = rehearsalInput(rehearsedSchemas(options), options.migrationSettings, options.rollback, options.engine);
    const synthesized = synthesize(rehearsalDeployment(input));
    const stage = await startStage(options, input, databases, synthesized, say, shutdown);

    const { execution, stateTimings } = await migrate(stage, synthesized, input, options, terminal, say, shutdown);
    const outcome = judgeMigration(execution);
    say('');
    const replication = { engine: options.engine, arn: migrationArnOf(input) };
    say(rehearsalSummary({ execution, emulator: stage.emulator, seed: databases.seed, startedAt, stateTimings, outboxFile: options.outboxFile, outcome, authorizer: stage.authorizer, replication }));
    if (databases.ownDatabase) say(`\n${ownDatabaseSummary(databases.ownDatabase)}`);
    if (!options.rollback || outcome.exitCode !== 0) return { ...outcome, execution };

    const facts = await rollBack(stage, synthesized, input, options, databases, execution, say);
    const rollbackOutcome = judgeRollback(facts);
    say('');
    say(rollbackSummary(facts, rollbackOutcome, stage.authorizer));
    return { ...rollbackOutcome, execution: facts.execution };
  } catch (error) {
    return { exitCode: 2, reason: `The rehearsal could not run: ${(error as Error).message}` };
  } finally {
    await shutdown.stopEverything();
    uninstall();
  }
}

/** The migration's execution, with the watcher woken by DMS events and by its schedule, drawn as it goes. */
async function migrate(
  stage: RehearsalStage,
  synthesized: SynthesizedWorkflow,
  input: RehearsalInput,
  options: RehearsalOptions,
  terminal: Terminal,
  say: Say,
  shutdown: RehearsalShutdown,
): Promise<{ execution: LocalExecution; stateTimings: StateTimings }> {
  const { emulator, live } = stage;
  const view = new ProgressView(terminal, () => emulator.dms.reading(migrationArnOf(input)), ENGINE_FACTS[options.engine].noun);
  live.view = view;
  const redraw = setInterval(() => view.refresh(), 250);
  shutdown.onStop(async () => clearInterval(redraw));

  const stateTimings: StateTimings = [];
  const stateMachineArn = stateMachineArnOf(synthesized);
  say(`AWS emulator at ${emulator.url}; executing the synthesized state machine (${Object.keys(synthesized.definition.States).length} states).`);
  say(
    followCommands({
      emulatorUrl: emulator.url,
      stateMachineArn,
      executionArn: REHEARSAL_EXECUTION_ARN,
      replicationArn: migrationArnOf(input),
      engine: options.engine,
      endpointParameterName: input.cutover.endpointParameterName,
      targetType: input.target.type,
    }),
  );
  const execution = await stage.execute(input, REHEARSAL_EXECUTION_ARN, (stateName) => {
    stateTimings.push({ state: stateName, at: Date.now() });
    view.stateEntered(stateName);
  });
  view.stop();
  clearInterval(redraw);
  return { execution, stateTimings };
}

/**
 * The way back: once reverse replication runs, the application writes on its new primary, then a second
 * execution rolls back to the source. (The emulated task captures from the rows as they are when it runs,
 * not from the binlog position, so writes made while it is "starting" would not be carried back.)
 */
async function rollBack(
  stage: RehearsalStage,
  synthesized: SynthesizedWorkflow,
  input: RehearsalInput,
  options: RehearsalOptions,
  { sourceCredentials, targetCredentials }: RehearsalDatabases,
  migration: LocalExecution,
  say: Say,
): Promise<RollbackFacts> {
  const { emulator } = stage;
  // The way back's replication (a task or a serverless config, `taskArn` either way) moving data before orders are placed.
  const reverseArn = (migration.output?.reverseReplication as { taskArn?: string } | undefined)?.taskArn;
  const starting = (status: string | undefined) => {
    const meaning = meaningOf(options.engine, status);
    return meaning?.start === 'in-progress' && meaning.phase === 'starting';
  };
  while (reverseArn && starting(emulator.dms.reading(reverseArn).status)) await new Promise((resolve) => setTimeout(resolve, 100));
  const placedOnTarget = await placeOrdersOnTarget(targetCredentials, options.sourceDatabase);
  say('');
  say(`Placed orders ${placedOnTarget.join(', ')} on the target (the new primary) as the application would; rolling back to the source.`);
  const stateTimings: StateTimings = [];
  const rollbackInput = { ...input, mode: 'rollback' };
  const rollbackArn = `${REHEARSAL_EXECUTION_ARN}-rollback`;
  const rollback = await executeLocally(synthesized.definition, stage.tasks, rollbackInput, {
    executionArn: rollbackArn,
    waitMilliseconds: options.waitMilliseconds,
    retryIntervalMilliseconds: 100,
    onEvent: emulator.executions.begin(stateMachineArnOf(synthesized), rollbackArn, rollbackInput),
    onStateEntered: (stateName) => {
      stateTimings.push({ state: stateName, at: Date.now() });
      say(`→ ${stateName}`);
    },
  });
  const switchedBack = switchRecordIn(rollback.output);
  return {
    execution: rollback,
    stateTimings,
    placedOnTarget,
    foundOnSource: await ordersOnSource(sourceCredentials, options.sourceDatabase, placedOnTarget),
    publishedEndpoint: switchedBack ? emulator.parameters.get(switchedBack.endpointParameterName)?.value : undefined,
    sourceAddress: `${sourceCredentials.host}:${sourceCredentials.port}`,
  };
}
