import { Duration, type IResolvable } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Chain,
  Choice,
  Condition,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  Pass,
  Result,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type INextable,
  type State,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { DatabaseSide, LeftReadOnly } from '../functions/shared/cutover-vocabulary';
import { WorkflowError, type WorkflowErrorName } from '../functions/shared/errors';
import { failureHeadline, type FailedStep, type NotificationKind } from '../functions/shared/notifications/messages';

/**
 * Errors worth retrying: Lambda's own service errors (the list CDK's LambdaInvoke retries by default, which
 * these retriers replace) and AWS throttling/5xx surfaced by our handlers.
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  WorkflowError.AwsServiceUnavailable,
];

/** The functions every part of the workflow reports through and releases the run lock with. */
export interface KitFunctions {
  readonly notify: IFunction;
  readonly runLock: IFunction;
}

export interface PollProps {
  /** Names the loop's states: "Wait for <name>", "<Name> finished?", "<Name> timed out". */
  readonly name: string;
  /** Names the counter's states: "Start counting <counted> checks", "Count <counted> checks". @default name */
  readonly counted?: string;
  /** Where the count is kept. @default `$.checks.<name>` */
  readonly countPath?: string;
  /** The first call, when it differs from the repeated one (it starts what `check` then looks at). @default check */
  readonly firstCheck?: LambdaInvoke;
  readonly check: LambdaInvoke;
  readonly done: Condition;
  readonly interval: Duration;
  readonly maxChecks: number;
  /** The error a timeout reports, as `$.error.Error`. */
  readonly errorName: WorkflowErrorName;
  readonly timeoutCause: string;
  /** Where a timeout goes. @default failAt("Wait for <name>") */
  readonly onTimeout?: IChainable;
}

export interface WaitForTokenProps {
  /** What the function needs besides the token, the execution and the config. */
  readonly payload?: Record<string, unknown>;
  readonly timeout: Duration;
  readonly resultPath: string;
}

/**
 * The building blocks of the workflow's states, shared by the runbook (definition.ts), the cutover sequence
 * and the database checks: Lambda steps with the same retry policy, one failure path (name the step, notify,
 * release the run lock, fail), notifications, counted polling loops and task-token waits.
 */
export class WorkflowKit {
  private readonly notifyFailure: IChainable;

  constructor(
    private readonly scope: Construct,
    private readonly functions: KitFunctions,
  ) {
    // The execution's own cause says first what the failure e-mail says first (a database left read-only, or
    // the one writable again), and that the e-mail never went out when SNS refused it: the console then holds
    // everything the operator must know.
    const migrationFailed = new Fail(scope, 'Migration failed', { errorPath: '$.error.Error', causePath: '$.failure.cause' });
    const notifyFailureName = 'Notify failure';
    const failureNotDelivered = undeliveredPath(notifyFailureName);
    const failureCause = (stateName: string, format: string, ...paths: string[]) =>
      new Pass(scope, stateName, { parameters: { 'cause.$': `States.Format('${format}', ${paths.join(', ')})` }, resultPath: '$.failure' }).next(migrationFailed);
    const describeFailure = new Choice(scope, 'Failure e-mail delivered?')
      .when(
        Condition.isPresent(failureNotDelivered),
        failureCause(
          'Say the failure was not e-mailed',
          '{}This failure was not e-mailed ({}): the notification topic refused it, so this execution is the only report.\n{}',
          '$.failedStep.causeHeadline',
          `${failureNotDelivered}.error`,
          '$.error.Cause',
        ),
      )
      .otherwise(failureCause('Describe the failure', '{}{}', '$.failedStep.causeHeadline', '$.error.Cause'));
    this.notifyFailure = this.notification(notifyFailureName, 'failure', {
      error: JsonPath.objectAt('$.error'),
      failedStep: JsonPath.objectAt('$.failedStep'),
    }).next(this.releaseLock('Release run lock after failure', describeFailure));
  }

