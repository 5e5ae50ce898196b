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
  type Chain,
  type IChainable,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { DatabaseCheckPhase } from '../infra/phases';
import type { WorkflowKit } from './kit';

/** The functions that talk to the source and target databases directly. */
export type DatabaseCheckFunctions = Record<DatabaseCheckPhase, IFunction>;

/**
 * The runbook steps that need the `database` block: readiness before the task starts, and the independent
 * data comparison after DMS validation and, if asked, again before cutover. Each is behind a Choice on
 * `$.config.database`, so an execution without direct database access takes exactly the old path; each
 * returns a chain that goes on with whatever follows it in the runbook.
 */
export class DatabaseCheckStates {
  constructor(
    private readonly scope: Construct,
    private readonly kit: WorkflowKit,
    private readonly functions: DatabaseCheckFunctions,
    private readonly plansBucket: IBucket,
  ) {}

  /** Readiness; the report lands in `$.readiness` for the "started" notification. */
  readiness(): Chain {
    const check = this.kit.step('Check source and target readiness', this.functions.checkReadiness, { 'config.$': '$.config' }, '$.readiness');
    const skip = new Pass(this.scope, 'Skip readiness checks', { result: Result.fromObject({ outcome: 'not-checked' }), resultPath: '$.readiness' });
    return new Choice(this.scope, 'Database access for readiness?').when(Condition.isPresent('$.config.database'), check).otherwise(skip).afterwards();
  }

  /** The comparison after DMS validation; its summary lands in `$.dataComparison`. */
  comparison(): Chain {
    const compare = this.compareData('', '$.dataComparison', 'after-dms-validation');
    return new Choice(this.scope, 'Database access for data comparison?')
      .when(Condition.isPresent('$.config.database'), compare)
      .afterwards({ includeOtherwise: true });
  }

  /** The same comparison right before cutover, when `independentValidation.recheckBeforeCutover` is true. */
  recheckBeforeCutover(): Chain {
    const recheck = this.compareData(' before cutover', '$.dataRecheck', 'before-cutover');
    const flag = '$.config.independentValidation.recheckBeforeCutover';
    return new Choice(this.scope, 'Compare data again before cutover?')
      .when(Condition.and(Condition.isPresent('$.config.database'), Condition.isPresent(flag), Condition.booleanEquals(flag, true)), recheck)
      .afterwards({ includeOtherwise: true });
  }

  /**
   * Plan -> compare every chunk in a Map -> report. A plan small enough to travel in the state runs an inline
   * Map; a larger one a Distributed Map that reads the chunk list from S3 and writes its results there, so no
   * state ever nears the 256 KB payload limit. Both Maps are bounded by `maxConcurrency` from the plan: each
   * running chunk holds a session on the source and one on the target.
   */
  private compareData(suffix: string, resultPath: string, runName: string): IChainable {
    const { functions, kit, scope } = this;
    const plan = kit.step(`Plan data comparison${suffix}`, functions.planDataComparison, {
      'config.$': '$.config',
      'runId.$': `States.Format('{}-${runName}', $$.Execution.Name)`,
    }, resultPath);
    const itemSelector = { 'config.$': '$.config', 'chunk.$': '$$.Map.Item.Value' };
    const chunkStep = (name: string) => kit.invoke(name, functions.compareDataChunk, { 'config.$': '$.config', 'chunk.$': '$.chunk' });
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
    const failed = kit.failAt(`Compare chunks${suffix}`);
    for (const map of [inline, distributed]) map.addCatch(failed, { resultPath: '$.error' });
    const report = kit.step(`Report data comparison${suffix}`, functions.reportDataComparison, {
      'config.$': '$.config',
      'runId.$': `${resultPath}.runId`,
      'tableCount.$': `${resultPath}.tableCount`,
    }, resultPath);
    inline.next(report);
    distributed.next(report);
    return plan.next(
      new Choice(scope, `Chunk list small enough to pass inline${suffix}?`)
        .when(Condition.booleanEquals(`${resultPath}.inline`, true), inline)
        .otherwise(distributed),
    );
  }
}
