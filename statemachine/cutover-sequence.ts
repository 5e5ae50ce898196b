import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Errors, type IChainable, IntegrationPattern, JsonPath, Pass, Result, TaskInput, Timeout, Wait, WaitTime, type State } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { sidesOf, type CutoverStep, type Direction, type LeftReadOnly } from '../functions/shared/cutover-vocabulary';
import { WorkflowError } from '../functions/shared/errors';
import type { NotificationKind } from '../functions/shared/notifications/messages';

/** What the workflow lends the cutover sequence: its failure path, notifications and retry policy. */
export interface WorkflowToolkit {
  /**
   * Names the failed step, notifies, releases the run lock and fails the execution. `leftReadOnly`: the
   * database this failure may leave read-only, which the notification warns about first.
   */
  failAt(stepName: string, leftReadOnly?: LeftReadOnly): IChainable;
  notification(name: string, kind: NotificationKind, details: Record<string, unknown>): LambdaInvoke;
  retryTransient(task: LambdaInvoke): void;
}

export interface CutoverSequenceProps {
  readonly cutover: IFunction;
  /** Where the sequence goes once the switch (and, for a migration, the reverse start) is done. */
  readonly afterSwitch: IChainable;
  /** Where a dry run goes once every check has reported. */
  readonly afterDryRun: IChainable;
}

/**
 * The lossless cutover as states, in either direction: Gate -> Freeze writes -> Prove catch-up -> Switch
 * (-> Start reverse replication). `to-source` (the rollback) builds the same steps with their own names
 * ("Roll back: ..."): the function reads `config.mode` and freezes the target, proves the old source caught up through the
 * reverse task and switches back. Each step reports to the notification topic. A failure in the catch-up
 * proof gives the frozen side its writes back before the failure is reported; a failed switch leaves the
 * source frozen (writes never land on a side the applications may be leaving) and says so.
 */
