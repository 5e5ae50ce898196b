import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { StateMachine } from './local-step-functions';
import { allStates, type AslDefinition } from './asl';
import { phaseEntry, type Phase } from '../../infra/phases';
import { runAsCaller } from '../emulator/callers';
import type { StackAuthorizer } from '../iam';
import type { TaskTokens } from './task-tokens';

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
  const entries = Object.fromEntries([...new Set<Phase>([...phases, 'fullLoadWatcher'])].map((phase) => [phase, phaseEntry(phase)])) as Record<Phase, string>;
  const handlers = loadFunctionHandlers(entries, functionLogicalIds, { afresh });
  return (phase) => {
    const handler = handlers[phase];
    if (!handler) throw new Error(`The ${phase} handler was not loaded: no Task state of the workflow runs it`);
    return handler;
  };
}

/** Each function's handler (`entries`: its module under functions/), run as that function (its logical id). */
export function loadFunctionHandlers<Fn extends string>(entries: Record<Fn, string>, functionLogicalIds: Record<Fn, string>, { afresh = false } = {}): Record<Fn, Handler> {
  const loadAll = () => {
    const handlers = {} as Record<Fn, Handler>;
    for (const [fn, entry] of Object.entries(entries) as Array<[Fn, string]>) {
      const handler = (require(`../../functions/${entry}`) as { handler: Handler }).handler;
      const caller = { principal: functionLogicalIds[fn] };
      handlers[fn] = (event) => runAsCaller(caller, () => handler(event));
    }
    return handlers;
  };
  return afresh ? requireAfresh(loadAll) : loadAll();
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
 * A `.waitForTaskToken` Lambda task run locally: the handler gets the state's payload with a token of its own
 * (as the integration passes `$$.Task.Token`), and the state waits until someone hands the token back through
 * `tokens`. `afterInvoke` sees what the handler returned (an approval's id, to show where to decide it).
 */
export function parkedOnTaskToken(tokens: TaskTokens, name: string, handler: Handler, afterInvoke?: (result: unknown) => void): LocalTask {
  let issued = 0;
  return async (taskInput) => {
    const taskToken = `${name}-${++issued}-${randomBytes(8).toString('hex')}`;
    const handedBack = tokens.waitFor(taskToken);
    // A handler may hand the token back before this one returns (a replication that fails at once, its event
    // waking the watcher): the failure is taken up below, not an unhandled rejection meanwhile.
    handedBack.catch(() => undefined);
    const result = await invokeAsLambda(handler, { ...taskInput.Payload, taskToken });
    afterInvoke?.(result);
    return handedBack;
  };
}

/**
 * The state machine's own Lambda integration, authorized as its role: before a Task state runs its
 * function, `lambda:InvokeFunction` on the function's ARN is evaluated for the state machine. A denial
 * fails the state as the integration reports a Lambda service error, `Lambda.<the SDK's exception class>`;
 * Lambda models no AccessDeniedException, so the class is the service's base exception, AWSLambdaException.
 * `taskPhases`: the function each Task state runs (a phase of a migration stack, a function of the wave stack).
 */
export function invokedByStateMachine<Fn extends string>(
  tasks: Record<string, LocalTask>,
  synthesized: { taskPhases: Record<string, Fn>; functionLogicalIds: Record<Fn, string>; stateMachineLogicalId: string },
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
