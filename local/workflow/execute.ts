import * as path from 'node:path';
import { StateMachine } from './local-step-functions';
import { allStates, type AslDefinition } from './asl';
import { phaseEntry, type Phase } from '../../infra/phases';
import { runAsCaller } from '../emulator/callers';
import type { StackAuthorizer } from '../iam';
import type { SynthesizedWorkflow } from './synthesize';

// aws-local-stepfunctions uses Promise.withResolvers (Node.js 22+); this machine runs Node.js 20.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason: unknown) => void;
      const promise = new Promise<T>((settle, fail) => {
        resolve = settle;
        reject = fail;
      });
      return { promise, resolve, reject };
    },
  });
}

export type Handler = (event: unknown) => Promise<unknown>;
/** What runs in place of a Task state: receives the state's effective input (the Lambda payload). */
export type LocalTask = (taskInput: { Payload: Record<string, unknown> } & Record<string, unknown>) => Promise<unknown>;

/** One entry of the runner's event log (StateEntered, StateFailed, ExecutionFailed...). */
export type ExecutionEvent = { type: string; timestamp: number; state?: { name: string; type: string; input?: unknown; output?: unknown }; [field: string]: unknown };

export interface LocalExecution {
  status: 'SUCCEEDED' | 'FAILED';
  output?: Record<string, unknown>;
  error?: { Error: string; Cause: unknown };
  /** Every state entered, in order. */
  states: string[];
  /** States retried after an error, with the error name. */
  retries: Array<{ state: string; error: string }>;
  /** The runner's event log, for counting what the service would record. */
  events: ExecutionEvent[];
}

export interface LocalExecutionOptions {
  executionArn: string;
  /** Wait states pause this long instead of their definition's time. */
  waitMilliseconds: number;
  /** Retry pauses last this long instead of the definition's backoff. */
  retryIntervalMilliseconds: number;
  /** Called as each state is entered, for live progress. */
  onStateEntered?(stateName: string): void;
  /** Called with each event of the runner's log as it happens (the emulator records the execution's history from them). */
  onEvent?(event: ExecutionEvent): void;
}

/**
 * Executes a synthesized definition with aws-local-stepfunctions, every Task state running `tasks[state]`.
 * Errors are read from the execution's event log, as the console shows them (error name and cause).
 */
export async function executeLocally(
  definition: AslDefinition,
  tasks: Record<string, LocalTask>,
  input: unknown,
  options: LocalExecutionOptions,
): Promise<LocalExecution> {
  const states = allStates(definition);
  const machine = validatedMachine(definition);
  const executionName = options.executionArn.slice(options.executionArn.lastIndexOf(':') + 1);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: tasks as never,
      waitTimeOverrides: Object.fromEntries(states.filter(([, state]) => state.Type === 'Wait').map(([name]) => [name, options.waitMilliseconds])),
      retryIntervalOverrides: Object.fromEntries(states.filter(([, state]) => state.Retry).map(([name]) => [name, options.retryIntervalMilliseconds])),
    },
    // The local runner's context object is fixed for the whole run: each task-token state gets its own
    // token from its local task, and State.EnteredTime is the moment the run starts.
    context: {
      Execution: { Id: options.executionArn, Input: input as never, StartTime: new Date().toISOString(), Name: executionName },
      State: { EnteredTime: new Date().toISOString(), Name: executionName },
      Task: { Token: 'replaced-per-state' },
    },
  });

  const events: ExecutionEvent[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      const logged = event as unknown as ExecutionEvent;
      events.push(logged);
      options.onEvent?.(logged);
      if (logged.type === 'StateEntered' && logged.state) options.onStateEntered?.(logged.state.name);
    }
  })();
  let output: Record<string, unknown> | undefined;
  try {
    output = (await execution.result) as Record<string, unknown>;
  } catch {
    // The failure is read from the event log below.
  }
  await collecting;
  const failed = events.find((event) => event.type === 'ExecutionFailed') as { Error: string; Cause: unknown } | undefined;
  return {
    status: failed ? 'FAILED' : 'SUCCEEDED',
    output,
    error: failed ? { Error: failed.Error, Cause: failed.Cause } : undefined,
    states: events.filter((event) => event.type === 'StateEntered').map((event) => event.state?.name ?? ''),
    retries: retriesIn(events),
    events,
  };
}

/**
 * Validating a definition (asl-validator) takes longer than most local executions of it: each definition is
 * validated once and its machine reused, which holds no state between runs.
 */
const machines = new WeakMap<AslDefinition, StateMachine>();

function validatedMachine(definition: AslDefinition): StateMachine {
  const known = machines.get(definition);
  if (known) return known;
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  machines.set(definition, machine);
  return machine;
}