export function cutoverSequence(scope: Construct, toolkit: WorkflowToolkit, props: CutoverSequenceProps, direction: Direction): State {
  const forward = direction === 'to-target';
  const name = (state: string) => (forward ? state : `Roll back: ${state.charAt(0).toLowerCase()}${state.slice(1)}`);
  const frozenSide = sidesOf(direction).from;
  const invoke = (stateName: string, step: CutoverStep, payload: Record<string, unknown>, resultPath: string) => {
    const task = new LambdaInvoke(scope, stateName, {
      lambdaFunction: props.cutover,
      payload: TaskInput.fromObject({
        step,
        config: JsonPath.objectAt('$.config'),
        executionName: JsonPath.stringAt('$$.Execution.Name'),
        ...payload,
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    toolkit.retryTransient(task);
    return task;
  };
  const reported = (task: LambdaInvoke, stepName: string, resultField: string) =>
    task.next(toolkit.notification(`Report: ${stepName}`, 'cutover-step', { step: stepName, outcome: JsonPath.objectAt(`$.${resultField}`) }));
  const caught = (task: LambdaInvoke, stepName: string, leftReadOnly?: LeftReadOnly) => {
    task.addCatch(toolkit.failAt(stepName, leftReadOnly), { resultPath: '$.error' });
    return task;
  };

  // Gate: the independent data comparison's results are optional input from earlier steps (statemachine/
  // database-checks.ts): the recheck right before cutover when it ran, else the comparison after DMS validation.
  const gateName = name('Gate');
  const gate = caught(invoke(gateName, 'gate', { 'independentValidation.$': '$.gateInputs.independentValidation' }, '$.gate'), gateName);
  const takeResults = (stateName: string, path: string) =>
    new Pass(scope, name(stateName), { parameters: { 'independentValidation.$': path }, resultPath: '$.gateInputs' }).next(gate);
  const gateInputs = new Choice(scope, name('Independent validation ran?'))
    .when(Condition.isPresent('$.dataRecheck'), takeResults('Take the data recheck results', '$.dataRecheck'))
    .when(Condition.isPresent('$.dataComparison'), takeResults('Take the data comparison results', '$.dataComparison'))
    .otherwise(new Pass(scope, name('No independent validation results'), { result: Result.fromObject({ independentValidation: null }), resultPath: '$.gateInputs' }).next(gate));

  const freezeName = name(`Freeze ${frozenSide} writes`);
  const freeze = caught(invoke(freezeName, 'freeze', {}, '$.freeze'), freezeName);

  const catchUpName = name('Prove catch-up');
  const catchUp = invoke(catchUpName, 'catch-up', { freeze: JsonPath.objectAt('$.freeze') }, '$.catchUp');
  const unfreezeName = name(`Unfreeze ${frozenSide} writes`);
  const unfreeze = invoke(unfreezeName, 'unfreeze', { freeze: JsonPath.objectAt('$.freeze') }, '$.unfreeze');
  // A failed unfreeze is the failure to report: the database may still be read-only, and the operator must
  // hear that rather than the catch-up's "writable again".
  unfreeze.addCatch(toolkit.failAt(unfreezeName, { side: frozenSide, because: 'unfreeze-failed' }), { resultPath: '$.error' });
  catchUp.addCatch(unfreeze.next(toolkit.failAt(catchUpName)), { resultPath: '$.error' });

  const switchName = name('Switch');
  const switchOver = caught(
    invoke(switchName, 'switch', { freeze: JsonPath.objectAt('$.freeze'), 'target.$': '$.target' }, '$.switched'),
    switchName,
    { side: frozenSide, because: 'switch-failed' },
  );

  const switched = reported(switchOver, switchName, 'switched');
  const dryRun = new Choice(scope, name('Dry run?'))
    .when(
      Condition.booleanEquals('$.config.cutover.dryRun', true),
      toolkit
        .notification(name('Report dry run'), 'cutover-dry-run', {
          gate: JsonPath.objectAt('$.gate'),
          freeze: JsonPath.objectAt('$.freeze'),
          catchUp: JsonPath.objectAt('$.catchUp'),
        })
        .next(props.afterDryRun),
    )
    .otherwise(switched);

  if (forward) {
    const startReverseName = 'Start reverse replication';
    const startReverse = caught(
      invoke(startReverseName, 'start-reverse', { freeze: JsonPath.objectAt('$.freeze'), switched: JsonPath.objectAt('$.switched') }, '$.reverseReplication'),
      startReverseName,
    );
    switched.next(
      new Choice(scope, 'Keep the way back open?')
        .when(Condition.booleanEquals('$.config.rollback.enabled', true), reported(startReverse, startReverseName, 'reverseReplication').next(props.afterSwitch))
        .otherwise(props.afterSwitch),
    );
  } else {
    switched.next(props.afterSwitch);
  }

  reported(gate, gateName, 'gate').next(reported(freeze, freezeName, 'freeze')).next(reported(catchUp, catchUpName, 'catchUp')).next(dryRun);

  if (!forward) return gateInputs;
  // The way back is created and its endpoints tested before anything is frozen; DMS needs a minute or two.
  const prepareName = 'Prepare reverse replication';
  const prepare = caught(invoke(prepareName, 'prepare-way-back', {}, '$.reversePath'), prepareName);
  const checkName = 'Check reverse replication';
  const waitForReversePath = pollUntil(scope, toolkit, {
    name: 'reverse replication',
    check: caught(invoke(checkName, 'check-way-back', {}, '$.reversePath'), checkName),
    done: Condition.or(Condition.booleanEquals('$.reversePath.ready', true), Condition.booleanEquals('$.config.cutover.dryRun', true)),
    interval: Duration.seconds(20),
    maxChecks: 30,
    timeoutCause: 'DMS did not finish creating the reverse replication task or testing its endpoints within 10 minutes',
    next: gateInputs,
  });
  return new Choice(scope, 'Prepare a way back?')
    .when(Condition.booleanEquals('$.config.rollback.enabled', true), prepare.next(waitForReversePath))
    .otherwise(gateInputs);
}

export interface CompleteSequenceProps {
  readonly cutover: IFunction;
  readonly requestApproval: IFunction;
  readonly approvalTimeout: Duration;
  readonly afterComplete: IChainable;
  /** Where a rejected or expired approval goes: the way back stays open. */
  readonly notApproved: IChainable;
}

/**
 * `complete`: once the soak time after the cutover is over and a person approves, the reverse task is
 * stopped and deleted. The soak is checked before anyone is asked, and again when the task is removed.
 */
export function completeSequence(scope: Construct, toolkit: WorkflowToolkit, props: CompleteSequenceProps): State {
  const completeStep = (stateName: string, step: CutoverStep, resultPath: string) => {
    const task = new LambdaInvoke(scope, stateName, {
      lambdaFunction: props.cutover,
      payload: TaskInput.fromObject({ step, config: JsonPath.objectAt('$.config') }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    toolkit.retryTransient(task);
    return task;
  };
  const checkSoak = completeStep('Check the soak time is over', 'check-soak', '$.soak');
  checkSoak.addCatch(toolkit.failAt('Check the soak time is over'), { resultPath: '$.error' });

  const askName = 'Ask to end the way back';
  const ask = new LambdaInvoke(scope, askName, {
    lambdaFunction: props.requestApproval,
    integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: TaskInput.fromObject({ taskToken: JsonPath.taskToken, executionArn: JsonPath.executionId, config: JsonPath.objectAt('$.config') }),
    retryOnServiceExceptions: false,
    taskTimeout: Timeout.duration(props.approvalTimeout),
    resultPath: '$.approval',
  });
  toolkit.retryTransient(ask);
  ask.addCatch(props.notApproved, { errors: [Errors.TIMEOUT, WorkflowError.ApprovalRejected], resultPath: '$.error' });
  ask.addCatch(toolkit.failAt(askName), { resultPath: '$.error' });

  const removeName = 'End the way back';
  const remove = completeStep(removeName, 'complete', '$.complete');
  remove.addCatch(toolkit.failAt(removeName), { resultPath: '$.error' });
  // DMS deletes a task only once it has stopped: the step stops it, and the workflow calls it again.
  const waitForRemoval = pollUntil(scope, toolkit, {
    name: 'reverse task removal',
    check: remove,
    done: Condition.booleanEquals('$.complete.removed', true),
    interval: Duration.seconds(30),
    maxChecks: 20,
    timeoutCause: 'DMS did not stop and delete the reverse replication task within 10 minutes',
    next: toolkit
      .notification('Report: way back removed', 'cutover-step', { step: removeName, outcome: JsonPath.objectAt('$.complete') })
      .next(props.afterComplete),
  });
  checkSoak.next(ask).next(waitForRemoval);
  return checkSoak;
}

interface PollProps {
  /** Names the loop's states: "Count <name> checks", "<name> finished?", "Wait for <name>". */
  readonly name: string;
  readonly check: LambdaInvoke;
  readonly done: Condition;
  readonly interval: Duration;
  readonly maxChecks: number;
  readonly timeoutCause: string;
  readonly next: IChainable;
}

/**
 * Calls `check` until `done`, pausing in a Wait state between calls (no Lambda sleeps, no retry of a real
 * answer), and fails with ReversePathNotReady after `maxChecks`.
 */
function pollUntil(scope: Construct, toolkit: WorkflowToolkit, props: PollProps): IChainable {
  const countPath = `$.checks.${props.name.replace(/\W+/g, '_')}`;
  const start = new Pass(scope, `Start counting ${props.name} checks`, { result: Result.fromObject({ value: 0 }), resultPath: countPath });
  const count = new Pass(scope, `Count ${props.name} checks`, {
    parameters: { 'value.$': `States.MathAdd(${countPath}.value, 1)` },
    resultPath: countPath,
  });
  const timedOut = new Pass(scope, `${props.name.charAt(0).toUpperCase()}${props.name.slice(1)} timed out`, {
    parameters: { Error: WorkflowError.ReversePathNotReady, Cause: props.timeoutCause },
    resultPath: '$.error',
  }).next(toolkit.failAt(`Wait for ${props.name}`));
  const finished = new Choice(scope, `${props.name.charAt(0).toUpperCase()}${props.name.slice(1)} finished?`)
    .when(props.done, props.next)
    .when(Condition.numberGreaterThanEquals(`${countPath}.value`, props.maxChecks), timedOut)
    .otherwise(new Wait(scope, `Wait for ${props.name}`, { time: WaitTime.duration(props.interval) }).next(count).next(props.check));
  props.check.next(finished);
  return start.next(props.check);
}
