import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Choice, Condition, DefinitionBody, Errors, JsonPath, Pass, Succeed, Wait, WaitTime } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WorkflowError } from '../functions/shared/errors';
import type { WorkflowPhase } from '../infra/phases';
import { completeSequence, cutoverSequence } from './cutover-sequence';
import { DatabaseCheckStates, type DatabaseCheckFunctions } from './database-checks';
import { openChoice, sequence, WorkflowKit } from './kit';

/** The functions the workflow calls, one per phase (infra/phases). */
export type MigrationWorkflowFunctions = Record<WorkflowPhase, IFunction>;

export interface MigrationWorkflowProps {
  readonly functions: MigrationWorkflowFunctions;
  /** Pause between connection-test checks. @default 20 seconds */
  readonly connectionCheckInterval?: Duration;
  /** Connection-test checks before giving up (DMS tests usually finish within a minute). @default 30 */
  readonly maxConnectionChecks?: number;
  /**
   * The safety net of the event-driven full-load wait: if no DMS event completes the wait within this time,
   * the workflow checks progress itself and parks again. @default 2 hours
   */
  readonly fullLoadSafetyNet?: Duration;
  /** Pause between DMS validation checks while validation is pending. @default 10 minutes */
  readonly validationCheckInterval?: Duration;
  /** How long the approval request stays open. @default 24 hours */
  readonly approvalTimeout?: Duration;
  /** Readiness and independent data comparison (statemachine/database-checks.ts). @default none: those steps are left out */
  readonly databaseChecks?: { functions: DatabaseCheckFunctions; plansBucket: IBucket };
}

/**
 * The migration runbook as a state machine. Read top to bottom, it is what an operator would do by hand:
 * validate, check the target, test the endpoints, start the task, wait for the full load, wait for DMS
 * validation, ask for approval, cut over. Every step reports failures to the notification topic by name.
 * The steps are declared first, each with its retries and catches; the runbook itself is the chain at the end.
 */
export class MigrationWorkflow extends Construct {
  readonly definitionBody: DefinitionBody;

