import { ENVIRONMENT } from '../../functions/shared/environment';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { logger } from '../../functions/shared/logger';
import type { Phase } from '../../infra/phases';
import type { DmsEvent } from '../emulator/dms/definitions';
import { startAwsEmulator, type AwsEmulator } from '../emulator/server';
import type { PublishedMessage } from '../emulator/services';
import { StackAuthorizer, type CfnTemplate } from '../iam';
import { databaseNetworkOf } from '../emulator/network';
import { executeLocally, invokeAsLambda, invokedByStateMachine, loadPhaseHandlers, parkedOnTaskToken, type Handler, type LocalExecution, type LocalTask, type PhaseHandlers } from '../workflow/execute';
import type { SynthesizedWorkflow } from '../workflow/synthesize';
import { startApprovalDesk, type ApprovalDesk } from './approval-desk';
import { rehearsalAws, type RehearsalDatabases, type RehearsalInput } from './fixture';
import type { RehearsalOptions } from './options';
import type { ProgressView } from './progress';
import { REHEARSAL_CLIENT_ENVIRONMENT } from './second-terminal';
import type { RehearsalShutdown } from './shutdown';

/**
 * The stage the workflow runs on: the AWS emulator holding the rehearsal's resources, the handlers' Lambda
 * environment pointing at it, the approval desk, and a task function for every Task state. Task-token states
 * run their handler, then wait until a handler hands the token back through the emulator.
 */
export interface RehearsalStage {
  emulator: AwsEmulator;
  handlers: PhaseHandlers;
  tasks: Record<string, LocalTask>;
  /** What the emulator's callbacks reach, set while the migration's execution runs. */
  live: LiveHooks;
  /** Evaluates every call of the functions and the state machine against their roles (unless --without-iam). */
  authorizer?: StackAuthorizer;
  /**
   * One execution of the stack's state machine, recorded by the emulator, with the full-load watcher woken by
   * DMS events and by its schedule (an EventBridge rule in the stack, every minute while a wait is parked) while it runs.
   */
  execute(input: unknown, executionArn: string, onStateEntered?: (stateName: string) => void): Promise<LocalExecution>;
  /**
   * Gives process.env this stack's Lambda environment again. The SDK reads AWS_ENDPOINT_URL and the credentials
   * at a client's first request, not as it is built: in a process running several stacks (a wave), each
   * stack's handlers must first call AWS under their own stack's environment.
   */
  pointHere(): void;
}

export interface LiveHooks {
  /** Where progress lines go once the execution draws its view. */
  view?: ProgressView;
  /** The DMS event rule's target, while there is a workflow for DMS events to wake. */
  watcher?: Handler;
}

/** The full-load checks (an EventBridge rule in the stack, every minute while a wait is parked), compressed. */
const PROGRESS_CHECK_MILLIS = 1_000;

