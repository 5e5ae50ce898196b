import { StateMachine } from 'aws-local-stepfunctions';
import { TASK_ARN, migrationInput } from '../fixtures/migration';
import { LocalAws, type Scenario } from './local-aws';
import type { AslDefinition } from './synthesized-workflow';

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

export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:local-run';

// What the stack gives the functions at deployment (see MigrationOrchestrator), set before they load.
Object.assign(process.env, {
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:orders-migration',
  TOKEN_TABLE_NAME: 'orders-migration-tokens',
  PROGRESS_MILESTONE_PERCENT: '25',
  REPLICATION_TASK_ARN: TASK_ARN,
  APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:approval-key-AbCdEf',
  APPROVAL_BASE_URL: 'https://approvals.example.com/review',
  APPROVAL_TIMEOUT_SECONDS: '86400',
  APPROVAL_REMINDER_AFTER_SECONDS: '14400',
  APPROVAL_REMINDER_SCHEDULE_GROUP: 'OrdersMigration-approval-reminders',
  APPROVAL_REMINDER_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:OrdersMigration-ApprovalReminder',
  APPROVAL_REMINDER_ROLE_ARN: 'arn:aws:iam::123456789012:role/OrdersMigration-ApprovalReminderScheduler',
  PLANS_BUCKET: 'orders-migration-plans',
});

type Handler = (event: unknown) => Promise<unknown>;

export interface WorkflowRun {
  status: 'SUCCEEDED' | 'FAILED';
  output?: Record<string, unknown>;
  error?: { Error: string; Cause: unknown };
  /** Every state entered, in order. */
  states: string[];
  /** States retried after an error, with the error name. */
  retries: Array<{ state: string; error: string }>;
  /** The `kind` of every SNS notification, in order. */
  notifications: string[];
  aws: LocalAws;
  /** The runner's event log, for counting what the service would record (see history-events.ts). */
  events: ExecutionEvent[];
  /** When the DMS event that ended a full-load wait reached the watcher (ms since the epoch). */
  fullLoadEventAt?: number;
}

export type ExecutionEvent = { type: string; timestamp: number; state?: { name: string; type: string }; [field: string]: unknown };

/**
 * Executes the synthesized definition with aws-local-stepfunctions. Every Lambda task runs the real handler
 * of its function folder against the LocalAws fakes; errors reach the state machine as Lambda reports them
 * (error name, and a JSON Cause with errorType and errorMessage). Task-token states run their real handler,
 * then the scenario plays DMS events (or approval decisions) until the token is handed back; a token nobody
 * hands back times out as Step Functions would. Waits and retry pauses are shortened to nothing.
 */
