import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  CustomState,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JsonPath,
  Map as MapState,
  Pass,
  Succeed,
  TaskInput,
  Timeout,
  type IChainable,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WorkflowError } from '../functions/shared/errors';
import { TRANSIENT_ERRORS } from './kit';

export interface WaveWorkflowProps {
  /** functions/wave: the wave's decisions between child executions (validate, assess, plan, record, summarize). */
  readonly wave: IFunction;
  /** functions/wave-milestones: the wave's approval request and its summary e-mail. */
  readonly milestones: IFunction;
  /** How long the wave's approval stays open. @default 24 hours */
  readonly approvalTimeout?: Duration;
}

/** The resource of a task that starts a child execution and waits for it, its output parsed as JSON (`:2`). */
export const START_CHILD_EXECUTION = 'arn:aws:states:::states:startExecution.sync:2';

/**
 * A wave: many migrations, one approval, one cutover window. Each migration runs as child executions of its
 * own stack's migration state machine, so neither the wave's history nor its payloads grow with what the
 * migrations do: prepare (the runbook up to "ready for cutover", a Map bounded by maxConcurrentMigrations,
 * one failure caught and reported), one approval for the migrations ready, then the window (in cutover order,
 * cutoverConcurrency at a time; a failure halts the rest unless the wave says otherwise) and a summary of where
 * each one is.
 * A rollback wave asks once and rolls the migrations back in reverse order.
 */
export class WaveWorkflow extends Construct {
  readonly definitionBody: DefinitionBody;

  constructor(scope: Construct, id: string, props: WaveWorkflowProps) {
    super(scope, id);
    const decide = (name: string, action: string, payload: Record<string, unknown>, resultPath: string | undefined, resultSelector?: Record<string, unknown>) => {
      const task = new LambdaInvoke(this, name, {
        lambdaFunction: props.wave,
        payload: TaskInput.fromObject({ action, ...payload }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
        resultSelector,
      });
      task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });
      return task;
    };
    const waveFields = { names: JsonPath.listAt('$.wave.names') };

    // The validated wave replaces the input: one copy of the migrations' inputs in the state, not two.
    const validate = decide('Validate the wave', 'validate', { input: JsonPath.objectAt('$'), executionName: JsonPath.stringAt('$$.Execution.Name') }, undefined, { 'wave.$': '$' });
    validate.addCatch(new Fail(this, 'Wave input invalid', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), { resultPath: '$.error' });

    // Preparation: each migration's own runbook up to "ready for cutover", as a child execution.
    const prepareChild = childExecution(this, 'Prepare the migration', {
      stateMachineArn: '$.migration.stateMachineArn',
      name: "States.Format('{}-prepare', $.migration.executionName)",
      input: 'States.JsonMerge($.migration.input, $.overrides, false)',
      // The evidence in counts, not per table: a hundred migrations' evidence stays far below 256 KiB.
      resultSelector: {
        progress: { 'fullLoadComplete.$': '$.Output.progress.fullLoadComplete', 'tables.$': '$.Output.progress.tables' },
        validation: { 'outcome.$': '$.Output.validation.outcome', 'tableCount.$': '$.Output.validation.tableCount', 'counts.$': '$.Output.validation.counts' },
      },
      resultPath: '$.prepared',
    });
    const ready = new Pass(this, 'Ready for cutover', {
      parameters: { 'index.$': '$.index', ready: true, 'progress.$': '$.prepared.progress', 'validation.$': '$.prepared.validation' },
    });
    const explainPreparation = decide('Explain the failed preparation', 'explain', { 'Error.$': '$.error.Error', 'Cause.$': '$.error.Cause' }, '$.explained');
    const notReady = new Pass(this, 'Not ready for cutover', { parameters: { 'index.$': '$.index', ready: false, 'error.$': '$.explained' } });
    prepareChild.addCatch(explainPreparation.next(notReady), { resultPath: '$.error' });
    const prepare = new MapState(this, 'Prepare the migrations', {
      itemsPath: '$.wave.migrations',
      maxConcurrencyPath: '$.wave.maxConcurrentMigrations',
      itemSelector: {
        'migration.$': '$$.Map.Item.Value',
        'index.$': '$$.Map.Item.Index',
        overrides: { mode: 'prepare', wave: { 'waveName.$': '$.wave.waveName', 'waveExecutionArn.$': '$$.Execution.Id' } },
      },
      resultPath: '$.preparation',
    });
    prepare.itemProcessor(prepareChild.next(ready));
    const assess = decide('Assess the preparation', 'assess', { ...waveFields, 'requireAll.$': '$.wave.requireAll', 'results.$': '$.preparation' }, '$.assessment');

