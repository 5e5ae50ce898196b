import { runAsCaller } from '../../local/emulator/callers';
import { StackAuthorizer, type CfnTemplate } from '../../local/iam';
import { childExecutionTasks, type ChildStateMachine } from '../../local/workflow/child-executions';
import { executeLocally, invokeAsLambda, invokedByStateMachine, type Handler, type LocalExecution, type LocalTask } from '../../local/workflow/execute';
import { synthesizeWave, WAVE_FUNCTIONS, type SynthesizedWave } from '../../local/workflow/synthesize-wave';
import { HAPPY_PATH, LocalAws, type Scenario } from './local-aws';
import type { MigrationInput } from '../../functions/shared/migration-input';
import { migrationInput } from './migration';
import { runWorkflow, type WorkflowRun } from './run-workflow';
import { DEPLOYMENT, synthesizeWorkflow, type SynthesizedWorkflow } from './synthesized-workflow';

/** The wave deployment of the wave tests: three migration stacks, each its own state machine and roles. */
export const WAVE_MIGRATIONS = ['Orders', 'Billing', 'Stock'] as const;
export type WaveMigrationName = (typeof WAVE_MIGRATIONS)[number];
export const WAVE_DEPLOYMENT = { stackName: 'ShopWave', account: DEPLOYMENT.account, region: DEPLOYMENT.region, migrationStackNames: [...WAVE_MIGRATIONS] };
export const WAVE_EXECUTION_ARN = `arn:aws:states:${DEPLOYMENT.region}:${DEPLOYMENT.account}:execution:ShopWave-wave:friday`;

/** Each migration's input: the test deployment's, under its own name. */
export type WaveMigrationInputs = (name: string) => MigrationInput;
export const waveMigrationInput: WaveMigrationInputs = (name) => migrationInput({ migrationName: name, cutover: { endpointParameterName: '/apps/orders/database-endpoint' } });

export function waveInput(changes: Record<string, unknown> = {}, inputOf: WaveMigrationInputs = waveMigrationInput) {
  return {
    waveName: 'Friday wave',
    // One at a time, so the children run in the wave's order.
    maxConcurrentMigrations: 1,
    migrations: WAVE_MIGRATIONS.map((name) => ({ stateMachineArn: stateMachineArnOf(name), input: inputOf(name) })),
    ...changes,
  };
}

export function stateMachineArnOf(stackName: string): string {
  return `arn:aws:states:${DEPLOYMENT.region}:${DEPLOYMENT.account}:stateMachine:${stackName}-migration`;
}

export interface WaveScenario {
  /** Each migration's simulated AWS, by the mode its child execution runs in. */
  child(name: WaveMigrationName, mode: string): Scenario;
  /** What the approver does with the wave's approval request (the approval core, as the CLI calls it). */
  decide(approvalId: string, aws: LocalAws): Promise<void>;
  /** Runs around each child execution: the databases made ready for it, and tidied after. @default runs it */
  around?(name: WaveMigrationName, mode: string, run: () => Promise<void>): Promise<void>;
}

export interface WaveRun extends LocalExecution {
  /** Every child execution, in the order they ran, with its run. */
  children: Array<{ executionArn: string; run: WorkflowRun }>;
  /** The wave's own simulated AWS: its approval record, its e-mails. */
  aws: LocalAws;
}

/** A migration its wave prepared: the task replicating changes, every table loaded and validated. */
export const PREPARED: Scenario = { ...HAPPY_PATH, initialStatus: 'running', pendingValidationChecks: 0, prepare: (aws) => aws.advanceFullLoad(100) };

export const HAPPY_WAVE: WaveScenario = {
  child: (_name, mode) => (mode === 'prepare' ? HAPPY_PATH : PREPARED),
  decide: async () => undefined,
};

/**
 * Executes the synthesized wave with aws-local-stepfunctions: its Lambda tasks run the wave's real handlers,
 * authorized as the wave's state machine role; its child executions run the synthesized migration state
 * machines of their stacks (runWorkflow), each in its own module registry so its handlers read its own
 * stack's environment and its own simulated AWS answers them.
 */
