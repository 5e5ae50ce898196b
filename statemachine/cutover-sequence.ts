import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Errors, type IChainable, JsonPath, Pass, Result, type State } from 'aws-cdk-lib/aws-stepfunctions';
import type { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { sidesOf, type CutoverStep, type Direction, type LeftReadOnly } from '../functions/shared/cutover-vocabulary';
import { WorkflowError } from '../functions/shared/errors';
import type { WorkflowKit } from './kit';

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
 * proof, or in the switch before the endpoint is published, gives the frozen side its writes back before the
 * failure is reported; a switch that fails after publishing leaves it frozen (writes never land on a side the
 * applications are leaving) and says so.
 */
export function cutoverSequence(scope: Construct, toolkit: WorkflowKit, props: CutoverSequenceProps, direction: Direction): State {
  const forward = direction === 'to-target';
  const name = (state: string) => (forward ? state : `Roll back: ${state.charAt(0).toLowerCase()}${state.slice(1)}`);
  const frozenSide = sidesOf(direction).from;
  const invoke = (stateName: string, step: CutoverStep, payload: Record<string, unknown>, resultPath: string) =>
    toolkit.invoke(stateName, props.cutover, { step, config: JsonPath.objectAt('$.config'), executionName: JsonPath.stringAt('$$.Execution.Name'), ...payload }, resultPath);
  const reported = (task: LambdaInvoke, stepName: string, step: CutoverStep, resultField: string) =>
    task.next(toolkit.notification(`Report: ${stepName}`, 'cutover-step', { step: stepName, cutoverStep: step, direction, outcome: JsonPath.objectAt(`$.${resultField}`) }));
  const caught = (task: LambdaInvoke, stepName: string, leftReadOnly?: LeftReadOnly) => {
    task.addCatch(toolkit.failAt(stepName, { leftReadOnly }), { resultPath: '$.error' });
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

  // Every way out after the freeze gives the frozen side its settings back, unless the endpoint already names the
  // other side. A failed unfreeze is then the failure to report: the database may still be read-only, and the
  // operator must hear that rather than "writable again".
  const unfreezeState = (stateName: string, payload: Record<string, unknown>) => {
    const unfreeze = invoke(stateName, 'unfreeze', { 'target.$': '$.target', ...payload }, '$.unfreeze');
    return (failure: IChainable, whenSwitched?: IChainable) => {
      if (whenSwitched) unfreeze.addCatch(whenSwitched, { errors: [WorkflowError.SwitchIncomplete], resultPath: '$.error' });
      unfreeze.addCatch(toolkit.failAt(stateName, { leftReadOnly: { side: frozenSide, because: 'unfreeze-failed' } }), { resultPath: '$.error' });
      return unfreeze.next(failure);
    };
  };

  // The freeze may fail after it froze (a timeout, a crash after SET GLOBAL): its failure path gives back the
  // settings the gate read, the same ones a retried freeze records as the settings from before.
  const freezeName = name(`Freeze ${frozenSide} writes`);
  const freeze = invoke(freezeName, 'freeze', { gate: JsonPath.objectAt('$.gate') }, '$.freeze');
  const unfreezeAfterFreeze = unfreezeState(name(`Unfreeze ${frozenSide} writes after the failed freeze`), { gate: JsonPath.objectAt('$.gate') });
  freeze.addCatch(unfreezeAfterFreeze(toolkit.failAt(freezeName, { writableAgain: frozenSide })), { resultPath: '$.error' });

  const catchUpName = name('Prove catch-up');
  const catchUp = invoke(catchUpName, 'catch-up', { freeze: JsonPath.objectAt('$.freeze') }, '$.catchUp');
  const unfreeze = unfreezeState(name(`Unfreeze ${frozenSide} writes`), { freeze: JsonPath.objectAt('$.freeze') });
  catchUp.addCatch(unfreeze(toolkit.failAt(catchUpName)), { resultPath: '$.error' });

  // A switch that fails before publishing the endpoint (a snapshot RDS refused, a task DMS would not stop)
  // has moved nobody: the frozen side gets its writes back, as after a failed catch-up, and the e-mail says it
  // is the writable one. SwitchIncomplete (the endpoint is out, a later part failed) keeps it frozen, and so
  // does the unfreeze when it finds the endpoint published (a switch that timed out after publishing).
  const switchName = name('Switch');
  const switchOver = invoke(switchName, 'switch', { freeze: JsonPath.objectAt('$.freeze'), 'target.$': '$.target' }, '$.switched');
  const switchedThenFailed = toolkit.failAt(switchName, { leftReadOnly: { side: frozenSide, because: 'switch-failed' } });
  switchOver.addCatch(switchedThenFailed, { errors: [WorkflowError.SwitchIncomplete], resultPath: '$.error' });
  const unfreezeAfterSwitch = unfreezeState(name(`Unfreeze ${frozenSide} writes after the failed switch`), { freeze: JsonPath.objectAt('$.freeze') });
  switchOver.addCatch(
    unfreezeAfterSwitch(toolkit.failAt(switchName, { writableAgain: frozenSide, stateName: `${switchName} failed before publishing` }), switchedThenFailed),
    { resultPath: '$.error' },
  );

  const switched = reported(switchOver, switchName, 'switch', 'switched');
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
    // After the switch: the old source stays read-only on purpose, which the failure says first.
    const startReverse = caught(
      invoke(startReverseName, 'start-reverse', { freeze: JsonPath.objectAt('$.freeze'), switched: JsonPath.objectAt('$.switched') }, '$.reverseReplication'),
      startReverseName,
      { side: frozenSide, because: 'switched' },
    );
    switched.next(
      new Choice(scope, 'Keep the way back open?')
        .when(Condition.booleanEquals('$.config.rollback.enabled', true), reported(startReverse, startReverseName, 'start-reverse', 'reverseReplication').next(props.afterSwitch))
        .otherwise(props.afterSwitch),
    );
  } else {
    switched.next(props.afterSwitch);
  }

  reported(gate, gateName, 'gate', 'gate').next(reported(freeze, freezeName, 'freeze', 'freeze')).next(reported(catchUp, catchUpName, 'catch-up', 'catchUp')).next(dryRun);

  if (!forward) return gateInputs;
  // The way back is created and its endpoints tested before anything is frozen; DMS needs a minute or two.
  const prepareName = 'Prepare reverse replication';
  const prepare = caught(invoke(prepareName, 'prepare-way-back', {}, '$.reversePath'), prepareName);
  const checkName = 'Check reverse replication';
  const waitForReversePath = toolkit.pollUntil({
    name: 'reverse replication',
    check: caught(invoke(checkName, 'check-way-back', {}, '$.reversePath'), checkName),
    done: Condition.or(Condition.booleanEquals('$.reversePath.ready', true), Condition.booleanEquals('$.config.cutover.dryRun', true)),
    interval: Duration.seconds(20),
    maxChecks: 30,
    errorName: WorkflowError.ReversePathNotReady,
    timeoutCause: 'DMS did not finish creating the reverse replication task or testing its endpoints within 10 minutes',
  }).next(gateInputs);
  return new Choice(scope, 'Prepare a way back?')
    .when(Condition.booleanEquals('$.config.rollback.enabled', true), prepare.next(waitForReversePath))
    .otherwise(gateInputs);
}

export interface CompleteSequenceProps {
  readonly cutover: IFunction;
  readonly requestApproval: IFunction;
  readonly approvalTimeout: Duration;
  readonly afterComplete: IChainable;
  /** Where an expired and a rejected approval go (each says so): the way back stays open. */
  readonly notApproved: { readonly timedOut: IChainable; readonly rejected: IChainable };
}

/**
 * `complete`: once the soak time after the cutover is over and a person approves, the reverse task is
 * stopped and deleted. The soak is checked before anyone is asked, and again when the task is removed.
 */
export function completeSequence(toolkit: WorkflowKit, props: CompleteSequenceProps): State {
  const checkSoak = toolkit.step('Check the soak time is over', props.cutover, { step: 'check-soak', config: JsonPath.objectAt('$.config') }, '$.soak');

  const askName = 'Ask to end the way back';
  const ask = toolkit.waitForToken(askName, props.requestApproval, { timeout: props.approvalTimeout, resultPath: '$.approval' });
  ask.addCatch(props.notApproved.timedOut, { errors: [Errors.TIMEOUT], resultPath: '$.error' });
  ask.addCatch(props.notApproved.rejected, { errors: [WorkflowError.ApprovalRejected], resultPath: '$.error' });
  ask.addCatch(toolkit.failAt(askName), { resultPath: '$.error' });

  const removeName = 'End the way back';
  const remove = toolkit.step(removeName, props.cutover, { step: 'complete', config: JsonPath.objectAt('$.config') }, '$.complete');
  // DMS deletes a task only once it has stopped: the step stops it, and the workflow calls it again.
  const waitForRemoval = toolkit.pollUntil({
    name: 'reverse task removal',
    check: remove,
    done: Condition.booleanEquals('$.complete.removed', true),
    interval: Duration.seconds(30),
    maxChecks: 20,
    errorName: WorkflowError.ReversePathNotReady,
    timeoutCause: 'DMS did not stop and delete the reverse replication task within 10 minutes',
  });
  checkSoak
    .next(ask)
    .next(waitForRemoval)
    .next(toolkit.notification('Report: way back removed', 'cutover-step', { step: removeName, cutoverStep: 'complete', direction: 'to-target', outcome: JsonPath.objectAt('$.complete') }))
    .next(props.afterComplete);
  return checkSoak;
}