  /** A Lambda call with transient retries and nothing else: the caller decides where its errors go. */
  invoke(name: string, lambdaFunction: IFunction, payload: Record<string, unknown>, resultPath?: string): LambdaInvoke {
    const task = new LambdaInvoke(this.scope, name, {
      lambdaFunction,
      payload: TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    this.retryTransient(task);
    return task;
  }

  /** A Lambda step whose failure is reported under its own name. */
  step(name: string, lambdaFunction: IFunction, payload: Record<string, unknown>, resultPath: string): LambdaInvoke {
    const task = this.invoke(name, lambdaFunction, payload, resultPath);
    task.addCatch(this.failAt(name), { resultPath: '$.error' });
    return task;
  }

  /**
   * Names the failed step in `$.failedStep`, notifies, releases the run lock and fails the execution with the
   * error in `$.error`. One state per step: `stateName` defaults to "<step> failed". `leftReadOnly`: the
   * database this failure may leave read-only, which the notification warns about first; `writableAgain`: the
   * frozen database the failure path gave its writes back, which the notification names instead.
   */
  failAt(stepName: string, options: { leftReadOnly?: LeftReadOnly; writableAgain?: DatabaseSide; stateName?: string } = {}): IChainable {
    const failedStep: FailedStep = {
      name: stepName,
      ...(options.leftReadOnly ? { leftReadOnly: options.leftReadOnly } : {}),
      ...(options.writableAgain ? { writableAgain: options.writableAgain } : {}),
      causeHeadline: '',
    };
    const headline = failureHeadline(failedStep);
    if (headline) failedStep.causeHeadline = `${headline}\n`;
    return new Pass(this.scope, options.stateName ?? `${stepName} failed`, { result: Result.fromObject(failedStep), resultPath: '$.failedStep' }).next(this.notifyFailure);
  }

  /**
   * A notification, best effort: a message that cannot be delivered (SNS throttling past the retries, a topic
   * whose KMS key refuses SNS) must never decide what happens to the databases. Transient errors are retried;
   * whatever still fails is recorded under `$.undeliveredNotifications.<state>` (the notification, its kind
   * and the error), which every later state and the execution's output carry, and the run goes on along the
   * same path: chain what follows onto the returned chain.
   */
  notification(name: string, kind: NotificationKind, details: Record<string, unknown> | IResolvable): Chain {
    const send = this.invoke(
      name,
      this.functions.notify,
      // The run's config goes along so the notify function can tell a wave's migration by its `wave` (an optional field no path here may name).
      { kind, migrationName: JsonPath.stringAt('$.config.migrationName'), executionArn: JsonPath.executionId, details, run: JsonPath.objectAt('$.config') },
      JsonPath.DISCARD,
    );
    const undelivered = undeliveredPath(name);
    const recordUndelivered = new Pass(this.scope, `${name} not delivered`, {
      parameters: { notification: name, kind, 'error.$': `${undelivered}.Error`, 'cause.$': `${undelivered}.Cause` },
      resultPath: undelivered,
    });
    send.addCatch(recordUndelivered, { resultPath: undelivered });
    return Chain.custom(send, [send, recordUndelivered], recordUndelivered);
  }

  retryTransient(task: LambdaInvoke): void {
    task.addRetry({
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(1),
      jitterStrategy: JitterType.FULL,
    });
  }

  /**
   * Releases the run lock (only this execution's; a refused run frees nothing), then `then`. A lock that cannot
   * be released must not turn a finished run into a failure or hide the failure being reported: the run ends
   * as it would have, and the next run takes the lock over (its holder is no longer running).
   */
  releaseLock(name: string, then: State): IChainable {
    const release = this.invoke(name, this.functions.runLock, this.lockPayload('release'), JsonPath.DISCARD);
    release.addCatch(then, { resultPath: JsonPath.DISCARD });
    return release.next(then);
  }

  /** Takes the run lock; a refused or failed take is reported like any failed step. */
  takeLock(name: string): LambdaInvoke {
    return this.step(name, this.functions.runLock, this.lockPayload('acquire'), '$.runLock');
  }

  /**
   * Calls `check` until `done`, pausing in a Wait state between calls (no Lambda sleeps, no retry of a real
   * answer), and fails with `errorName` after `maxChecks`. The chain goes on, once done, with whatever
   * follows the loop.
   */
  pollUntil(props: PollProps): Chain {
    const { scope } = this;
    const counted = props.counted ?? props.name;
    const countPath = props.countPath ?? `$.checks.${props.name.replace(/\W+/g, '_')}`;
    const title = `${props.name.charAt(0).toUpperCase()}${props.name.slice(1)}`;
    const start = new Pass(scope, `Start counting ${counted} checks`, { result: Result.fromObject({ value: 0 }), resultPath: countPath });
    const count = new Pass(scope, `Count ${counted} checks`, {
      parameters: { 'value.$': `States.MathAdd(${countPath}.value, 1)` },
      resultPath: countPath,
    });
    const timedOut = new Pass(scope, `${title} timed out`, {
      parameters: { Error: props.errorName, Cause: props.timeoutCause },
      resultPath: '$.error',
    }).next(props.onTimeout ?? this.failAt(`Wait for ${props.name}`));
    const finished = openChoice(new Choice(scope, `${title} finished?`), (choice, next) =>
      choice
        .when(props.done, next)
        .when(Condition.numberGreaterThanEquals(`${countPath}.value`, props.maxChecks), timedOut)
        .otherwise(new Wait(scope, `Wait for ${props.name}`, { time: WaitTime.duration(props.interval) }).next(count).next(props.check)),
    );
    const firstCheck = props.firstCheck ?? props.check;
    props.check.next(finished);
    if (firstCheck !== props.check) firstCheck.next(finished);
    start.next(firstCheck);
    return Chain.custom(start, finished.endStates, finished);
  }

  /**
   * Parks the workflow on a task token that the function hands to whoever completes it (a DMS event, a
   * person); the wait ends with States.Timeout after `timeout`.
   */
  waitForToken(name: string, lambdaFunction: IFunction, props: WaitForTokenProps): LambdaInvoke {
    const task = new LambdaInvoke(this.scope, name, {
      lambdaFunction,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        taskToken: JsonPath.taskToken,
        executionArn: JsonPath.executionId,
        config: JsonPath.objectAt('$.config'),
        ...props.payload,
      }),
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(props.timeout),
      resultPath: props.resultPath,
    });
    this.retryTransient(task);
    return task;
  }