export async function runWave(
  wave: SynthesizedWave,
  stacks: Map<string, SynthesizedWorkflow>,
  scenario: WaveScenario,
  input: unknown,
  options: { executionArn?: string; sharedHandlers?: boolean } = {},
): Promise<WaveRun> {
  const authorizer = new StackAuthorizer(wave.template.toJSON() as CfnTemplate, wave.environment, wave.physicalResources);
  let aws = new LocalAws(HAPPY_PATH, authorizer);
  // With shared handlers the child's simulated AWS replaces the wave's on the same SDK clients: the wave's is
  // put back, with what it holds, once the child is over.
  const handBack = () => {
    const next = new LocalAws(HAPPY_PATH, authorizer);
    for (const [key, item] of aws.items) next.items.set(key, item);
    next.notifications.push(...aws.notifications);
    aws = next;
  };
  try {
    Object.assign(process.env, wave.functionEnvironment);
    const handlers = new Map<string, Handler>();
    for (const [fn, entry] of Object.entries(WAVE_FUNCTIONS)) {
      const handler = (require(`../../functions/${entry}`) as { handler: Handler }).handler;
      handlers.set(fn, (event) => runAsCaller({ principal: wave.functionLogicalIds[fn as keyof typeof WAVE_FUNCTIONS] }, () => handler(event)));
    }
    let tokens = 0;
    const approval: LocalTask = async (taskInput) => {
      const taskToken = `wave-approval-${++tokens}`;
      const decided = aws.tokens.waitFor(taskToken);
      decided.catch(() => undefined);
      const { approvalId } = (await invokeAsLambda(handlers.get('milestones') as Handler, { ...taskInput.Payload, taskToken })) as { approvalId: string };
      await scenario.decide(approvalId, aws);
      if (aws.tokens.isWaiting(taskToken)) {
        aws.tokens.expire(taskToken);
        throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      }
      return decided;
    };
    const lambdaTasks: Record<string, LocalTask> = {};
    for (const [stateName, fn] of Object.entries(wave.taskFunctions)) {
      lambdaTasks[stateName] = stateName === 'Ask for the wave approval' ? approval : (taskInput) => invokeAsLambda(handlers.get(fn) as Handler, taskInput);
    }
    const tasks = invokedByStateMachine(lambdaTasks, { ...wave, taskPhases: wave.taskFunctions }, authorizer);
    const children: WaveRun['children'] = [];
    const machines = new Map<string, ChildStateMachine>();
    // Children the wave starts at once (a Map's iterations) take turns, in the order they were started: each
    // child's simulated AWS replaces the same SDK clients, so two cannot answer at the same time. The wave's
    // state machine still starts them together and waits for every one, which is what its tests observe.
    let turns: Promise<unknown> = Promise.resolve();
    const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
      const turn = turns.then(work);
      turns = turn.catch(() => undefined);
      return turn;
    };
    for (const [stackName, synthesized] of stacks) {
      machines.set(stateMachineArnOf(stackName), {
        run: (childInput, executionArn) => inTurn(async () => {
          const mode = String((childInput as { mode?: string }).mode ?? 'migrate');
          let result: WorkflowRun | undefined;
          const name = stackName as WaveMigrationName;
          // sharedHandlers (the benchmark, outside jest): every child runs one stack's handlers, loaded once.
          const run = options.sharedHandlers
            ? async () => {
                result = await runWorkflow(synthesized, scenario.child(name, mode), childInput, { executionArn });
              }
            : () =>
                jest.isolateModulesAsync(async () => {
                  const isolated = require('./run-workflow') as typeof import('./run-workflow');
                  result = await isolated.runWorkflow(synthesized, scenario.child(name, mode), childInput, { executionArn });
                });
          if (options.sharedHandlers) aws.restore();
          try {
            await (scenario.around ? scenario.around(name, mode, run) : run());
          } finally {
            if (options.sharedHandlers) handBack();
          }
          const ended = result as WorkflowRun;
          children.push({ executionArn, run: ended });
          // The wave's functions read their own stack's environment again once the child is over.
          Object.assign(process.env, wave.functionEnvironment);
          return ended;
        }),
      });
    }
    Object.assign(
      tasks,
      childExecutionTasks(wave.definition, {
        children: machines,
        authorize: async (call) => (await authorizer.authorize(wave.stateMachineLogicalId, call)).denial,
      }),
    );
    const execution = await executeLocally(wave.definition, tasks, input, { executionArn: options.executionArn ?? WAVE_EXECUTION_ARN, waitMilliseconds: 0, retryIntervalMilliseconds: 0 });
    return { ...execution, children, aws };
  } finally {
    aws.restore();
  }
}

/** The wave stack of the wave tests, and its three migration stacks: the test deployment, each under the migration's name. */
export function synthesizeWaveDeployment(inputOf: WaveMigrationInputs = waveMigrationInput): { wave: SynthesizedWave; stacks: Map<string, SynthesizedWorkflow> } {
  const stacks = new Map(WAVE_MIGRATIONS.map((name) => [name, synthesizeWorkflow({ ...DEPLOYMENT, stackName: name, migration: inputOf(name) })]));
  return { wave: synthesizeWave(WAVE_DEPLOYMENT), stacks };
}

