import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  Pass,
  Result,
  State,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { LeftReadOnly } from '../functions/shared/cutover-vocabulary';
import { WorkflowError } from '../functions/shared/errors';
import type { FailedStep, NotificationKind } from '../functions/shared/notifications/messages';
import { completeSequence, cutoverSequence, type WorkflowToolkit } from './cutover-sequence';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { DatabaseChecks, type DatabaseCheckFunctions } from './database-checks';

/** The functions the workflow calls, one per runbook step. */
export interface MigrationWorkflowFunctions {
  readonly validateInput: IFunction;
  readonly checkTarget: IFunction;
  readonly testConnections: IFunction;
  readonly startTask: IFunction;
  readonly checkProgress: IFunction;
  readonly awaitFullLoad: IFunction;
  readonly checkValidation: IFunction;
  readonly requestApproval: IFunction;
  readonly cutover: IFunction;
  readonly notify: IFunction;
  readonly runLock: IFunction;
}

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

/** Errors worth retrying: Lambda's own service errors and AWS throttling/5xx surfaced by our handlers. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  WorkflowError.AwsServiceUnavailable,
];

/**
 * The migration runbook as a state machine. Read top to bottom, it is what an operator would do by hand:
 * validate, check the target, test the endpoints, start the task, wait for the full load, wait for DMS
 * validation, ask for approval, cut over. Every step reports failures to the notification topic by name.
 */
export class MigrationWorkflow extends Construct {
  readonly definitionBody: DefinitionBody;