/** `afresh`: the stack's handlers are new module instances (a wave runs several stacks in one process). */
export async function startStage(
  options: RehearsalOptions,
  input: RehearsalInput,
  databases: RehearsalDatabases,
  synthesized: SynthesizedWorkflow,
  say: (line: string) => void,
  shutdown: RehearsalShutdown,
  { afresh = false } = {},
): Promise<RehearsalStage> {
  mkdirSync(path.dirname(path.resolve(options.outboxFile)), { recursive: true });
  writeFileSync(options.outboxFile, '');
  const signingKeyArn = synthesized.functionEnvironment[ENVIRONMENT.approvalKeySecretArn];
  const live: LiveHooks = {};
  const template = synthesized.template.toJSON() as CfnTemplate;
  const authorizer = options.enforceIam ? new StackAuthorizer(template, synthesized.environment, synthesized.physicalResources) : undefined;
  const network = databaseNetworkOf(template, synthesized.environment, synthesized.physicalResources, synthesized.vpcEndpoints);
  const emulator = await startAwsEmulator({
    ...rehearsalAws(options, input, databases, signingKeyArn),
    faults: options.faults,
    dynamoDbTables: [synthesized.functionEnvironment[ENVIRONMENT.tokenTableName]],
    eventRules: [synthesized.functionEnvironment[ENVIRONMENT.fullLoadCheckRuleName]],
    snsTopicArns: [...new Set([synthesized.functionEnvironment[ENVIRONMENT.topicArn], ...synthesized.topicSubscriptions.map((subscription) => subscription.topicArn)])],
    stateMachines: [{ stateMachineArn: stateMachineArnOf(synthesized), definition: synthesized.definition }],
    cdcLatencySeconds: options.cdcLatencySeconds,
    outboxFile: options.outboxFile,
    subscriptions: synthesized.topicSubscriptions,
    onPublish: (message) => {
      const line = message.attributes.kind === 'approval-code' ? `  ✉ to ${message.deliveredTo.join(', ') || 'nobody (no subscription accepts it)'}: ${message.subject}: ${codeIn(message.message)}` : `  ✉ ${message.subject}`;
      live.view?.say(line);
    },
    onDmsEvent: (event: DmsEvent) => {
      if (live.watcher) void invokeAsLambda(live.watcher, event).catch((error: Error) => live.view?.say(`  ! DMS event watcher failed: ${error.name}`));
    },
    ...(authorizer ? { enforce: { authorizer, network } } : {}),
  });
  shutdown.onStop(() => emulator.close());
  pointHandlersAt(emulator.url, synthesized.functionEnvironment, options.verbose);
  const desk: ApprovalDesk = await startApprovalDesk({
    autoApprove: options.autoApprove,
    approvers: input.approval?.approvers,
    emulatorUrl: emulator.url,
    tokenTableName: synthesized.functionEnvironment[ENVIRONMENT.tokenTableName],
    say: (line) => (live.view ? live.view.say(line) : say(line)),
  });
  shutdown.onStop(() => desk.close());
  const pointHere = () => {
    pointHandlersAt(emulator.url, synthesized.functionEnvironment, options.verbose);
    // The e-mail's review link leads to the approval page served here, not to the stack's API.
    process.env[ENVIRONMENT.approvalBaseUrl] = desk.reviewBaseUrl;
  };
  pointHere();

  // Loaded only now: the handlers read their environment when they load.
  const handlers = loadPhaseHandlers(Object.values(synthesized.taskPhases), synthesized.functionLogicalIds, { afresh });
  const parked = (phase: Phase, afterInvoke?: (result: unknown) => void): LocalTask => parkedOnTaskToken(emulator.tokens, phase, handlers(phase), afterInvoke);
  const tasks: Record<string, LocalTask> = {};
  for (const [stateName, phase] of Object.entries(synthesized.taskPhases)) {
    tasks[stateName] =
      phase === 'awaitFullLoad'
        ? parked(phase)
        : phase === 'requestApproval'
          ? parked(phase, (result) => {
              const request = result as { approvalId: string; expiresAt: string };
              desk.requested({ ...request, ...approvalEmailIn(emulator.messages, request.approvalId) });
            })
          : (taskInput) => invokeAsLambda(handlers(phase), taskInput);
  }
  const authorizedTasks = authorizer ? invokedByStateMachine(tasks, synthesized, authorizer) : tasks;
  const stateMachineArn = stateMachineArnOf(synthesized);
  const execute: RehearsalStage['execute'] = async (executionInput, executionArn, onStateEntered) => {
    live.watcher = handlers('fullLoadWatcher');
    const checkRule = synthesized.functionEnvironment[ENVIRONMENT.fullLoadCheckRuleName];
    const schedule = setInterval(() => {
      if (emulator.eventRules.get(checkRule) !== 'ENABLED') return;
      void invokeAsLambda(handlers('fullLoadWatcher'), { source: 'aws.events', 'detail-type': 'Scheduled Event' }).catch(() => undefined);
    }, PROGRESS_CHECK_MILLIS);
    shutdown.onStop(async () => clearInterval(schedule));
    try {
      return await executeLocally(synthesized.definition, authorizedTasks, executionInput, {
        executionArn,
        waitMilliseconds: options.waitMilliseconds,
        retryIntervalMilliseconds: 100,
        onEvent: emulator.executions.begin(stateMachineArn, executionArn, executionInput),
        onStateEntered,
      });
    } finally {
      clearInterval(schedule);
      // The workflow is over: later DMS events (the task stopping at cutover) have nobody to wake.
      live.watcher = undefined;
    }
  };
  return { emulator, handlers, tasks: authorizedTasks, live, authorizer, execute, pointHere };
}

/** The one-time code in an approval-code e-mail, as the rehearsal shows it in place of a mailbox. */
function codeIn(message: string): string {
  return /one-time approval code: (\d+)/.exec(message)?.[1] ?? '(no code in the message)';
}

/**
 * The review link and the subject (what is asked for: the cutover, a ROLLBACK, a wave) of the e-mail that asked
 * for approval `approvalId`: a migration's request, or a wave's milestone.
 */
export function approvalEmailIn(messages: PublishedMessage[], approvalId: string): { reviewUrl?: string; subject?: string } {
  const request = [...messages].reverse().find((message) => message.message.includes(approvalId));
  return { reviewUrl: /https?:\/\/\S+\/review\?\S+/.exec(request?.message ?? '')?.[0], subject: request?.subject };
}

/** The environment Lambda would give the handlers, plus the SDK's standard variables aimed at the emulator. */
export function pointHandlersAt(emulatorUrl: string, functionEnvironment: Record<string, string>, verbose: boolean): void {
  // A per-service variable (AWS_ENDPOINT_URL_DYNAMODB...) would win over AWS_ENDPOINT_URL and reach real AWS.
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_ENDPOINT_URL_')) delete process.env[name];
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const { NODE_OPTIONS: _runtimeOnly, ...variables } = functionEnvironment;
  Object.assign(process.env, variables, {
    AWS_ENDPOINT_URL: emulatorUrl,
    ...REHEARSAL_CLIENT_ENVIRONMENT,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: verbose ? 'INFO' : 'SILENT',
  });
  // The shared logger may exist already (the approval core the CLI shares loads it): set its level directly.
  logger.setLogLevel(verbose ? 'INFO' : 'SILENT');
}

/** The ARN the stack's state machine would have: its executions are named under it. */
export function stateMachineArnOf(synthesized: Pick<SynthesizedWorkflow, 'physicalResources' | 'stateMachineLogicalId'>): string {
  return synthesized.physicalResources[synthesized.stateMachineLogicalId].attributes.Arn;
}