export async function runWorkflow(
  synthesized: { definition: AslDefinition; taskPhases: Record<string, string> },
  scenario: Scenario,
  input: unknown = migrationInput({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' } }),
): Promise<WorkflowRun> {
  const aws = new LocalAws(scenario);
  try {
    const handlers = await loadHandlers(Object.values(synthesized.taskPhases));
    const remainingProgress = [...scenario.progressSteps];
    let tokens = 0;
    let fullLoadEventAt: number | undefined;

    const fullLoadWait = async (taskInput: { Payload: Record<string, unknown> }) => {
      const taskToken = `full-load-token-${++tokens}`;
      const result = aws.waitForToken(taskToken);
      await invoke(handlers['await-full-load'], { ...taskInput.Payload, taskToken });
      for (let step = 0; !aws.tokenSettled(taskToken) && remainingProgress.length > 0 && step < (scenario.progressStepsPerWait ?? Infinity); step++) {
        aws.advanceFullLoad(remainingProgress.shift() as number);
        const eventAt = Date.now();
        if (!scenario.dmsEventsMissed) await invoke(handlers['full-load-watcher'], DMS_TASK_EVENT);
        if (aws.tokenSettled(taskToken)) fullLoadEventAt = eventAt;
      }
      if (!aws.tokenSettled(taskToken)) {
        aws.expireToken(taskToken);
        throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      }
      return result;
    };
    const approval = async (taskInput: { Payload: Record<string, unknown> }) => {
      await invoke(handlers['request-approval'], { ...taskInput.Payload, taskToken: `approval-token-${++tokens}` });
      if (scenario.approval === 'timeout') throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      if (scenario.approval === 'reject') throw Object.assign(new Error('Not before the Friday change window'), { name: 'ApprovalRejected' });
      return { decision: 'approved', decidedBy: 'dba@example.com', decidedAt: '2026-11-24T12:00:00.000Z' };
    };

    // A definition without the event-driven wait (a polling loop, for comparison) sees DMS move on between polls.
    const pollingOnly = !Object.values(synthesized.taskPhases).includes('await-full-load');
    const poll = async (event: unknown) => {
      if (remainingProgress.length > 0) aws.advanceFullLoad(remainingProgress.shift() as number);
      return invoke(handlers['check-progress'], event);
    };

    type LocalHandler = (taskInput: never) => Promise<unknown>;
    const taskResourceLocalHandlers: Record<string, LocalHandler> = {};
    for (const [stateName, phase] of Object.entries(synthesized.taskPhases)) {
      const run: LocalHandler =
        phase === 'await-full-load'
          ? fullLoadWait
          : phase === 'request-approval'
            ? approval
            : phase === 'check-progress' && pollingOnly
              ? poll
              : (event: unknown) => invoke(handlers[phase], event);
      taskResourceLocalHandlers[stateName] = run;
    }
    const states = Object.entries(synthesized.definition.States);
    const machine = new StateMachine(synthesized.definition as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers as never,
        waitTimeOverrides: Object.fromEntries(states.filter(([, state]) => state.Type === 'Wait').map(([name]) => [name, 0])),
        retryIntervalOverrides: Object.fromEntries(states.filter(([, state]) => state.Retry).map(([name]) => [name, 0])),
      },
      // The local runner's context object is fixed for the whole run: each task-token state gets its own
      // token from the overrides above, and State.EnteredTime is the moment the run starts.
      context: {
        Execution: { Id: EXECUTION_ARN, Input: input as never, StartTime: new Date().toISOString(), Name: 'local-run' },
        State: { EnteredTime: new Date().toISOString(), Name: 'local-run' },
        Task: { Token: 'replaced-per-state' },
      },
    });

    const events: ExecutionEvent[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) events.push(event as unknown as ExecutionEvent);
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
      states: events.filter((event) => event.type === 'StateEntered').map((event) => (event.state as { name: string }).name),
      retries: retriesIn(events),
      notifications: aws.notifications.map((notification) => notification.kind),
      aws,
      events,
      fullLoadEventAt,
    };
  } finally {
    aws.restore();
  }
}

/** Each retry with the error that caused it: the runner logs the failure just before the retry. */
function retriesIn(events: Array<{ type: string; [field: string]: unknown }>): WorkflowRun['retries'] {
  const lastError = new Map<string, string>();
  const retries: WorkflowRun['retries'] = [];
  for (const event of events) {
    const state = (event.state as { name: string } | undefined)?.name ?? '';
    if (event.type === 'StateFailed') lastError.set(state, String(event.Error));
    if (event.type === 'StateRetried') retries.push({ state, error: lastError.get(state) ?? 'unknown' });
  }
  return retries;
}

const DMS_TASK_EVENT = {
  version: '0',
  source: 'aws.dms',
  'detail-type': 'DMS Replication Task State Change',
  resources: [TASK_ARN],
  detail: { type: 'REPLICATION_TASK', category: 'StateChange', eventType: 'REPLICATION_TASK_STATE_CHANGE' },
};

async function loadHandlers(phases: string[]): Promise<Record<string, Handler>> {
  const handlers: Record<string, Handler> = {};
  for (const phase of new Set([...phases, 'full-load-watcher'])) {
    handlers[phase] = ((await import(`../../functions/${phase}/handler`)) as { handler: Handler }).handler;
  }
  return handlers;
}

/** Calls a handler the way the Lambda integration reports it: a thrown error keeps its name, Cause is JSON. */
async function invoke(handler: Handler, event: unknown): Promise<unknown> {
  try {
    return await handler(event);
  } catch (error) {
    const { name, message } = error as Error;
    throw Object.assign(new Error(JSON.stringify({ errorType: name, errorMessage: message, trace: [] })), { name });
  }
}
