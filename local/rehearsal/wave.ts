import { randomBytes } from 'node:crypto';
import { ENVIRONMENT } from '../../functions/shared/environment';
import { startWaveEmulator, type WaveEmulator } from '../emulator/server';
import { StackAuthorizer, type CfnTemplate } from '../iam';
import { allStates } from '../workflow/asl';
import { childExecutionTasks, type ChildStateMachine } from '../workflow/child-executions';
import { executeLocally, invokeAsLambda, invokedByStateMachine, loadFunctionHandlers, parkedOnTaskToken, type LocalExecution, type LocalTask } from '../workflow/execute';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../workflow/synthesize';
import { synthesizeWave, WAVE_FUNCTIONS, type SynthesizedWave } from '../workflow/synthesize-wave';
import type { HttpApiHandler } from '../api-gateway-adapter';
import { startApprovalDesk } from './approval-desk';
import { REHEARSAL_ACCOUNT, REHEARSAL_REGION, migrationArnOf, prepareDatabases, rehearsalDeployment, rehearsalInput, rehearsalStackName, type RehearsalDatabases, type RehearsalInput } from './fixture';
import type { RehearsalOutcome } from './judge';
import type { RehearsalOptions } from './options';
import type { Terminal } from './progress';
import type { SampleName } from './sample-schema';
import { RehearsalShutdown } from './shutdown';
import { approvalEmailIn, pointHandlersAt, startStage, stateMachineArnOf, type RehearsalStage } from './stage';
import { iamSummary, loadLines, seconds } from './summary';

/**
 * `npm run rehearse -- --wave N`: a wave of N migrations on this machine, as `infra/wave-stack.ts` deploys it
 * beside their stacks. Each migration is a sample database of its own shape (sample-schema.ts) on a throwaway
 * source server of its own (the cutover freezes its whole server) with its own target server, its own
 * synthesized migration stack, and that stack's own AWS emulator, IAM and handlers (new module instances, each
 * under its stack's environment). The wave stack's state machine is executed once, with the wave's real
 * handlers against an emulator of its own: it prepares each migration as a child execution of its stack's
 * state machine, asks once for the wave's approval, then runs the cutover window.
 *
 * Children run one at a time (`maxConcurrentMigrations: 1`): the SDK reads a client's endpoint from process.env
 * at its first request, so one stack's handlers must not call AWS while another stack's environment is set.
 */
interface WaveMember {
  sample: SampleName;
  /** Its rows, as a share of `--rows`: the migrations differ in size as well as in shape. */
  rowsShare: number;
}
export const WAVE_MEMBERS: readonly WaveMember[] = [
  { sample: 'shop', rowsShare: 1 },
  { sample: 'clinic', rowsShare: 0.5 },
  { sample: 'ledger', rowsShare: 1.5 },
];
export const WAVE_STACK_NAME = 'RehearsalWave';

/** The source database a wave member is seeded in: what `--error-table DATABASE:TABLE` names. */
export function waveDatabaseOf(sample: SampleName): string {
  return `dms_rehearsal_${sample}`;
}

interface Migration {
  member: WaveMember;
  options: RehearsalOptions;
  input: RehearsalInput;
  databases: RehearsalDatabases;
  synthesized: SynthesizedWorkflow;
  stage: RehearsalStage;
}

export async function rehearseWave(options: RehearsalOptions & { wave: number }, terminal: Terminal): Promise<RehearsalOutcome & { execution?: LocalExecution }> {
  const startedAt = Date.now();
  const say = (line: string) => terminal.write(`${line}\n`);
  const shutdown = new RehearsalShutdown((line) => process.stderr.write(`${line}\n`));
  const uninstall = shutdown.install();
  try {
    const members = WAVE_MEMBERS.slice(0, options.wave);
    const memberOptions = members.map((member) => optionsOf(member, options));
    const databases = await Promise.all(memberOptions.map((memberOption) => prepareDatabases(memberOption, say, shutdown)));
    const migrations: Migration[] = [];
    for (const [index, member] of members.entries()) {
      const input = rehearsalInput([memberOptions[index].sourceDatabase], undefined, false, options.engine, member.sample);
      const synthesized = synthesizeWorkflow(rehearsalDeployment(input, member.sample));
      // Started one after the other: each loads its handlers under its own environment.
      const stage = await startStage(memberOptions[index], input, databases[index], synthesized, say, shutdown, { afresh: true });
      migrations.push({ member, options: memberOptions[index], input, databases: databases[index], synthesized, stage });
    }
    const wave = synthesizeWave({ stackName: WAVE_STACK_NAME, account: REHEARSAL_ACCOUNT, region: REHEARSAL_REGION, migrationStackNames: members.map((member) => rehearsalStackName(member.sample)) });
    const { execution, authorizer, emulator } = await runWave(wave, migrations, options, say, shutdown);
    const outcome = judgeWave(execution);
    say('');
    say(waveSummary({ wave, migrations, execution, outcome, startedAt, authorizer, emulator, outboxFile: options.outboxFile }));
    return { ...outcome, execution };
  } catch (error) {
    return { exitCode: 2, reason: `The rehearsal could not run: ${(error as Error).message}` };
  } finally {
    await shutdown.stopEverything();
    uninstall();
  }
}