/** Each retry with the error that caused it: the runner logs the failure just before the retry. */
function retriesIn(events: ExecutionEvent[]): LocalExecution['retries'] {
  const lastError = new Map<string, string>();
  const retries: LocalExecution['retries'] = [];
  for (const event of events) {
    const state = event.state?.name ?? '';
    if (event.type === 'StateFailed') lastError.set(state, String(event.Error));
    if (event.type === 'StateRetried') retries.push({ state, error: lastError.get(state) ?? 'unknown' });
  }
  return retries;
}

/**
 * The handler of each phase the workflow runs, plus the DMS event watcher. Loaded with require, as Lambda's
 * CommonJS runtime does: each module reads its environment and builds its clients as it loads. Each runs as
 * its function (`functionLogicalIds`, from the synthesized template): every AWS call it makes is attributed
 * to that function's role. `afresh` loads them as new module instances (`requireAfresh`), for a process that
 * runs several stacks' handlers, each under its own environment.
 */
export function loadPhaseHandlers(phases: Phase[], functionLogicalIds: Record<Phase, string>, { afresh = false } = {}): PhaseHandlers {
  const load = (entry: string) => (require(`../../functions/${entry}`) as { handler: Handler }).handler;
  const loaded = new Map<Phase, Handler>();
  const loadAll = () => {
    for (const phase of new Set<Phase>([...phases, 'fullLoadWatcher'])) loaded.set(phase, load(phaseEntry(phase)));
  };
  if (afresh) requireAfresh(loadAll);
  else loadAll();
  const handlers = new Map<Phase, Handler>();
  for (const [phase, handler] of loaded) {
    const caller = { principal: functionLogicalIds[phase] };
    handlers.set(phase, (event) => runAsCaller(caller, () => handler(event)));
  }
  return (phase) => {
    const handler = handlers.get(phase);
    if (!handler) throw new Error(`The ${phase} handler was not loaded: no Task state of the workflow runs it`);
    return handler;
  };
}

const FUNCTIONS_FOLDER = `${path.resolve(__dirname, '..', '..', 'functions')}${path.sep}`;

/**
 * Runs `load` with none of the functions' modules in Node's require cache, so every handler it requires (and
 * the shared modules under it) is a new instance that reads process.env as it is now and builds its own SDK
 * clients, as a separate Lambda function would. The cache is then put back as it was: code loaded before
 * keeps its instances. Outside jest only (jest keeps its own module registry: `jest.isolateModules`).
 */
export function requireAfresh<T>(load: () => T): T {
  const ours = (key: string) => key.startsWith(FUNCTIONS_FOLDER);
  const before = Object.entries(require.cache).filter(([key]) => ours(key));
  for (const [key] of before) delete require.cache[key];
  try {
    return load();
  } finally {
    for (const key of Object.keys(require.cache)) if (ours(key)) delete require.cache[key];
    for (const [key, module] of before) require.cache[key] = module;
  }
}

/** A loaded phase's handler, by phase name (infra/phases). */
export type PhaseHandlers = (phase: Phase) => Handler;

/** Calls a handler the way the Lambda integration reports it: a thrown error keeps its name, Cause is JSON. */
export async function invokeAsLambda(handler: Handler, event: unknown): Promise<unknown> {
  try {
    return await handler(event);
  } catch (error) {
    const { name, message } = error as Error;
    throw lambdaFunctionError(name, message);
  }
}

/** A function's error as the Lambda integration hands it to the state machine: its name, and a JSON Cause. */
export function lambdaFunctionError(name: string, message: string): Error {
  return Object.assign(new Error(JSON.stringify({ errorType: name, errorMessage: message, trace: [] })), { name });
}

/**
 * The state machine's own Lambda integration, authorized as its role: before a Task state runs its
 * function, `lambda:InvokeFunction` on the function's ARN is evaluated for the state machine. A denial
 * fails the state as the integration reports a Lambda service error, `Lambda.<the SDK's exception class>`;
 * Lambda models no AccessDeniedException, so the class is the service's base exception, AWSLambdaException.
 */
export function invokedByStateMachine(
  tasks: Record<string, LocalTask>,
  synthesized: Pick<SynthesizedWorkflow, 'taskPhases' | 'functionLogicalIds' | 'stateMachineLogicalId'>,
  authorizer: StackAuthorizer,
): Record<string, LocalTask> {
  const invoke = (stateName: string, task: LocalTask): LocalTask => async (taskInput) => {
    const functionArn = authorizer.arnOf(synthesized.functionLogicalIds[synthesized.taskPhases[stateName]]);
    const { denial } = await authorizer.authorize(synthesized.stateMachineLogicalId, { service: 'lambda', operation: 'Invoke', input: { FunctionName: functionArn } });
    if (denial) throw Object.assign(new Error(`${denial.message} (Service: Lambda, Status Code: 403, Error Code: ${denial.code})`), { name: 'Lambda.AWSLambdaException' });
    return task(taskInput);
  };
  return Object.fromEntries(Object.entries(tasks).map(([stateName, task]) => [stateName, invoke(stateName, task)]));
}