  constructor(scope: Construct, id: string, props: MigrationWorkflowProps) {
    super(scope, id);
    const fn = props.functions;
    const connectionCheckInterval = props.connectionCheckInterval ?? Duration.seconds(20);
    const maxConnectionChecks = props.maxConnectionChecks ?? 30;
    const fullLoadSafetyNet = props.fullLoadSafetyNet ?? Duration.hours(2);
    const validationCheckInterval = props.validationCheckInterval ?? Duration.minutes(10);

    // One run per migration: every way out releases the lock (only this execution's; a refused run frees nothing).
    // A lock that cannot be released must not turn a finished run into a failure or hide the failure being
    // reported: the run ends as it would have, and the next run takes the lock over (its holder is no longer running).
    const releaseLock = (name: string, then: State) => {
      const release = new LambdaInvoke(this, name, {
        lambdaFunction: fn.runLock,
        payload: TaskInput.fromObject({ action: 'release', migrationName: JsonPath.stringAt('$.config.migrationName'), executionArn: JsonPath.executionId }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath: JsonPath.DISCARD,
      });
      this.retryTransient(release);
      release.addCatch(then, { resultPath: JsonPath.DISCARD });
      return release.next(then);
    };
    const migrationFailed = new Fail(this, 'Migration failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const releaseAfterFailure = releaseLock('Release run lock after failure', migrationFailed);
    const notifyFailure = this.notification('Notify failure', fn.notify, 'failure', {
      error: JsonPath.objectAt('$.error'),
      failedStep: JsonPath.objectAt('$.failedStep'),
    }).next(releaseAfterFailure);

    /** A Lambda step with transient retries and a catch that names the step in the failure notification. */
    const step = (name: string, lambdaFunction: IFunction, payload: Record<string, unknown>, resultPath: string | null) => {
      const task = new LambdaInvoke(this, name, {
        lambdaFunction,
        payload: TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath: resultPath ?? JsonPath.DISCARD,
      });
      this.retryTransient(task);
      task.addCatch(this.recordFailedStep(name).next(notifyFailure), { resultPath: '$.error' });
      return task;
    };
    const config = { 'config.$': '$.config' };
    const databaseChecks =
      props.databaseChecks &&
      new DatabaseChecks(this, props.databaseChecks.functions, props.databaseChecks.plansBucket, {
        step,
        failurePath: (stepName) => this.recordFailedStep(stepName).next(notifyFailure),
        retryTransient: (task) => this.retryTransient(task),
      });

    // 1. Validate input: a clear error before anything is touched.
    const validateInput = new LambdaInvoke(this, 'Validate input', {
      lambdaFunction: fn.validateInput,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultSelector: { 'config.$': '$' },
    });
    this.retryTransient(validateInput);
    // Invalid input has no usable migration name: the failure report names the execution instead.
    const nameRunAfterExecution = new Pass(this, 'Name the run after the execution', {
      parameters: { 'migrationName.$': '$$.Execution.Name' },
      resultPath: '$.config',
    });
    validateInput.addCatch(nameRunAfterExecution.next(this.recordFailedStep('Validate input')).next(notifyFailure), {
      resultPath: '$.error',
    });

    // 2. Target ready, endpoints reachable.
    const checkTarget = step('Check target', fn.checkTarget, config, '$.target');
    const testConnections = step('Test connections', fn.testConnections, { ...config, startTests: true }, '$.connections');
    const checkConnectionTests = step(
      'Check connection tests',
      fn.testConnections,
      { ...config, startTests: false },
      '$.connections',
    );
    const countConnectionCheck = new Pass(this, 'Count connection checks', {
      parameters: { 'value.$': 'States.MathAdd($.connectionChecks.value, 1)' },
      resultPath: '$.connectionChecks',
    });
    const connectionTestsTimedOut = new Pass(this, 'Connection tests timed out', {
      parameters: {
        Error: WorkflowError.ConnectionTestTimedOut,
        Cause: `DMS connection tests did not finish within ${maxConnectionChecks} checks`,
      },
      resultPath: '$.error',
    })
      .next(new Pass(this, 'Name connection test step', { result: Result.fromObject({ name: 'Test connections' } satisfies FailedStep), resultPath: '$.failedStep' }))
      .next(notifyFailure);

    // 3. Start the task, never reloading the target unless asked to.
    const startTask = step('Start task', fn.startTask, config, '$.start');
    const notifyStarted = this.notification('Notify started', fn.notify, 'started', {
      start: JsonPath.objectAt('$.start'),
      ...(databaseChecks ? { readiness: JsonPath.objectAt('$.readiness') } : {}),
    });

    // 4. Wait for the full load: parked on a task token that a DMS event completes, with a polling safety net.
    const checkFullLoad = step('Check full-load progress', fn.checkProgress, config, '$.progress');
    const waitForFullLoad = new LambdaInvoke(this, 'Wait for full load', {
      lambdaFunction: fn.awaitFullLoad,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        taskToken: JsonPath.taskToken,
        executionArn: JsonPath.executionId,
        config: JsonPath.objectAt('$.config'),
      }),
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(fullLoadSafetyNet),
      resultPath: '$.progress',
    });
    this.retryTransient(waitForFullLoad);
    waitForFullLoad.addCatch(checkFullLoad, { errors: [Errors.TIMEOUT], resultPath: JsonPath.DISCARD });
    waitForFullLoad.addCatch(this.recordFailedStep('Wait for full load').next(notifyFailure), { resultPath: '$.error' });
    const notifyFullLoadComplete = this.notification('Notify full load complete', fn.notify, 'full-load-complete', {
      progress: JsonPath.objectAt('$.progress'),
    });

    // 5. Wait for DMS validation.
    const startValidationWait = new Pass(this, 'Note when validation wait began', {
      parameters: { 'since.$': '$$.State.EnteredTime' },
      resultPath: '$.validationWait',
    });
    const checkValidation = step(
      'Check DMS validation',
      fn.checkValidation,
      { ...config, 'waitingSince.$': '$.validationWait.since' },
      '$.validation',
    );
    const waitBeforeValidationCheck = new Wait(this, 'Wait for DMS validation', {
      time: WaitTime.duration(validationCheckInterval),
    });
    const notifyValidation = this.notification('Notify validation outcome', fn.notify, 'validation-outcome', {
      validation: JsonPath.objectAt('$.validation'),
    });

    // 6. A person approves the cutover.
    const endWithoutCutover = new Succeed(this, 'End without cutover', {
      comment: 'Replication keeps running; nothing was cut over.',
    });
    const releaseBeforeEnd = releaseLock('Release run lock', endWithoutCutover);
    const askForApproval = new LambdaInvoke(this, 'Ask for cutover approval', {
      lambdaFunction: fn.requestApproval,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        taskToken: JsonPath.taskToken,
        executionArn: JsonPath.executionId,
        config: JsonPath.objectAt('$.config'),
        progress: JsonPath.objectAt('$.progress'),
        validation: JsonPath.objectAt('$.validation'),
      }),
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(props.approvalTimeout ?? Duration.hours(24)),
      resultPath: '$.approval',
    });
    this.retryTransient(askForApproval);
    askForApproval.addCatch(
      this.notification('Notify approval timed out', fn.notify, 'approval-timeout', {}).next(releaseBeforeEnd),
      { errors: [Errors.TIMEOUT], resultPath: '$.error' },
    );
    askForApproval.addCatch(
      this.notification('Notify approval rejected', fn.notify, 'approval-rejected', {
        error: JsonPath.objectAt('$.error'),
      }).next(releaseBeforeEnd),
      { errors: [WorkflowError.ApprovalRejected], resultPath: '$.error' },
    );
    askForApproval.addCatch(this.recordFailedStep('Ask for cutover approval').next(notifyFailure), {
      resultPath: '$.error',
    });

    // 7. Cut over without losing a write: gate, freeze, catch-up proof, switch, way back (statemachine/cutover-sequence.ts).
    const notifyCutOver = this.notification('Notify cut over', fn.notify, 'cut-over', {
      cutover: JsonPath.objectAt('$.switched'),
    });
    const toolkit: WorkflowToolkit = {
      failAt: (stepName, leftReadOnly) => this.recordFailedStep(stepName, leftReadOnly).next(notifyFailure),
      notification: (name, kind, details) => this.notification(name, fn.notify, kind, details),
      retryTransient: (task) => this.retryTransient(task),
    };
    const dryRunComplete = releaseLock('Release run lock after dry run', new Succeed(this, 'Dry run complete', { comment: 'Every check ran; nothing was changed.' }));
    const cutover = cutoverSequence(this, toolkit, {
      cutover: fn.cutover,
      afterSwitch: notifyCutOver,
      afterDryRun: dryRunComplete,
    }, 'to-target');

    const fullLoadComplete = new Choice(this, 'Full load complete?')
      .when(Condition.booleanEquals('$.progress.fullLoadComplete', true), notifyFullLoadComplete)
      .otherwise(waitForFullLoad);
    waitForFullLoad.next(fullLoadComplete);

    const validationDone = new Choice(this, 'DMS validation finished?')
      .when(Condition.stringEquals('$.validation.outcome', 'pending'), waitBeforeValidationCheck.next(checkValidation))
      .otherwise(notifyValidation);

    const beforeCutover = databaseChecks?.recheckBeforeCutover(cutover) ?? cutover;
    const approvalNeeded = new Choice(this, 'Approval required?')
      .when(Condition.booleanEquals('$.config.cutover.approvalRequired', true), askForApproval.next(beforeCutover))
      .otherwise(beforeCutover);

    const connectionTestsDone = new Choice(this, 'Connection tests finished?')
      .when(Condition.stringEquals('$.connections.status', 'successful'), databaseChecks?.readiness(startTask) ?? startTask)
      .when(
        Condition.numberGreaterThanEquals('$.connectionChecks.value', maxConnectionChecks),
        connectionTestsTimedOut,
      )
      .otherwise(
        new Wait(this, 'Wait for connection tests', { time: WaitTime.duration(connectionCheckInterval) })
          .next(countConnectionCheck)
          .next(checkConnectionTests),
      );
    checkConnectionTests.next(connectionTestsDone);

    // The run lock, then the mode: a migration runs the runbook; a rollback or a dry run looks up the target
    // and goes straight to the cutover sequence; complete ends the way back after the soak and an approval.
    const takeLock = new LambdaInvoke(this, 'Take the run lock', {
      lambdaFunction: fn.runLock,
      payload: TaskInput.fromObject({ action: 'acquire', migrationName: JsonPath.stringAt('$.config.migrationName'), executionArn: JsonPath.executionId }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.runLock',
    });
    this.retryTransient(takeLock);
    takeLock.addCatch(this.recordFailedStep('Take the run lock').next(notifyFailure), { resultPath: '$.error' });
    const lookUpTarget = step('Look up the target', fn.checkTarget, config, '$.target');
    const rollback = cutoverSequence(this, toolkit, {
      cutover: fn.cutover,
      afterSwitch: this.notification('Notify rolled back', fn.notify, 'rolled-back', { cutover: JsonPath.objectAt('$.switched') })
        .next(releaseLock('Release run lock after rollback', new Succeed(this, 'Rollback complete'))),
      afterDryRun: dryRunComplete,
    }, 'to-source');
    const complete = completeSequence(this, toolkit, {
      cutover: fn.cutover,
      requestApproval: fn.requestApproval,
      approvalTimeout: props.approvalTimeout ?? Duration.hours(24),
      afterComplete: releaseLock('Release run lock after complete', new Succeed(this, 'Way back removed')),
      notApproved: releaseBeforeEnd,
    });
    const whatToRun = new Choice(this, 'What to run?')
      .when(Condition.stringEquals('$.config.mode', 'complete'), complete)
      .when(Condition.stringEquals('$.config.mode', 'rollback'), lookUpTarget)
      .when(Condition.booleanEquals('$.config.cutover.dryRun', true), lookUpTarget)
      .otherwise(checkTarget);
    lookUpTarget.next(
      new Choice(this, 'Rolling back?').when(Condition.stringEquals('$.config.mode', 'rollback'), rollback).otherwise(cutover),
    );

    const definition = validateInput
      .next(takeLock)
      .next(whatToRun);
    checkTarget
      .next(new Pass(this, 'Start counting connection checks', { result: Result.fromObject({ value: 0 }), resultPath: '$.connectionChecks' }))
      .next(testConnections)
      .next(connectionTestsDone);
    startTask.next(notifyStarted).next(checkFullLoad).next(fullLoadComplete);
    notifyFullLoadComplete.next(startValidationWait).next(checkValidation).next(validationDone);
    notifyValidation.next(databaseChecks?.comparison(approvalNeeded) ?? approvalNeeded);
    notifyCutOver.next(releaseLock('Release run lock after cutover', new Succeed(this, 'Migration complete')));

    this.definitionBody = DefinitionBody.fromChainable(definition);
  }

  /** A notification step. Failing to notify must not fail the migration, so its own errors are only retried. */
  private notification(name: string, notify: IFunction, kind: NotificationKind, details: Record<string, unknown>) {
    const task = new LambdaInvoke(this, name, {
      lambdaFunction: notify,
      payload: TaskInput.fromObject({
        kind,
        migrationName: JsonPath.stringAt('$.config.migrationName'),
        executionArn: JsonPath.executionId,
        details,
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: JsonPath.DISCARD,
    });
    this.retryTransient(task);
    return task;
  }

  private recordFailedStep(stepName: string, leftReadOnly?: LeftReadOnly): Pass {
    const failedStep: FailedStep = { name: stepName, ...(leftReadOnly ? { leftReadOnly } : {}) };
    return new Pass(this, `${stepName} failed`, { result: Result.fromObject(failedStep), resultPath: '$.failedStep' });
  }

  private retryTransient(task: LambdaInvoke): void {
    task.addRetry({
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(1),
      jitterStrategy: JitterType.FULL,
    });
  }
}
