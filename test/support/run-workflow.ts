import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { serveHttpApi, type LocalHttpApi } from '../../local/api-gateway-adapter';
import { runAsCaller } from '../../local/emulator/callers';
import { ENVIRONMENT } from '../../functions/shared/environment';
import { StackAuthorizer, type CfnTemplate } from '../../local/iam';
import { executeLocally, invokeAsLambda as invoke, invokedByStateMachine, loadPhaseHandlers as loadHandlers, type LocalExecution, type LocalTask } from '../../local/workflow/execute';
import { ENGINES, TASK_ENGINE } from './engines';
import { LocalAws, type Scenario } from './local-aws';
import { DEPLOYMENT, type SynthesizedWorkflow } from './synthesized-workflow';

export type { ExecutionEvent } from '../../local/workflow/execute';

export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:local-run';

/** Changes to how the run goes, beyond what the simulated AWS does (the Scenario). */
/** The states every failed run ends with once its failure e-mail went out (statemachine/kit.ts, the failure path). */
export const FAILURE_PATH = ['Notify failure', 'Release run lock after failure', 'Failure e-mail delivered?', 'Describe the failure', 'Migration failed'];

export interface WorkflowRunOptions {
  /**
   * Wraps a Task state's work, by state name: the wrapper gets the state's real task (its handler, as the
   * state machine invokes it) and this run's AWS, and returns what runs instead. For fault injection: throw
   * before the handler, report a timeout after it, take AWS down while it runs.
   */
  around?: Record<string, (task: LocalTask, aws: LocalAws) => LocalTask>;
  /** The execution's ARN (a wave's child execution). @default EXECUTION_ARN */
  executionArn?: string;
}

export interface WorkflowRun extends LocalExecution {
  /** The `kind` of every SNS notification, in order. */
  notifications: string[];
  aws: LocalAws;
  /** Every call of the functions and the state machine, evaluated against their roles in the synthesized template. */
  authorizer: StackAuthorizer;
  /** When the watcher was woken (by a DMS event or its minute check) to end a full-load wait (ms since the epoch). */
  fullLoadNoticedAt?: number;
}

/**
 * Executes the synthesized definition with aws-local-stepfunctions. Every Lambda task runs the real handler
 * of its function folder against the LocalAws fakes; errors reach the state machine as Lambda reports them
 * (error name, and a JSON Cause with errorType and errorMessage). Task-token states run their real handler,
 * then the scenario plays the load's progress, the watcher's minute checks and DMS events (or approval decisions)
 * until the token is handed back; a token nobody
 * hands back times out as Step Functions would. Waits and retry pauses are shortened to nothing.
 */
export async function runWorkflow(
  synthesized: SynthesizedWorkflow,
  scenario: Scenario,
  input: unknown = DEPLOYMENT.migration,
  options: WorkflowRunOptions = {},
): Promise<WorkflowRun> {
  const authorizer = new StackAuthorizer(synthesized.template.toJSON() as CfnTemplate, synthesized.environment, synthesized.physicalResources);
  const checkRule = synthesized.functionEnvironment[ENVIRONMENT.fullLoadCheckRuleName];
  const aws = new LocalAws(scenario, authorizer, synthesized.topicSubscriptions, checkRule ? [checkRule] : []);
  let approvalPage: LocalHttpApi | undefined;
  try {
    // What the stack gives the functions at deployment, set before their handlers load and read it.
    Object.assign(process.env, synthesized.functionEnvironment);
    const handlers = loadHandlers(Object.values(synthesized.taskPhases), synthesized.functionLogicalIds);
    const remainingProgress = [...scenario.progressSteps];
    const { stateChangeEvent } = ENGINES.find((fixture) => fixture.engine === (scenario.engine ?? 'task')) ?? TASK_ENGINE;
    let tokens = 0;
    let fullLoadNoticedAt: number | undefined;

    const fullLoadWait = async (taskInput: { Payload: Record<string, unknown> }) => {
      const taskToken = `full-load-token-${++tokens}`;
      const result = aws.tokens.waitFor(taskToken);
      await invoke(handlers('awaitFullLoad'), { ...taskInput.Payload, taskToken });
      for (let step = 0; aws.tokens.isWaiting(taskToken) && remainingProgress.length > 0 && step < (scenario.progressStepsPerWait ?? Infinity); step++) {
        aws.advanceFullLoad(remainingProgress.shift() as number);
        const wokenAt = Date.now();
        if (aws.taskEventDue && !scenario.dmsEventsMissed) await invoke(handlers('fullLoadWatcher'), stateChangeEvent);
        const checking = checkRule !== undefined && aws.eventRules.get(checkRule) === 'ENABLED';
        if (aws.tokens.isWaiting(taskToken) && checking && !scenario.scheduledChecksMissed) await invoke(handlers('fullLoadWatcher'), SCHEDULED_CHECK);
        if (!aws.tokens.isWaiting(taskToken)) fullLoadNoticedAt = wokenAt;
      }
      if (aws.tokens.isWaiting(taskToken)) {
        aws.tokens.expire(taskToken);
        throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      }
      return result;
    };
    const approval = async (taskInput: { Payload: Record<string, unknown> }) => {
      const taskToken = `approval-token-${++tokens}`;
      const decided = aws.tokens.waitFor(taskToken);
      // Settled while the people are still at the page (a reject); the state takes it up once they are done.
      decided.catch(() => undefined);
      await invoke(handlers('requestApproval'), { ...taskInput.Payload, taskToken });
      const decide = scenario.approval;
      if (typeof decide === 'function') {
        approvalPage ??= await serveApprovalPage(synthesized.approvalPageLogicalId);
        await decide({ reviewUrl: servedReviewLink(aws, approvalPage), aws });
      } else if (decide === 'approve') {
        return { decision: 'approved', decidedBy: 'dba@example.com', decidedAt: '2026-11-24T12:00:00.000Z' };
      } else if (decide === 'reject') {
        throw Object.assign(new Error('Not before the Friday change window'), { name: 'ApprovalRejected' });
      }
      if (aws.tokens.isWaiting(taskToken)) {
        aws.tokens.expire(taskToken);
        throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      }
      return decided;
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
      executionArn: options.executionArn ?? EXECUTION_ARN,
      waitMilliseconds: 0,
      retryIntervalMilliseconds: 0,
    });
    return { ...execution, notifications: aws.notifications.map((notification) => notification.kind), aws, authorizer, fullLoadNoticedAt };
  } finally {
    await approvalPage?.close();
    aws.restore();
  }
}

/** What EventBridge sends a scheduled rule's target. */
const SCHEDULED_CHECK = { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', resources: [], detail: {} };

type PageHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The approval page's real handler on a local port, each request handled as the page's function (its role). */
async function serveApprovalPage(pageLogicalId: string): Promise<LocalHttpApi> {
  const page = (require('../../functions/approval-page/handler') as { handler: PageHandler }).handler;
  return serveHttpApi((event) => runAsCaller({ principal: pageLogicalId }, () => page(event)));
}

/** The latest approval e-mail's review link, pointed at the locally served page (same id, expiry and signature). */
function servedReviewLink(aws: LocalAws, page: LocalHttpApi): string {
  const request = [...aws.notifications].reverse().find((notification) => notification.kind === 'approval-request');
  const link = /Review and decide: (\S+)/.exec(request?.message ?? '')?.[1];
  if (!link) throw new Error('No approval e-mail with a review link was published');
  const served = new URL(link);
  return `${page.url}/review${served.search}`;
}