  private lockPayload(action: 'acquire' | 'release'): Record<string, unknown> {
    return { action, migrationName: JsonPath.stringAt('$.config.migrationName'), executionArn: JsonPath.executionId };
  }
}

/**
 * Where a notification state records that it was not delivered: `$.undeliveredNotifications.reportGate` for
 * "Report: Gate" (a reference path names fields with letters and digits only).
 */
function undeliveredPath(notificationName: string): string {
  const [first = '', ...rest] = notificationName.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return `$.undeliveredNotifications.${first.toLowerCase()}${rest.map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1).toLowerCase()}`).join('')}`;
}

/**
 * A Choice that goes on with whatever follows it in the chain: `rules` gets that next step once the chain
 * names it and adds the Choice's branches, in order. A loop can so sit in a chain like any other step,
 * and the runbook reads top to bottom.
 */
export function openChoice(choice: Choice, rules: (choice: Choice, next: IChainable) => void): Chain {
  const thenNext: INextable = {
    next: (state: IChainable) => {
      rules(choice, state);
      return Chain.sequence(choice, state);
    },
  };
  return Chain.custom(choice, [thenNext], choice);
}

/** Chains the parts in order, leaving out those that are absent (steps of optional features). */
export function sequence(first: IChainable, ...rest: Array<IChainable | undefined>): Chain {
  return rest.reduce<Chain>((chain, part) => (part ? chain.next(part) : chain), Chain.start(first));
}
