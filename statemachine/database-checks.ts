import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DistributedMap,
  JsonPath,
  Map as InlineMap,
  Pass,
  Result,
  ResultWriterV2,
  S3JsonItemReader,
  StateMachineType,
  TaskInput,
  type IChainable,
  type State,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** The functions that talk to the source and target databases directly. */
export interface DatabaseCheckFunctions {
  readonly checkReadiness: IFunction;
  readonly planDataComparison: IFunction;
  readonly compareDataChunk: IFunction;
  readonly reportDataComparison: IFunction;
}

/** What the workflow lends these steps: its Lambda step factory, its failure path and its retry policy. */
export interface WorkflowSteps {
  step(name: string, lambdaFunction: IFunction, payload: Record<string, unknown>, resultPath: string | null): LambdaInvoke;
  failurePath(stepName: string): IChainable;
  retryTransient(task: LambdaInvoke): void;
}

/** The step a check continues with. */
type Continuation = State;

/**
 * The runbook steps that need the `database` block: readiness before the task starts, and the independent
 * data comparison after DMS validation and, if asked, again before cutover. Each is behind a Choice on
 * `$.config.database`, so an execution without direct database access takes exactly the old path.
 */
export class DatabaseChecks {
  constructor(
    private readonly scope: Construct,
    private readonly functions: DatabaseCheckFunctions,
    private readonly plansBucket: IBucket,
    private readonly steps: WorkflowSteps,
  ) {}

  /** Readiness, then `next`; the report lands in `$.readiness` for the "started" notification. */
  readiness(next: Continuation): IChainable {
    const check = this.steps.step('Check source and target readiness', this.functions.checkReadiness, { 'config.$': '$.config' }, '$.readiness');
    const skip = new Pass(this.scope, 'Skip readiness checks', { result: Result.fromObject({ outcome: 'not-checked' }), resultPath: '$.readiness' });
    return new Choice(this.scope, 'Database access for readiness?')
      .when(Condition.isPresent('$.config.database'), check.next(next))
      .otherwise(skip.next(next));
  }

  /** The comparison after DMS validation; its summary lands in `$.dataComparison`. */
  comparison(next: Continuation): IChainable {
    const compare = this.compareData('', '$.dataComparison', 'after-dms-validation', next);
    return new Choice(this.scope, 'Database access for data comparison?').when(Condition.isPresent('$.config.database'), compare).otherwise(next);
  }

  /** The same comparison right before cutover, when `independentValidation.recheckBeforeCutover` is true. */
  recheckBeforeCutover(next: Continuation): IChainable {
    const recheck = this.compareData(' before cutover', '$.dataRecheck', 'before-cutover', next);
    const flag = '$.config.independentValidation.recheckBeforeCutover';
    return new Choice(this.scope, 'Compare data again before cutover?')
      .when(Condition.and(Condition.isPresent('$.config.database'), Condition.isPresent(flag), Condition.booleanEquals(flag, true)), recheck)
      .otherwise(next);
  }

  /**
   * Plan -> compare every chunk in a Map -> report. A plan small enough to travel in the state runs an inline
   * Map; a larger one a Distributed Map that reads the chunk list from S3 and writes its results there, so no
   * state ever nears the 256 KB payload limit. Both Maps are bounded by `maxConcurrency` from the plan: each
   * running chunk holds a session on the source and one on the target.
   */
  private compareData(suffix: string, resultPath: string, runName: string, next: Continuation): IChainable {
    const { functions, steps, scope } = this;
    const plan = steps.step(`Plan data comparison${suffix}`, functions.planDataComparison, {
      'config.$': '$.config',
      'runId.$': `States.Format('{}-${runName}', $$.Execution.Name)`,
    }, resultPath);
    const itemSelector = { 'config.$': '$.config', 'chunk.$': '$$.Map.Item.Value' };
    const chunkStep = (name: string) => {
      const task = new LambdaInvoke(scope, name, {
        lambdaFunction: functions.compareDataChunk,
        payload: TaskInput.fromObject({ 'config.$': '$.config', 'chunk.$': '$.chunk' }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      });
      steps.retryTransient(task);
      return task;
    };
    const inline = new InlineMap(scope, `Compare chunks${suffix}`, {
      itemsPath: `${resultPath}.chunks`,
      itemSelector,
      maxConcurrencyPath: `${resultPath}.maxConcurrency`,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(chunkStep(`Compare chunk${suffix}`));
    const distributed = new DistributedMap(scope, `Compare chunks from S3${suffix}`, {
      itemReader: new S3JsonItemReader({ bucket: this.plansBucket, key: JsonPath.stringAt(`${resultPath}.chunksKey`) }),
      resultWriterV2: new ResultWriterV2({ bucket: this.plansBucket, prefix: 'map-results' }),
      itemSelector,
      maxConcurrencyPath: `${resultPath}.maxConcurrency`,
      // Standard child executions: a chunk's Lambda may run for minutes, longer than Express allows with retries.
      mapExecutionType: StateMachineType.STANDARD,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(chunkStep(`Compare chunk from S3${suffix}`));
    const failed = steps.failurePath(`Compare chunks${suffix}`);
    for (const map of [inline, distributed]) map.addCatch(failed, { resultPath: '$.error' });
    const report = steps.step(`Report data comparison${suffix}`, functions.reportDataComparison, {
      'config.$': '$.config',
      'runId.$': `${resultPath}.runId`,
      'tableCount.$': `${resultPath}.tableCount`,
    }, resultPath);
    report.next(next);
    inline.next(report);
    distributed.next(report);
    return plan.next(
      new Choice(scope, `Chunk list small enough to pass inline${suffix}?`)
        .when(Condition.booleanEquals(`${resultPath}.inline`, true), inline)
        .otherwise(distributed),
    );
  }
}