  constructor(scope: Construct, id: string, props: MigrationWorkflowProps) {
    super(scope, id);
    const fn = props.functions;
    const approvalTimeout = props.approvalTimeout ?? Duration.hours(24);
    const kit = new WorkflowKit(this, fn);
    const config = { 'config.$': '$.config' };
    const databaseChecks = props.databaseChecks && new DatabaseCheckStates(this, kit, props.databaseChecks.functions, props.databaseChecks.plansBucket);

    // Validate input: a clear error before anything is touched. Invalid input has no usable migration name:
    // the failure report names the execution instead.
    const validateInput = new LambdaInvoke(this, 'Validate input', {
      lambdaFunction: fn.validateInput,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultSelector: { 'config.$': '$' },
    });
    kit.retryTransient(validateInput);
    const nameRunAfterExecution = new Pass(this, 'Name the run after the execution', {
      parameters: { 'migrationName.$': '$$.Execution.Name' },
      resultPath: '$.config',
    });
    validateInput.addCatch(nameRunAfterExecution.next(kit.failAt('Validate input')), { resultPath: '$.error' });

    // One run per migration: every way out releases the lock.
    const takeLock = kit.takeLock('Take the run lock');
    const endWithoutCutover = kit.releaseLock(
      'Release run lock',
      new Succeed(this, 'End without cutover', { comment: 'Replication keeps running; nothing was cut over.' }),
    );
    const dryRunComplete = kit.releaseLock(
      'Release run lock after dry run',
      new Succeed(this, 'Dry run complete', { comment: 'Every check ran; nothing was changed.' }),
    );

    // Target ready, endpoints reachable: DMS tests the endpoints in the background; the workflow looks again
    // until they have finished.
    const checkTarget = kit.step('Check target', fn.checkTarget, config, '$.target');
    const maxConnectionChecks = props.maxConnectionChecks ?? 30;
    const waitForConnectionTests = kit.pollUntil({
      name: 'connection tests',
      counted: 'connection',
      countPath: '$.connectionChecks',
      firstCheck: kit.step('Test connections', fn.testConnections, { ...config, startTests: true }, '$.connections'),
      check: kit.step('Check connection tests', fn.testConnections, { ...config, startTests: false }, '$.connections'),
      done: Condition.stringEquals('$.connections.status', 'successful'),
      interval: props.connectionCheckInterval ?? Duration.seconds(20),
      maxChecks: maxConnectionChecks,
      errorName: WorkflowError.ConnectionTestTimedOut,
      timeoutCause: `DMS connection tests did not finish within ${maxConnectionChecks} checks`,
      onTimeout: kit.failAt('Test connections', { stateName: 'Name connection test step' }),
    });

    // Start the task, never reloading the target unless asked to.
    const startTask = kit.step('Start task', fn.startTask, config, '$.start');
    const notifyStarted = kit.notification('Notify started', 'started', {
      start: JsonPath.objectAt('$.start'),
      ...(databaseChecks ? { readiness: JsonPath.objectAt('$.readiness') } : {}),
    });

    // Wait for the full load: parked on a task token that a DMS event completes, with a polling safety net:
    // if no event ends the wait in time, the workflow checks progress itself and parks again.
    const checkFullLoad = kit.step('Check full-load progress', fn.checkProgress, config, '$.progress');
    const waitForFullLoad = kit.waitForToken('Wait for full load', fn.awaitFullLoad, {
      timeout: props.fullLoadSafetyNet ?? Duration.hours(2),
      resultPath: '$.progress',
    });
    waitForFullLoad.addCatch(checkFullLoad, { errors: [Errors.TIMEOUT], resultPath: JsonPath.DISCARD });
    waitForFullLoad.addCatch(kit.failAt('Wait for full load'), { resultPath: '$.error' });
    const fullLoadComplete = openChoice(new Choice(this, 'Full load complete?'), (choice, next) =>
      choice.when(Condition.booleanEquals('$.progress.fullLoadComplete', true), next).otherwise(waitForFullLoad),
    );
    waitForFullLoad.next(fullLoadComplete);
    const notifyFullLoadComplete = kit.notification('Notify full load complete', 'full-load-complete', { progress: JsonPath.objectAt('$.progress') });

    // Wait for DMS validation.
    const startValidationWait = new Pass(this, 'Note when validation wait began', {
      parameters: { 'since.$': '$$.State.EnteredTime' },
      resultPath: '$.validationWait',
    });
    const checkValidation = kit.step('Check DMS validation', fn.checkValidation, { ...config, 'waitingSince.$': '$.validationWait.since' }, '$.validation');
    const waitBeforeValidationCheck = new Wait(this, 'Wait for DMS validation', {
      time: WaitTime.duration(props.validationCheckInterval ?? Duration.minutes(10)),
    });
    const validationFinished = openChoice(new Choice(this, 'DMS validation finished?'), (choice, next) =>
      choice.when(Condition.stringEquals('$.validation.outcome', 'pending'), waitBeforeValidationCheck.next(checkValidation)).otherwise(next),
    );
    const notifyValidation = kit.notification('Notify validation outcome', 'validation-outcome', { validation: JsonPath.objectAt('$.validation') });

    // A person approves the cutover; a rejection or no answer ends the run without cutover.
    const askForApproval = kit.waitForToken('Ask for cutover approval', fn.requestApproval, {
      payload: { progress: JsonPath.objectAt('$.progress'), validation: JsonPath.objectAt('$.validation'), run: JsonPath.objectAt('$') },
      timeout: approvalTimeout,
      resultPath: '$.approval',
    });
    // Whichever approval it was (the cutover's, a rollback's), a rejection or no answer changes nothing.
    const approvalFor = { mode: JsonPath.stringAt('$.config.mode') };
    const approvalTimedOut = kit.notification('Notify approval timed out', 'approval-timeout', approvalFor).next(endWithoutCutover);
    const approvalRejected = kit.notification('Notify approval rejected', 'approval-rejected', { error: JsonPath.objectAt('$.error'), ...approvalFor }).next(endWithoutCutover);
    const notApproved = (ask: LambdaInvoke, askName: string) => {
      ask.addCatch(approvalTimedOut, { errors: [Errors.TIMEOUT], resultPath: '$.error' });
      ask.addCatch(approvalRejected, { errors: [WorkflowError.ApprovalRejected], resultPath: '$.error' });
      ask.addCatch(kit.failAt(askName), { resultPath: '$.error' });
      return ask;
    };
    notApproved(askForApproval, 'Ask for cutover approval');
    // A wave prepares its migrations first: the run ends here, ready for cutover, with its evidence as output
    // and its run lock released; the wave asks one person for all of them, then starts each in mode "cutover".
    const readyForCutover = kit.releaseLock('Release run lock when ready', new Succeed(this, 'Ready for cutover', { comment: 'Prepared for a wave: replication keeps running.' }));
    const preparingOnly = openChoice(new Choice(this, 'Preparing for a wave?'), (choice, next) =>
      choice.when(Condition.stringEquals('$.config.mode', 'prepare'), readyForCutover).otherwise(next),
    );
    // The wave's approver approved this migration: their decision is the run's approval.
    const takeWaveApproval = (stateName: string) =>
      new Pass(this, stateName, {
        parameters: { decision: 'approved', 'decidedBy.$': '$.config.wave.approval.decidedBy', 'decidedAt.$': '$.config.wave.approval.decidedAt', 'wave.$': '$.config.wave' },
        resultPath: '$.approval',
      });
    const approvalIfRequired = new Choice(this, 'Approval required?')
      .when(Condition.booleanEquals('$.config.cutover.approvalRequired', true), askForApproval)
      .afterwards({ includeOtherwise: true });

    // Cut over without losing a write: gate, freeze, catch-up proof, switch, way back (statemachine/cutover-sequence.ts).
    const cutover = cutoverSequence(this, kit, {
      cutover: fn.cutover,
      afterSwitch: kit
        // The whole state: the approval and the way back are there only when the run had them.
        .notification('Notify cut over', 'cut-over', JsonPath.objectAt('$'))
        .next(kit.releaseLock('Release run lock after cutover', new Succeed(this, 'Migration complete'))),
      afterDryRun: dryRunComplete,
    }, 'to-target');

    // A rollback or a dry run looks up the target and goes straight to the cutover sequence; complete ends the
    // way back after the soak and an approval.
    const lookUpTarget = kit.step('Look up the target', fn.checkTarget, config, '$.target');
    const rollback = cutoverSequence(this, kit, {
      cutover: fn.cutover,
      afterSwitch: kit
        .notification('Notify rolled back', 'rolled-back', { cutover: JsonPath.objectAt('$.switched'), approval: JsonPath.objectAt('$.approval') })
        .next(kit.releaseLock('Release run lock after rollback', new Succeed(this, 'Rollback complete'))),
      afterDryRun: dryRunComplete,
    }, 'to-source');
    const complete = completeSequence(kit, {
      cutover: fn.cutover,
      requestApproval: fn.requestApproval,
      approvalTimeout,
      afterComplete: kit.releaseLock('Release run lock after complete', new Succeed(this, 'Way back removed')),
      notApproved: { timedOut: approvalTimedOut, rejected: approvalRejected },
    });
    // A rollback freezes the database the applications use now: a person approves it too, whatever
    // cutover.approvalRequired says (a drill's config left at "rollback" must not freeze production when
    // started), unless the input declares an emergency, which the output and the rollback e-mail then say.
    // A dry run changes nothing and asks nobody.
    const askForRollbackApprovalName = 'Ask for rollback approval';
    const askForRollbackApproval = notApproved(
      kit.waitForToken(askForRollbackApprovalName, fn.requestApproval, { payload: { run: JsonPath.objectAt('$') }, timeout: approvalTimeout, resultPath: '$.approval' }),
      askForRollbackApprovalName,
    );
    const skipRollbackApproval = new Pass(this, 'Skip the rollback approval (emergency)', {
      parameters: { decision: 'skipped', because: 'rollback.emergencySkipApproval is true in the execution input', 'at.$': '$$.State.EnteredTime' },
      resultPath: '$.approval',
    });
    const rollbackApproval = new Choice(this, 'Rollback approval needed?')
      .when(Condition.booleanEquals('$.config.cutover.dryRun', true), rollback)
      .when(Condition.isPresent('$.config.wave.approval'), takeWaveApproval('Take the wave’s rollback approval').next(rollback))
      .when(Condition.booleanEquals('$.config.rollback.emergencySkipApproval', true), skipRollbackApproval.next(rollback))
      .otherwise(askForRollbackApproval.next(rollback));
    // The data is compared again right before the switch when the input asks for it, whoever approved: in a
    // wave the approval may come hours after the migration was prepared.
    const recheck = databaseChecks?.recheckBeforeCutover();
    const checkedCutover = recheck ? sequence(recheck, cutover) : cutover;
    lookUpTarget.next(
      new Choice(this, 'Rolling back?')
        .when(Condition.stringEquals('$.config.mode', 'rollback'), rollbackApproval)
        .when(Condition.stringEquals('$.config.mode', 'cutover'), takeWaveApproval('Take the wave’s cutover approval').next(checkedCutover))
        .otherwise(cutover),
    );

    const runbook = sequence(
      checkTarget,
      waitForConnectionTests,
      databaseChecks?.readiness(),
      startTask,
      notifyStarted,
      checkFullLoad,
      fullLoadComplete,
      notifyFullLoadComplete,
      startValidationWait,
      checkValidation,
      validationFinished,
      notifyValidation,
      databaseChecks?.comparison(),
      preparingOnly,
      approvalIfRequired,
      checkedCutover,
    );
    const whatToRun = new Choice(this, 'What to run?')
      .when(Condition.stringEquals('$.config.mode', 'complete'), complete)
      .when(Condition.stringEquals('$.config.mode', 'rollback'), lookUpTarget)
      .when(Condition.stringEquals('$.config.mode', 'cutover'), lookUpTarget)
      .when(Condition.booleanEquals('$.config.cutover.dryRun', true), lookUpTarget)
      .otherwise(runbook);
    this.definitionBody = DefinitionBody.fromChainable(validateInput.next(takeLock).next(whatToRun));
  }
}
