/**
 * A 100-migration wave over 7 days, as `npm run bench:workflow` reports it: the wave's own execution (its
 * transitions, its history events, its largest state payload) with every child execution run for real by the
 * local runner, and the largest child, a migration whose full load lasts 7 days. What the wave records does not
 * depend on how long its children run (each child is one Task state of the wave, however long it waits), so
 * the 100 children of the wave run short loads, and the 7-day child is run on its own. The children share one
 * stack's synthesized definition and handlers here (outside jest, one module registry); the wave test runs
 * each in its own stack.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { decideApproval } from '../functions/approval-page/decide';
import { checkProgress } from '../functions/shared/full-load-progress';
import { migrationInputSchema } from '../functions/shared/migration-input';
import { replicationOf } from '../functions/shared/replication';
import { synthesizeWave } from '../local/workflow/synthesize-wave';
import { historyEventCount, HISTORY_EVENT_LIMIT, stateTransitionCount } from '../test/support/history-events';
import { HAPPY_PATH, LocalAws } from '../test/support/local-aws';
import { PREPARED, runWave, stateMachineArnOf, waveMigrationInput } from '../test/support/run-wave';
import { simulateEventDriven } from '../test/support/simulated-migration';
import { DEPLOYMENT, synthesizeWorkflow } from '../test/support/synthesized-workflow';

const MIGRATIONS = 100;
/** The watcher checks a parked full load every minute (MigrationOrchestrator's progressCheckInterval default). */
const WATCHER_CHECKS_PER_HOUR = 60;

/** The cutover window's bound of the second run: the window in groups of this many. */
const GROUP_OF = 10;

export async function benchWave(): Promise<void> {
  const names = Array.from({ length: MIGRATIONS }, (_, index) => `Shop${String(index + 1).padStart(3, '0')}`);
  const synthesized = synthesizeWorkflow();
  const wave = synthesizeWave({ stackName: 'FleetWave', account: DEPLOYMENT.account, region: DEPLOYMENT.region, migrationStackNames: names });
  const runFleetWave = async (cutoverConcurrency: number) => {
    const input = {
      waveName: 'Fleet wave',
      // One at a time here: the children share one module registry's simulated AWS. The wave's history is the same
      // at any concurrency (each child is one Map iteration however the iterations overlap).
      maxConcurrentMigrations: 1,
      cutoverConcurrency,
      // The children share one stack, whose roles name its snapshots by its own migration's name: no snapshot here.
      migrations: names.map((name) => ({ stateMachineArn: stateMachineArnOf(name), input: { ...waveMigrationInput(name), cutover: { endpointParameterName: '/apps/orders/database-endpoint', snapshotBeforeCutover: false } } })),
    };
    const startedAt = Date.now();
    const run = await runWave(
      wave,
      new Map(names.map((name) => [name, synthesized])),
      {
        child: (_name, mode) => (mode === 'prepare' ? HAPPY_PATH : PREPARED),
        // The approver approves the whole wave, through the approval core as the CLI does.
        decide: async (approvalId) => {
          await decideApproval(
            { dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}) },
            { tokenTableName: wave.functionEnvironment.TOKEN_TABLE_NAME },
            { approvalId, decision: 'approve', decidedBy: 'bench', verifiedBy: 'aws-credentials' },
            new Date(),
          );
        },
      },
      input,
      { executionArn: `arn:aws:states:eu-west-1:123456789012:execution:FleetWave-wave:bench-${cutoverConcurrency}`, sharedHandlers: true },
    );
    const largestPayload = Math.max(
      JSON.stringify(input).length,
      ...run.events.flatMap((event) => [event.state?.input, event.state?.output].filter((value) => value !== undefined).map((value) => JSON.stringify(value).length)),
    );
    return { run, seconds: ((Date.now() - startedAt) / 1000).toFixed(0), largestPayload, parentEvents: historyEventCount(run.events, wave.definition) };
  };
  const { run, seconds, largestPayload, parentEvents } = await runFleetWave(1);
  const grouped = await runFleetWave(GROUP_OF);
  const cutOver = (run.output?.summary as { onTarget?: string[] } | undefined)?.onTarget?.length ?? 0;
  const childEvents = run.children.map(({ run: child }) => historyEventCount(child.events, synthesized.definition));
  const sevenDays = await simulateEventDriven(synthesized, 7 * 24);
  // What one watcher check asks DMS, counted on the simulated DMS: the task, then its table statistics.
  const aws = new LocalAws(HAPPY_PATH);
  let calls: string[];
  try {
    const config = migrationInputSchema.parse(DEPLOYMENT.migration);
    await checkProgress(replicationOf(aws.dms as never, config).forward);
    calls = aws.dms.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
  } finally {
    aws.restore();
  }
  const limit = (events: number) => `${events} (${((events / HISTORY_EVENT_LIMIT) * 100).toFixed(1)} % of ${HISTORY_EVENT_LIMIT.toLocaleString('en')})`;
  console.log(`
A ${MIGRATIONS}-migration wave (one approval, cutover window one at a time), executed
locally from the synthesized wave and migration definitions, every child execution run (${run.children.length} children, ${seconds} s):
  wave outcome:                          ${run.status}, ${cutOver} of ${MIGRATIONS} cut over${run.error ? ` (${run.error.Error}: ${String(run.error.Cause).slice(0, 300)})` : ''}
  wave state transitions:                ${stateTransitionCount(run.events)}
  wave history events:                   ${limit(parentEvents)}
  the same wave, window in groups of ${GROUP_OF}: ${grouped.run.status}, ${stateTransitionCount(grouped.run.events)} transitions, ${limit(grouped.parentEvents)} history events, largest payload ${(grouped.largestPayload / 1024).toFixed(1)} KiB
  largest wave payload (state in/out):   ${(largestPayload / 1024).toFixed(1)} KiB of 256 KiB
  largest child in the wave:             ${Math.max(...childEvents)} history events (children of 1-hour loads)
  largest child, a 7-day full load:      ${limit(sevenDays.historyEvents)}
  DMS calls per watcher check:           ${calls.length} (${calls.join(', ')})
  DMS calls per hour, ${MIGRATIONS} loads parked:  ${calls.length * WATCHER_CHECKS_PER_HOUR * MIGRATIONS} (${calls.length} x ${WATCHER_CHECKS_PER_HOUR} checks x ${MIGRATIONS} watchers)
  calls per wave status refresh:         1 DescribeReplicationTasks (replication-task-arn filter, up to 100 tasks a call),
                                         1 DescribeReplicationInstances (their instances), 1 GetMetricData (CDC latency, 2 of 500 queries a migration)`);
}
