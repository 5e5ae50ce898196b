import { StackAuthorizer, type CfnTemplate } from '../../local/iam';
import { executeLocally, invokeAsLambda as invoke, invokedByStateMachine, loadPhaseHandlers as loadHandlers, type LocalExecution, type LocalTask } from '../../local/workflow/execute';
import { TASK_ARN } from './migration';
import { LocalAws, type Scenario } from './local-aws';
import { DEPLOYMENT, type SynthesizedWorkflow } from './synthesized-workflow';

export type { ExecutionEvent } from '../../local/workflow/execute';

export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:local-run';

/** Changes to how the run goes, beyond what the simulated AWS does (the Scenario). */
export interface WorkflowRunOptions {
  /**
   * Wraps a Task state's work, by state name: the wrapper gets the state's real task (its handler, as the
   * state machine invokes it) and this run's AWS, and returns what runs instead. For fault injection: throw
   * before the handler, report a timeout after it, take AWS down while it runs.
   */
  around?: Record<string, (task: LocalTask, aws: LocalAws) => LocalTask>;
}

export interface WorkflowRun extends LocalExecution {
  /** The `kind` of every SNS notification, in order. */
  notifications: string[];
  aws: LocalAws;
  /** Every call of the functions and the state machine, evaluated against their roles in the synthesized template. */
  authorizer: StackAuthorizer;
  /** When the DMS event that ended a full-load wait reached the watcher (ms since the epoch). */
  fullLoadEventAt?: number;
}

/**
 * Executes the synthesized definition with aws-local-stepfunctions. Every Lambda task runs the real handler
 * of its function folder against the LocalAws fakes; errors reach the state machine as Lambda reports them
 * (error name, and a JSON Cause with errorType and errorMessage). Task-token states run their real handler,
 * then the scenario plays DMS events (or approval decisions) until the token is handed back; a token nobody
 * hands back times out as Step Functions would. Waits and retry pauses are shortened to nothing.
 */
export async function runWorkflow(
  synthesized: SynthesizedWorkflow,
  scenario: Scenario,
  input: unknown = DEPLOYMENT.migration,
  options: WorkflowRunOptions = {},
): Promise<WorkflowRun> {
  const authorizer = new StackAuthorizer(synthesized.template.toJSON() as CfnTemplate, synthesized.environment, synthesized.physicalResources);
  const aws = new LocalAws(scenario, authorizer);
  try {
    // What the stack gives the functions at deployment, set before their handlers load and read it.
    Object.assign(process.env, synthesized.functionEnvironment);
    const handlers = loadHandlers(Object.values(synthesized.taskPhases), synthesized.functionLogicalIds);
    const remainingProgress = [...scenario.progressSteps];
    let tokens = 0;
    let fullLoadEventAt: number | undefined;

    const fullLoadWait = async (taskInput: { Payload: Record<string, unknown> }) => {
      const taskToken = `full-load-token-${++tokens}`;
      const result = aws.tokens.waitFor(taskToken);
      await invoke(handlers('awaitFullLoad'), { ...taskInput.Payload, taskToken });
      for (let step = 0; aws.tokens.isWaiting(taskToken) && remainingProgress.length > 0 && step < (scenario.progressStepsPerWait ?? Infinity); step++) {
        aws.advanceFullLoad(remainingProgress.shift() as number);
        const eventAt = Date.now();
        if (!scenario.dmsEventsMissed) await invoke(handlers('fullLoadWatcher'), DMS_TASK_EVENT);
        if (!aws.tokens.isWaiting(taskToken)) fullLoadEventAt = eventAt;
      }
      if (aws.tokens.isWaiting(taskToken)) {
        aws.tokens.expire(taskToken);
        throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      }
      return result;
    };
    const approval = async (taskInput: { Payload: Record<string, unknown> }) => {
      await invoke(handlers('requestApproval'), { ...taskInput.Payload, taskToken: `approval-token-${++tokens}` });
      if (scenario.approval === 'timeout') throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      if (scenario.approval === 'reject') throw Object.assign(new Error('Not before the Friday change window'), { name: 'ApprovalRejected' });
      return { decision: 'approved', decidedBy: 'dba@example.com', decidedAt: '2026-11-24T12:00:00.000Z' };
    };

    // A definition without the event-driven wait (a polling loop, for comparison) sees DMS move on between polls.
    const pollingOnly = !Object.values(synthesized.taskPhases).includes('awaitFullLoad');
    const poll = async (event: unknown) => {
      if (remainingProgress.length > 0) aws.advanceFullLoad(remainingProgress.shift() as number);
      return invoke(handlers('checkProgress'), event);
    };

    const tasks: Record<string, LocalTask> = {};
    for (const [stateName, phase] of Object.entries(synthesized.taskPhases)) {
      tasks[stateName] =
        phase === 'awaitFullLoad'
          ? fullLoadWait
          : phase === 'requestApproval'
            ? approval
            : phase === 'checkProgress' && pollingOnly
              ? poll
              : (taskInput) => invoke(handlers(phase), taskInput);
    }
    for (const [stateName, wrap] of Object.entries(options.around ?? {})) {
      if (!tasks[stateName]) throw new Error(`No Task state named "${stateName}" to wrap`);
      tasks[stateName] = wrap(tasks[stateName], aws);
    }
    const execution = await executeLocally(synthesized.definition, invokedByStateMachine(tasks, synthesized, authorizer), input, {
      executionArn: EXECUTION_ARN,
      waitMilliseconds: 0,
      retryIntervalMilliseconds: 0,
    });
    return { ...execution, notifications: aws.notifications.map((notification) => notification.kind), aws, authorizer, fullLoadEventAt };
  } finally {
    aws.restore();
  }
}

const DMS_TASK_EVENT = {
  version: '0',
  source: 'aws.dms',
  'detail-type': 'DMS Replication Task State Change',
  resources: [TASK_ARN],
  detail: { type: 'REPLICATION_TASK', category: 'StateChange', eventType: 'REPLICATION_TASK_STATE_CHANGE' },
};