    // The assessment holds what the rest needs of the preparation: the state keeps one copy of the evidence.
    const forgetPreparation = new Pass(this, 'Keep the assessment', { parameters: { 'wave.$': '$.wave', 'assessment.$': '$.assessment' } });

    // One approval for the wave: the approver approves all of it, a subset, or rejects it.
    const askName = 'Ask for the wave approval';
    const ask = new LambdaInvoke(this, askName, {
      lambdaFunction: props.milestones,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        milestone: 'approval-needed',
        taskToken: JsonPath.taskToken,
        executionArn: JsonPath.executionId,
        waveName: JsonPath.stringAt('$.wave.waveName'),
        mode: JsonPath.stringAt('$.wave.mode'),
        candidates: JsonPath.listAt('$.assessment.candidates'),
        notReady: JsonPath.listAt('$.assessment.notReady'),
      }),
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(props.approvalTimeout ?? Duration.hours(24)),
      resultPath: '$.approval',
    });
    ask.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });
    const nothingApproved = new Pass(this, 'Nothing approved', { parameters: { approvedMigrations: [], 'error.$': '$.error' }, resultPath: '$.approval' });
    ask.addCatch(nothingApproved, { errors: [Errors.TIMEOUT, WorkflowError.ApprovalRejected], resultPath: '$.error' });
    const nothingToAsk = new Pass(this, 'Nothing to ask about', { parameters: { approvedMigrations: [] }, resultPath: '$.approval' });
    const everyMigration = (name: string) =>
      new Pass(this, name, { parameters: { 'candidates.$': '$.wave.everyMigration', notReady: [] }, resultPath: '$.assessment' });

    // The window: the queue in groups of cutoverConcurrency (1: one child at a time), each group started
    // together and recorded once every child of it has ended, before the next group starts.
    const plan = decide('Plan the window', 'plan', {
      ...waveFields,
      'cutoverSequence.$': '$.wave.cutoverSequence',
      'rollingBack.$': '$.wave.rollingBack',
      'approved.$': '$.approval.approvedMigrations',
      'notReady.$': '$.assessment.notReady',
    }, '$.window');
    const takeNext = new Pass(this, 'Take the next group', {
      parameters: { 'group.$': 'States.ArrayGetItem(States.ArrayPartition($.window.queue, $.wave.cutoverConcurrency), 0)' },
      resultPath: '$.current',
    });
    const waveRun = { 'waveName.$': '$.wave.waveName', 'waveExecutionArn.$': '$$.Execution.Id' };
    const approval = { 'approvalId.$': '$.approval.approvalId', 'decidedBy.$': '$.approval.decidedBy', 'decidedAt.$': '$.approval.decidedAt' };
    const runChild = childExecution(this, 'Run the migration', {
      stateMachineArn: '$.migration.stateMachineArn',
      name: "States.Format('{}-{}', $.migration.executionName, $.run.step)",
      input: 'States.JsonMerge($.migration.input, $.run.overrides, false)',
      resultSelector: { 'status.$': '$.Status' },
      resultPath: '$.childEnd',
    });
    const childEnded = new Pass(this, 'Migration run ended', { parameters: { 'index.$': '$.index' } });
    const childFailed = new Pass(this, 'Migration run failed', { parameters: { 'index.$': '$.index', 'failure.$': '$.childError' } });
    runChild.addCatch(childFailed, { resultPath: '$.childError' });
    const runGroup = new MapState(this, 'Run the group', {
      itemsPath: '$.current.group',
      maxConcurrencyPath: '$.wave.cutoverConcurrency',
      itemSelector: {
        'index.$': '$$.Map.Item.Value',
        'migration.$': 'States.ArrayGetItem($.wave.migrations, $$.Map.Item.Value)',
        'run.$': '$.run',
      },
      resultPath: '$.groupEnds',
    });
    runGroup.itemProcessor(runChild.next(childEnded));
    const record = decide('Record the group’s end', 'record', {
      ...waveFields,
      'window.$': '$.window',
      'ends.$': '$.groupEnds',
      'rollingBack.$': '$.wave.rollingBack',
      'dryRun.$': '$.wave.dryRun',
      'stopOnFirstCutoverFailure.$': '$.wave.stopOnFirstCutoverFailure',
    }, '$.window');
    const summarize = decide('Summarize the wave', 'summarize', { ...waveFields, 'window.$': '$.window', 'rollingBack.$': '$.wave.rollingBack' }, '$.summary');
    const notifySummary = new LambdaInvoke(this, 'E-mail the wave summary', {
      lambdaFunction: props.milestones,
      payload: TaskInput.fromObject({
        milestone: 'summary',
        executionArn: JsonPath.executionId,
        waveName: JsonPath.stringAt('$.wave.waveName'),
        lines: JsonPath.listAt('$.summary.lines'),
        because: JsonPath.stringAt('$.summary.because'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: JsonPath.DISCARD,
    });
    notifySummary.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });
    const finished = new Choice(this, 'Every migration as asked?')
      .when(Condition.booleanEquals('$.summary.complete', true), new Succeed(this, 'Wave complete'))
      .otherwise(new Fail(this, 'Wave incomplete', { error: WorkflowError.WaveIncomplete, causePath: '$.summary.because' }));
    // The summary goes out even when SNS refuses it: the execution's own output and cause say the same.
    notifySummary.addCatch(finished, { resultPath: '$.undeliveredSummary' });
    const window = new Choice(this, 'Another migration in the window?')
      .when(Condition.isPresent('$.window.queue[0]'), takeNext.next(runGroup).next(record))
      .otherwise(summarize.next(notifySummary).next(finished));
    record.next(window);

    // What each child run is: the wave's cutover or rollback with the approval, or each migration's dry run.
    const runAs = (name: string, step: string, overrides: Record<string, unknown>) =>
      new Pass(this, name, { parameters: { step, overrides }, resultPath: '$.run' }).next(plan);
    const cutoverRun = runAs('Cut over with the wave’s approval', 'cutover', { mode: 'cutover', wave: { ...waveRun, approval } });
    const rollbackRun = runAs('Roll back with the wave’s approval', 'rollback', { mode: 'rollback', wave: { ...waveRun, approval } });
    const dryRun = runAs('Dry-run each cutover', 'dry-run', { mode: 'migrate', wave: waveRun });
    plan.next(window);

    const approved: IChainable = new Choice(this, 'Rolling the wave back?')
      .when(Condition.booleanEquals('$.wave.rollingBack', true), rollbackRun)
      .otherwise(cutoverRun);
    ask.next(approved);
    const nothingToRun = runAs('Nothing to run', 'none', {});
    nothingApproved.next(nothingToRun);
    nothingToAsk.next(nothingToRun);
    const afterAssessment = new Choice(this, 'Anything ready to approve?')
      .when(Condition.booleanEquals('$.assessment.proceed', true), ask)
      .otherwise(nothingToAsk);
    const start = new Choice(this, 'What does the wave do?')
      .when(Condition.booleanEquals('$.wave.rollingBack', true), everyMigration('Every migration rolls back').next(ask))
      .when(Condition.booleanEquals('$.wave.dryRun', true), everyMigration('Every migration dry-runs').next(new Pass(this, 'Approve every dry run', {
        parameters: { 'approvedMigrations.$': '$.wave.names' },
        resultPath: '$.approval',
      })).next(dryRun))
      .otherwise(prepare.next(assess).next(forgetPreparation).next(afterAssessment));
    this.definitionBody = DefinitionBody.fromChainable(validate.next(start));
  }
}

/**
 * A Task that starts an execution of the state machine the state's input names and waits for it to end
 * (`.sync:2`: the child's output arrives as JSON). A failed, timed-out or aborted child fails the task with
 * States.TaskFailed, its Cause the child's description. The parent's role needs states:StartExecution on the
 * child machine, DescribeExecution and StopExecution on its executions, and the managed EventBridge rule
 * Step Functions uses to follow them (infra/constructs/wave-orchestrator.ts).
 */
function childExecution(
  scope: Construct,
  name: string,
  props: { stateMachineArn: string; name: string; input: string; resultSelector: Record<string, unknown>; resultPath: string },
): CustomState {
  return new CustomState(scope, name, {
    stateJson: {
      Type: 'Task',
      Resource: START_CHILD_EXECUTION,
      Parameters: {
        'StateMachineArn.$': props.stateMachineArn,
        'Name.$': props.name,
        'Input.$': props.input,
      },
      ResultSelector: props.resultSelector,
      ResultPath: props.resultPath,
    },
  });
}