/** A member's options: its sample on a throwaway source server (the freeze is server-wide), and only its faults. */
function optionsOf(member: WaveMember, options: RehearsalOptions): RehearsalOptions {
  const database = waveDatabaseOf(member.sample);
  const [faultDatabase, erroredTable] = options.faults.erroredTable?.split(':') ?? [];
  return {
    ...options,
    sample: member.sample,
    sourceDatabase: database,
    throwaway: true,
    rows: Math.max(120, Math.round(options.rows * member.rowsShare)),
    faults: faultDatabase === database ? { erroredTable: `${database}.${erroredTable}` } : {},
  };
}

/** The wave's one execution: its Lambda tasks as the wave's functions and role, its children on their stacks. */
async function runWave(
  wave: SynthesizedWave,
  migrations: Migration[],
  options: RehearsalOptions,
  say: (line: string) => void,
  shutdown: RehearsalShutdown,
): Promise<{ execution: LocalExecution; authorizer?: StackAuthorizer; emulator: WaveEmulator }> {
  const authorizer = options.enforceIam ? new StackAuthorizer(wave.template.toJSON() as CfnTemplate, wave.environment, wave.physicalResources) : undefined;
  const emulator: WaveEmulator = await startWaveEmulator({
    tokenTableName: wave.functionEnvironment[ENVIRONMENT.tokenTableName],
    snsTopicArns: [wave.functionEnvironment[ENVIRONMENT.topicArn]],
    stateMachines: [{ stateMachineArn: wave.stateMachineArn, definition: wave.definition }],
    outboxFile: options.outboxFile,
    onPublish: (message) => say(`  ✉ ${message.subject}`),
    ...(authorizer ? { enforce: { authorizer } } : {}),
    secrets: { [wave.functionEnvironment[ENVIRONMENT.approvalKeySecretArn]]: randomBytes(32).toString('base64url') },
  });
  shutdown.onStop(() => emulator.close());
  pointHandlersAt(emulator.url, wave.functionEnvironment, options.verbose);
  // The wave's own review page (the wave stack's page function, under its role), served here for the e-mail's link.
  const pageFunction = loadFunctionHandlers({ page: 'approval-page/handler' }, { page: wave.approvalPageLogicalId }, { afresh: true }).page;
  const page: HttpApiHandler = (event) => pageFunction(event) as ReturnType<HttpApiHandler>;
  const desk = await startApprovalDesk({ autoApprove: options.autoApprove, emulatorUrl: emulator.url, tokenTableName: wave.functionEnvironment[ENVIRONMENT.tokenTableName], say, page });
  shutdown.onStop(() => desk.close());
  const pointHere = () => {
    pointHandlersAt(emulator.url, wave.functionEnvironment, options.verbose);
    process.env[ENVIRONMENT.approvalBaseUrl] = desk.reviewBaseUrl;
  };
  pointHere();
  const handlers = loadFunctionHandlers(WAVE_FUNCTIONS, wave.functionLogicalIds, { afresh: true });

  // The approval parks the wave on a task token that the approval core hands back once decided.
  const askForApproval = parkedOnTaskToken(emulator.tokens, 'wave-approval', handlers.milestones, (result) => {
    const request = result as { approvalId: string; expiresAt: string };
    desk.requested({ ...request, ...approvalEmailIn(emulator.messages, request.approvalId) });
  });
  const tokenStates = new Set(allStates(wave.definition).filter(([, state]) => String(state.Resource).endsWith('.waitForTaskToken')).map(([name]) => name));
  const lambdaTasks: Record<string, LocalTask> = {};
  for (const [stateName, fn] of Object.entries(wave.taskFunctions)) {
    lambdaTasks[stateName] = tokenStates.has(stateName) ? askForApproval : (taskInput) => invokeAsLambda(handlers[fn], taskInput);
  }
  const tasks = authorizer ? invokedByStateMachine(lambdaTasks, { ...wave, taskPhases: wave.taskFunctions }, authorizer) : lambdaTasks;
  const children = new Map<string, ChildStateMachine>(
    migrations.map(({ input, stage, synthesized }) => [
      stateMachineArnOf(synthesized),
      {
        run: async (childInput, executionArn) => {
          const mode = (childInput as { mode?: string }).mode ?? 'migrate';
          say(`  ${input.migrationName}: ${mode} (${executionArn.slice(executionArn.lastIndexOf(':') + 1)})`);
          stage.pointHere();
          try {
            const child = await stage.execute(childInput, executionArn, (stateName) => {
              if (options.verbose) say(`    ${input.migrationName}: ${stateName}`);
            });
            say(`  ${input.migrationName}: ${mode} ${child.status === 'SUCCEEDED' ? 'succeeded' : `FAILED (${child.error?.Error})`}`);
            return child;
          } finally {
            pointHere();
          }
        },
      },
    ]),
  );
  Object.assign(
    tasks,
    childExecutionTasks(wave.definition, { children, authorize: authorizer && (async (call) => (await authorizer.authorize(wave.stateMachineLogicalId, call)).denial) }),
  );
  const waveInput = {
    waveName: 'Rehearsal wave',
    maxConcurrentMigrations: 1,
    migrations: migrations.map(({ synthesized, input }) => ({ stateMachineArn: stateMachineArnOf(synthesized), input })),
  };
  const executionArn = `${wave.stateMachineArn.replace(':stateMachine:', ':execution:')}:rehearsal-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  say(`Wave emulator at ${emulator.url}; executing the synthesized wave state machine (${allStates(wave.definition).length} states) over ${migrations.length} migration stacks.`);
  const execution = await executeLocally(wave.definition, tasks, waveInput, {
    executionArn,
    waitMilliseconds: options.waitMilliseconds,
    retryIntervalMilliseconds: 100,
    onEvent: emulator.executions.begin(wave.stateMachineArn, executionArn, waveInput),
    onStateEntered: (stateName) => say(`→ ${stateName}`),
  });
  return { execution, authorizer, emulator };
}

/** Success is a wave that ended complete (every migration cut over); otherwise its cause names those that did not. */
function judgeWave(execution: LocalExecution): RehearsalOutcome {
  if (execution.status === 'SUCCEEDED') return { exitCode: 0 };
  const cause = typeof execution.error?.Cause === 'string' ? execution.error.Cause : JSON.stringify(execution.error?.Cause);
  return { exitCode: 1, reason: `${execution.error?.Error ?? 'Failed'}: ${cause}` };
}

/** The wave's own words for each migration (`Shop rehearsal: cut over: on the target`), from its summary step. */
function waveSummaryLines(execution: LocalExecution): string[] {
  const summarized = [...execution.events].reverse().find((event) => event.type === 'StateExited' && event.state?.name === 'Summarize the wave');
  return ((summarized?.state?.output as { summary?: { lines?: string[] } } | undefined)?.summary?.lines ?? []);
}

interface WaveSummaryFacts {
  wave: SynthesizedWave;
  migrations: Migration[];
  execution: LocalExecution;
  outcome: RehearsalOutcome;
  startedAt: number;
  authorizer?: StackAuthorizer;
  emulator: WaveEmulator;
  outboxFile: string;
}

/**
 * The end of a wave rehearsal: each migration as the wave summarized it, and, read from its own stack, where its
 * endpoint parameter points (its target or its source server) and what its replication moved; IAM per stack.
 */
function waveSummary({ wave, migrations, execution, outcome, startedAt, authorizer, emulator, outboxFile }: WaveSummaryFacts): string {
  const finished = seconds(Date.now() - startedAt);
  const lines = [
    outcome.exitCode === 0 ? `Wave rehearsal succeeded in ${finished}: ${migrations.length} migrations cut over.` : `Wave rehearsal FAILED after ${finished}: ${outcome.reason}`,
    '',
    `Wave: ${wave.stateMachineArn}, one execution, ${execution.states.length} states entered`,
  ];
  const told = waveSummaryLines(execution);
  for (const { input, databases, stage, synthesized, options } of migrations) {
    const said = told.find((line) => line.startsWith(`${input.migrationName}: `)) ?? `${input.migrationName}: (not in the wave's summary)`;
    const endpoint = stage.emulator.parameters.get(input.cutover.endpointParameterName)?.value;
    const server = (credentials: { host: string; port: number }) => `${credentials.host}:${credentials.port}`;
    const pointsAt = endpoint === server(databases.targetCredentials) ? 'its target server' : endpoint === server(databases.sourceCredentials) ? 'its source server' : 'neither server';
    lines.push(
      '',
      said,
      `  ${options.sourceDatabase}, ${databases.seed.totalRows.toLocaleString('en-US')} rows in ${Object.keys(databases.seed.rowsByTable).length} tables; state machine ${stateMachineArnOf(synthesized)}`,
      `  replication ${migrationArnOf(input)}`,
      `  endpoint ${input.cutover.endpointParameterName} = ${endpoint ?? '(not set)'} (${pointsAt})`,
      ...loadLines(stage.emulator.dms.reading(migrationArnOf(input)), databases.seed).map((line) => `  ${line}`),
    );
  }
  const published = emulator.messages.length + migrations.reduce((sum, { stage }) => sum + stage.emulator.messages.length, 0);
  lines.push('', `Notifications: ${published} published, in ${outboxFile}`);
  lines.push(`Wave stack ${WAVE_STACK_NAME}: ${iamSummary(authorizer).join('\n  ')}`);
  for (const { member, stage } of migrations) lines.push(`Migration stack ${rehearsalStackName(member.sample)}: ${iamSummary(stage.authorizer).join('\n  ')}`);
  return lines.join('\n');
}
