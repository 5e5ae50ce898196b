import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { HEARTBEAT_TABLE } from '../../functions/cutover/catch-up';
import { FREEZE_MARGIN_SECONDS, readReadOnlySettings } from '../../functions/cutover/write-freeze';
import type { MigrationInput } from '../../functions/shared/migration-input';
import { ENGINE_FACTS } from '../../functions/shared/replication';
import { connectMysql } from '../../functions/shared/mysql';
import type { ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { lambdaFunctionError } from '../../local/workflow/execute';
import {
  PARAMETER,
  REVERSE,
  SCHEMA,
  SOURCE_ENDPOINT,
  TARGET_ENDPOINT,
  afterCutover,
  appWrite,
  credentials,
  WAY_BACKS,
  cutoverInput,
  cutoverScenario,
  startCutoverServers,
  startReverseReplication,
  type CutoverServers,
} from '../support/cutover-rig';
import { SNS_KMS_REFUSES, type AwsOutage, type Scenario } from '../support/local-aws';
import { FAILURE_PATH, runWorkflow, type WorkflowRun, type WorkflowRunOptions } from '../support/run-workflow';
import type { EngineFixture } from '../support/engines';
import { synthesizeWorkflow } from '../support/synthesized-workflow';

/** The cutover sequence executed from the synthesized definition against two real MariaDB servers (test/support/cutover-rig.ts). */
const OTHER_EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:scheduled-start';

async function count(connection: Connection, table: string): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${SCHEMA}.${table}`);
  return Number(rows[0].n);
}

const failure = (result: WorkflowRun) => result.aws.notifications.find((published) => published.kind === 'failure');

const SNS_THROTTLED: AwsOutage = { service: 'sns', operation: 'Publish', error: 'throttling' };

/** Takes SNS down once `stateName` has done its work, for the rest of the run. */
const snsDownAfter = (stateName: string, outage: AwsOutage): WorkflowRunOptions => ({
  around: {
    [stateName]: (task, aws) => async (taskInput) => {
      const result = await task(taskInput);
      aws.outages.push(outage);
      return result;
    },
  },
});

const undelivered = (result: WorkflowRun) => Object.values((result.output?.undeliveredNotifications ?? {}) as Record<string, { notification: string; error: string }>);

/**
 * The cutover's paths on one replication engine: cutover.test.ts runs them on a task, cutover-serverless.test.ts
 * on a DMS Serverless replication (one file per engine: the handlers read their stack's environment as they
 * load). The way back is the engine's own (WAY_BACKS in test/support/cutover-rig.ts).
 */
export function cutoverPaths(fixture: EngineFixture): void {
  const wayBack = WAY_BACKS[fixture.engine];
  const input = (overrides: Partial<MigrationInput> = {}, cutover: Parameters<typeof cutoverInput>[1] = {}) => cutoverInput(overrides, cutover, fixture);
  // The stack deployed for these inputs: its roles grant the secrets, parameter and way back they name.
  const synthesized = synthesizeWorkflow({ ...fixture.deployment, migration: input({ rollback: REVERSE }) });
  let servers: CutoverServers;
  let source: ThrowawayMariadb;
  let sourceAdmin: Connection;
  let targetAdmin: Connection;

  const scenario = (changes: Partial<Scenario> = {}) => cutoverScenario(servers, { engine: fixture.engine, ...changes });

  beforeAll(async () => {
    servers = await startCutoverServers();
    ({ source, sourceAdmin, targetAdmin } = servers);
    await appWrite(source);
  });

  afterAll(async () => {
    await servers?.stop();
  });

  afterEach(async () => {
    await sourceAdmin.query('SET GLOBAL read_only = OFF');
    await targetAdmin.query('SET GLOBAL read_only = OFF');
    await targetAdmin.query('START SLAVE');
  });

  describe(`on ${fixture.name}, a notification that cannot be delivered decides nothing`, () => {
    it.each([
      ['the topic\'s KMS key refuses', SNS_KMS_REFUSES, 'KMSAccessDeniedException'],
      ['SNS throttles past the retries', SNS_THROTTLED, 'AwsServiceUnavailable'],
    ])('%s from the freeze on: the run still switches, releases the lock, and its output names every undelivered notification', async (_, outage, errorName) => {
      const result = await runWorkflow(synthesized, scenario(), input(), snsDownAfter('Freeze source writes', outage));
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(result.states.indexOf('Freeze source writes'))).toEqual([
        'Freeze source writes',
        'Report: Freeze source writes',
        'Report: Freeze source writes not delivered',
        'Prove catch-up',
        'Report: Prove catch-up',
        'Report: Prove catch-up not delivered',
        'Dry run?',
        'Switch',
        'Report: Switch',
        'Report: Switch not delivered',
        'Keep the way back open?',
        'Notify cut over',
        'Notify cut over not delivered',
        'Release run lock after cutover',
        'Migration complete',
      ]);
      expect(result.aws.parameters.get(PARAMETER)).toBe(TARGET_ENDPOINT);
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
      expect(unmarshall(result.aws.items.get('cutover#orders-to-aurora') ?? {})).toMatchObject({ endpoint: TARGET_ENDPOINT });
      expect(undelivered(result)).toEqual(
        ['Report: Freeze source writes', 'Report: Prove catch-up', 'Report: Switch', 'Notify cut over'].map((notification) =>
          expect.objectContaining({ notification, error: errorName, cause: expect.stringContaining(outage === SNS_KMS_REFUSES ? 'KMS key' : 'Rate exceeded') }),
        ),
      );
      expect(result.aws.notifications.map((published) => published.subject)).toContain('[DMS] Orders to Aurora: cutover: Gate');
      expect(result.aws.notifications).toHaveLength(result.notifications.indexOf('cutover-step') + 1);
    });

    it('with SNS down, a switch that fails after the freeze still gives the source its writes back, releases the lock and fails; the failure says its e-mail was not delivered', async () => {
      const result = await runWorkflow(synthesized, scenario({ snapshotRefused: 'InvalidDBClusterStateFault' }), input({}, { snapshotBeforeCutover: true }), snsDownAfter('Freeze source writes', SNS_KMS_REFUSES));
      expect(result.status).toBe('FAILED');
      expect(result.states.slice(result.states.indexOf('Switch'))).toEqual([
        'Switch',
        'Unfreeze source writes after the failed switch',
        'Switch failed before publishing',
        'Notify failure',
        'Notify failure not delivered',
        'Release run lock after failure',
        'Failure e-mail delivered?',
        'Say the failure was not e-mailed',
        'Migration failed',
      ]);
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'OFF' });
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
      expect(result.aws.parameters.size).toBe(0);
      expect(result.error?.Error).toBe('InvalidDBClusterStateFault');
      expect(String(result.error?.Cause)).toMatch(/^Writable now: the source database, and only it/);
      expect(String(result.error?.Cause)).toContain('This failure was not e-mailed (KMSAccessDeniedException)');
    });
  });

  describe(`lossless cutover on ${fixture.name}, executed locally against real MariaDB`, () => {
    it('freeze -> catch-up -> switch: every earlier write is on the target, the source stays read-only, the lock is released', async () => {
      const result = await runWorkflow(synthesized, scenario(), input());
      expect(result.status).toBe('SUCCEEDED');
      const sequence = result.states.slice(result.states.indexOf('Gate'));
      expect(sequence).toEqual([
        'Gate',
        'Report: Gate',
        'Freeze source writes',
        'Report: Freeze source writes',
        'Prove catch-up',
        'Report: Prove catch-up',
        'Dry run?',
        'Switch',
        'Report: Switch',
        'Keep the way back open?',
        'Notify cut over',
        'Release run lock after cutover',
        'Migration complete',
      ]);
      expect(result.aws.notifications.filter((published) => published.kind === 'cutover-step').map((published) => published.subject)).toEqual([
        '[DMS] Orders to Aurora: cutover: Gate',
        '[DMS] Orders to Aurora: cutover: Freeze source writes',
        '[DMS] Orders to Aurora: cutover: Prove catch-up',
        '[DMS] Orders to Aurora: cutover: Switch',
      ]);
      expect(result.output?.gate).toMatchObject({ passed: true, catchUp: 'marker', writeFreeze: 'read_only on the source' });
      expect(result.output?.freeze).toMatchObject({ side: 'source', frozen: true, freeze: { previous: { readOnly: 'OFF' }, superReadOnlyAvailable: false } });
      const { marker } = result.output?.catchUp as { marker: string };
      const [onTarget] = await targetAdmin.query<RowDataPacket[]>(`SELECT marker FROM ${SCHEMA}.${HEARTBEAT_TABLE} WHERE marker = ?`, [marker]);
      expect(onTarget).toHaveLength(1);
      expect(await count(targetAdmin, 'orders')).toBe(await count(sourceAdmin, 'orders'));
      expect(result.aws.parameters.get(PARAMETER)).toBe(TARGET_ENDPOINT);
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'ON' });
      await expect(appWrite(source)).rejects.toMatchObject({ code: 'ER_OPTION_PREVENTS_STATEMENT' });
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
      expect(unmarshall(result.aws.items.get('cutover#orders-to-aurora') ?? {})).toMatchObject({
        endpoint: TARGET_ENDPOINT,
        sourceReadOnlyBeforeFreeze: { readOnly: 'OFF' },
      });
      const messageOf = (kind: string, subject: string) => result.aws.notifications.find((published) => published.kind === kind && published.subject.endsWith(subject))?.message;
      expect(messageOf('cutover-step', 'Freeze source writes')).toMatch(/Applications cannot write to the source from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC until the switch/);
      expect(messageOf('cutover-step', 'Prove catch-up')).toContain(`marker ${marker}, written to ${SCHEMA}.${HEARTBEAT_TABLE} on the source at`);
      // The gate read the latency the cut-over e-mail reports: never "n/a".
      expect(messageOf('cut-over', 'cut over to the target')).toMatch(/CDC latency at the gate \([^)]+\): \d+ s reading the source, \d+ s applying to the target\./);
      expect(messageOf('cut-over', 'cut over to the target')).toContain('The old source stays read-only for applications');
    });

    it('a catch-up timeout unfreezes the source with its recorded values and switches nothing', async () => {
      await targetAdmin.query('STOP SLAVE');
      const result = await runWorkflow(synthesized, scenario(), input({}, { writeFreeze: { catchUpTimeoutSeconds: 5 } }));
      expect(result.status).toBe('FAILED');
      expect(result.states.slice(result.states.indexOf('Prove catch-up'))).toEqual([
        'Prove catch-up',
        'Unfreeze source writes',
        'Prove catch-up failed',
        ...FAILURE_PATH,
      ]);
      expect(failure(result)).toMatchObject({
        subject: '[DMS] Orders to Aurora: FAILED at Prove catch-up (CatchUpTimedOut)',
        message: expect.stringContaining('Source writes were restored (read_only=OFF); nothing was switched'),
      });
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'OFF' });
      await expect(appWrite(source)).resolves.toBeDefined();
      expect(result.aws.dmsActions).not.toContain(fixture.actions.stop);
      expect(result.aws.parameters.size).toBe(0);
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
    });

    it('a lock on the target heartbeat table cannot keep the source frozen past the catch-up timeout and its margin', async () => {
      // Once the gate has passed, another session locks the heartbeat table on the target: reading the marker
      // there blocks, as does the replication applying it. The lock is released only after twice the bound, so
      // a read without a time limit would keep the source frozen that long.
      const timeoutSeconds = 5;
      const boundMs = (timeoutSeconds + FREEZE_MARGIN_SECONDS) * 1000;
      const locker = await connectMysql(credentials(servers.target), 'locker');
      let unlock: NodeJS.Timeout | undefined;
      const lockOnceTheGatePassed = async ({ subject }: { subject: string }) => {
        if (!subject.endsWith('cutover: Gate')) return;
        await locker.query(`LOCK TABLES ${SCHEMA}.${HEARTBEAT_TABLE} WRITE`);
        unlock = setTimeout(() => void locker.query('UNLOCK TABLES'), 2 * boundMs);
      };
      const writes = watchApplicationWrites(source);
      try {
        const result = await runWorkflow(synthesized, scenario({ onNotification: lockOnceTheGatePassed }), input({}, { writeFreeze: { catchUpTimeoutSeconds: timeoutSeconds } }));
        expect(result.status).toBe('FAILED');
        expect(failure(result)).toMatchObject({ subject: '[DMS] Orders to Aurora: FAILED at Prove catch-up (CatchUpTimedOut)' });
        const freeze = stateOutput(result, 'Freeze source writes').freeze as { freeze: { requestedAt: string } };
        const writableAgainAt = await writes.writableAgain();
        expect(writableAgainAt - Date.parse(freeze.freeze.requestedAt)).toBeLessThanOrEqual(boundMs);
        expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'OFF' });
        expect(result.aws.parameters.size).toBe(0);
      } finally {
        await writes.stop();
        clearTimeout(unlock);
        await locker.end();
      }
    });

    it('a snapshot RDS refuses fails the switch before anything moved: the source gets its writes back and the e-mail says it is the writable side', async () => {
      const result = await runWorkflow(synthesized, scenario({ snapshotRefused: 'InvalidDBClusterStateFault' }), input({}, { snapshotBeforeCutover: true }));
      expect(result.status).toBe('FAILED');
      expect(result.states.slice(result.states.indexOf('Switch'))).toEqual([
        'Switch',
        'Unfreeze source writes after the failed switch',
        'Switch failed before publishing',
        ...FAILURE_PATH,
      ]);
      expect(failure(result)).toMatchObject({
        subject: '[DMS] Orders to Aurora: FAILED at Switch (InvalidDBClusterStateFault)',
        message: expect.stringContaining('Writable now: the source database, and only it: the failure came before the new endpoint was published'),
      });
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'OFF' });
      await expect(appWrite(source)).resolves.toBeDefined();
      expect(result.aws.parameters.size).toBe(0);
      expect(result.aws.dmsActions).not.toContain(fixture.actions.stop);
    });

    it('a freeze retried after it froze (Lambda lost the answer) still gives the source back the settings the gate read', async () => {
      let attempts = 0;
      const result = await runWorkflow(synthesized, scenario(), input(), {
        around: {
          'Freeze source writes': (task) => async (taskInput) => {
            const frozen = await task(taskInput);
            if (++attempts > 1) return frozen;
            throw Object.assign(new Error('Lambda lost the response'), { name: 'Lambda.ServiceException' });
          },
          Switch: () => async () => {
            throw lambdaFunctionError('TaskInUnexpectedState', 'DMS would not stop the task');
          },
        },
      });
      expect(result.retries).toEqual([{ state: 'Freeze source writes', error: 'Lambda.ServiceException' }]);
      expect(result.status).toBe('FAILED');
      expect(result.states).toContain('Unfreeze source writes after the failed switch');
      expect(result.output).toBeUndefined();
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'OFF' });
      await expect(appWrite(source)).resolves.toBeDefined();
    });

    it.each([
      ['Unfreeze source writes', 'Prove catch-up', 'source'],
      ['Roll back: unfreeze target writes', 'Roll back: prove catch-up', 'target'],
    ])('a failed %s is itself the reported failure (the database may still be read-only), not the catch-up', (unfreeze, catchUp, side) => {
      const states = synthesized.definition.States;
      const handler = states[unfreeze].Catch as Array<{ Next: string; ResultPath: string }>;
      expect(handler).toEqual([expect.objectContaining({ Next: `${unfreeze} failed`, ResultPath: '$.error' })]);
      expect(states[`${unfreeze} failed`]).toMatchObject({
        Type: 'Pass',
        Result: { name: unfreeze, leftReadOnly: { side, because: 'unfreeze-failed' } },
        ResultPath: '$.failedStep',
        Next: 'Notify failure',
      });
      expect((states[catchUp].Catch as Array<{ Next: string }>)[0].Next).toBe(unfreeze);
    });

    it.each([
      ['Switch', 'source'],
      ['Roll back: switch', 'target'],
      ['Gate', 'none'],
      ['Prove catch-up', 'none'],
    ])('a failed %s records which database it may leave read-only: %s', (step, side) => {
      const failed = synthesized.definition.States[`${step} failed`];
      expect(failed).toMatchObject({ Type: 'Pass', ResultPath: '$.failedStep', Next: 'Notify failure' });
      expect(failed.Result).toEqual(
        side === 'none'
          ? { name: step, causeHeadline: '' }
          : { name: step, leftReadOnly: { side, because: 'switch-failed' }, causeHeadline: expect.stringMatching(new RegExp(`^WARNING: The ${side} database is still read-only \\(frozen for the switch\\).*\\n$`)) },
      );
    });

    it('a dry run runs every check, reports what would happen, and changes nothing', async () => {
      const heartbeatRows = await count(sourceAdmin, HEARTBEAT_TABLE);
      // Straight to the cutover, as with a task whose full load ended long ago: every table is completed.
      const result = await runWorkflow(synthesized, scenario({ initialStatus: 'running', prepare: (aws) => aws.advanceFullLoad(100) }), input({}, { dryRun: true }));
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(0, 4)).toEqual(['Validate input', 'Take the run lock', 'What to run?', 'Look up the target']);
      expect(result.states.slice(-3)).toEqual(['Report dry run', 'Release run lock after dry run', 'Dry run complete']);
      expect(result.states).not.toContain('Switch');
      expect(result.output?.freeze).toMatchObject({ frozen: false, skipped: 'dry run', preview: { current: { readOnly: 'OFF' }, sessionsHoldingWrites: [] } });
      const report = result.aws.notifications.find((published) => published.kind === 'cutover-dry-run');
      expect(report).toMatchObject({ subject: '[DMS] Orders to Aurora: cutover dry run: ready', message: expect.stringContaining('Every cutover check passed') });
      expect(result.aws.dmsActions).toEqual([]);
      expect(result.aws.parameters.size).toBe(0);
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'OFF' });
      expect(await count(sourceAdmin, HEARTBEAT_TABLE)).toBe(heartbeatRows);
      expect([...result.aws.items.keys()]).toEqual([]);
    });

    it('the gate refuses with every reason and freezes nothing when the heartbeat table is not replicated', async () => {
      const result = await runWorkflow(synthesized, scenario({ tableMappings: JSON.stringify({ rules: [] }) }), input());
      expect(result.status).toBe('FAILED');
      expect(result.states).not.toContain('Freeze source writes');
      expect(failure(result)).toMatchObject({
        subject: '[DMS] Orders to Aurora: FAILED at Gate (CutoverPreconditionFailed)',
        message: expect.stringContaining(`the ${ENGINE_FACTS[fixture.engine].resourceNoun}'s table mappings do not select orders.dms_orchestrator_heartbeat`),
      });
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'OFF' });
      expect(result.aws.dmsActions).not.toContain(fixture.actions.stop);
    });

    it('a second execution is refused by the lock, names the holder, and leaves the holder its lock', async () => {
      const heldLock = marshall({ pk: 'lock#orders-to-aurora', holder: OTHER_EXECUTION, migrationName: 'Orders to Aurora', acquiredAt: '2026-11-24T23:00:00.000Z' });
      const result = await runWorkflow(synthesized, scenario({ prepare: (aws) => aws.items.set('lock#orders-to-aurora', heldLock) }), input());
      expect(result.status).toBe('FAILED');
      expect(result.states).toEqual(['Validate input', 'Take the run lock', 'Take the run lock failed', ...FAILURE_PATH]);
      expect(failure(result)).toMatchObject({
        subject: '[DMS] Orders to Aurora: FAILED at Take the run lock (MigrationLocked)',
        message: expect.stringContaining(`Another execution is already running this migration: ${OTHER_EXECUTION}`),
      });
      expect(result.aws.items.get('lock#orders-to-aurora')).toEqual(heldLock);
      expect(result.aws.dmsActions).toEqual([]);
    });

    it('with a way back: prepares and tests the reverse replication before the freeze, starts it at the target binlog position read at the switch', async () => {
      const result = await runWorkflow(synthesized, scenario({ prepare: (aws) => wayBack.fake(aws) }), input({ rollback: REVERSE }));
      expect(result.status).toBe('SUCCEEDED');
      const prepared = result.states.indexOf('Prepare reverse replication');
      expect(result.states.slice(prepared, prepared + 4)).toEqual(['Prepare reverse replication', 'Start counting reverse replication checks', 'Check reverse replication', 'Reverse replication finished?']);
      expect(result.states.indexOf('Freeze source writes')).toBeGreaterThan(prepared);
      expect(result.states.slice(-6)).toEqual(['Keep the way back open?', 'Start reverse replication', 'Report: Start reverse replication', 'Notify cut over', 'Release run lock after cutover', 'Migration complete']);
      const { binlogPosition } = result.output?.switched as { binlogPosition: string };
      expect(binlogPosition).toMatch(/^binlog\.\d{6}:\d+$/);
      expect(result.aws.dmsActions.filter((action) => action.includes('reverse') || action.startsWith('Create'))).toEqual([wayBack.actions.create, wayBack.actions.start(binlogPosition)]);
      expect(result.aws.dmsActions.indexOf(fixture.actions.stop)).toBeLessThan(result.aws.dmsActions.indexOf(wayBack.actions.start(binlogPosition)));
      expect(unmarshall(result.aws.items.get('cutover#orders-to-aurora') ?? {})).toMatchObject({ reverseStartPosition: binlogPosition });
      // MariaDB has no super_read_only: the source stays read_only, which the reverse task's privileged user passes.
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'ON' });
    });

    it('complete: after the soak and an approval, stops the way back, waits until DMS lets it go, then deletes it', async () => {
      const result = await runWorkflow(
        synthesized,
        scenario({ prepare: (aws) => afterCutover(aws, undefined, fixture.engine) }),
        input({ mode: 'complete', rollback: { ...REVERSE, soakMinutes: 60 } }),
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(2)).toEqual([
        'What to run?',
        'Check the soak time is over',
        'Ask to end the way back',
        'Start counting reverse task removal checks',
        'End the way back',
        'Reverse task removal finished?',
        ...Array.from({ length: wayBack.removalCalls - 1 }, () => ['Wait for reverse task removal', 'Count reverse task removal checks', 'End the way back', 'Reverse task removal finished?']).flat(),
        'Report: way back removed',
        'Release run lock after complete',
        'Way back removed',
      ]);
      expect(result.aws.dmsActions).toEqual([wayBack.actions.stop, wayBack.actions.delete]);
      expect(unmarshall(result.aws.items.get('cutover#orders-to-aurora') ?? {})).toMatchObject({ completedAt: expect.any(String) });
    });

    it('complete: a rejected approval keeps the way back, removes nothing and says so', async () => {
      const result = await runWorkflow(
        synthesized,
        scenario({ approval: 'reject', prepare: (aws) => afterCutover(aws, undefined, fixture.engine) }),
        input({ mode: 'complete', rollback: { ...REVERSE, soakMinutes: 60 } }),
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(result.states.indexOf('Ask to end the way back'))).toEqual([
        'Ask to end the way back',
        'Notify approval rejected',
        'Release run lock',
        'End without cutover',
      ]);
      expect(result.aws.dmsActions).toEqual([]);
      expect(result.aws.notifications.at(-1)).toMatchObject({ kind: 'approval-rejected', message: expect.stringContaining('The way back stays') });
    });

    it('complete refuses before the soak time is over, without asking anyone', async () => {
      const result = await runWorkflow(synthesized, scenario({ prepare: (aws) => afterCutover(aws, undefined, fixture.engine) }), input({ mode: 'complete', rollback: { ...REVERSE, soakMinutes: 43200 } }));
      expect(result.status).toBe('FAILED');
      expect(result.states).not.toContain('Ask to end the way back');
      expect(failure(result)).toMatchObject({ message: expect.stringContaining('the soak time after the cutover runs until 2026-12-24 23:00:00 UTC') });
      expect(result.aws.dmsActions).toEqual([]);
    });

    // Under IAM enforcement: the rollback's gate reads the reverse task's table statistics, which the cutover role
    // may do on this migration's tagged reverse task (issue 16, defect 2).
    it('rollback: asks for a ROLLBACK approval (whatever cutover.approvalRequired says), then freezes the target, proves the old source caught up, switches back and restores writes on the source', async () => {
      const result = await runRollback(input({ mode: 'rollback', rollback: REVERSE }));
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(result.states.indexOf('Rolling back?'), result.states.indexOf('Roll back: gate'))).toEqual([
        'Rolling back?',
        'Rollback approval needed?',
        'Ask for rollback approval',
        'Roll back: independent validation ran?',
        'Roll back: no independent validation results',
      ]);
      expect(result.states.slice(result.states.indexOf('Roll back: gate'))).toEqual([
        'Roll back: gate',
        'Report: Roll back: gate',
        'Roll back: freeze target writes',
        'Report: Roll back: freeze target writes',
        'Roll back: prove catch-up',
        'Report: Roll back: prove catch-up',
        'Roll back: dry run?',
        'Roll back: switch',
        'Report: Roll back: switch',
        'Notify rolled back',
        'Release run lock after rollback',
        'Rollback complete',
      ]);
      expect(result.aws.notifications[0]).toMatchObject({
        kind: 'approval-request',
        subject: '[DMS] Orders to Aurora: ROLLBACK approval needed: freezes the TARGET',
        message: expect.stringContaining('freezes TARGET writes (read_only on the database the applications use now)'),
      });
      const [request] = [...result.aws.items.entries()].filter(([key]) => key.startsWith('approval#')).map(([, item]) => unmarshall(item));
      expect(request).toMatchObject({ status: 'pending', details: { mode: 'rollback' } });
      expect(result.output?.approval).toMatchObject({ decision: 'approved', decidedBy: 'dba@example.com' });
      expect(result.aws.dmsActions).toEqual([wayBack.actions.stop]);
      expect(result.aws.parameters.get(PARAMETER)).toBe(SOURCE_ENDPOINT);
      expect(result.output?.switched).toMatchObject({ sourceWritesRestored: { readOnly: 'OFF' } });
      await expect(appWrite(source)).resolves.toBeDefined();
      expect(await readReadOnlySettings(targetAdmin)).toEqual({ readOnly: 'ON' });
      expect(unmarshall(result.aws.items.get('cutover#orders-to-aurora') ?? {})).toMatchObject({ rolledBackAt: expect.any(String) });
      expect(result.aws.notifications.at(-1)).toMatchObject({
        kind: 'rolled-back',
        subject: '[DMS] Orders to Aurora: rolled back to the source',
        message: expect.stringContaining('Approved by dba@example.com at 2026-11-24 12:00:00 UTC.'),
      });
      // In a rollback the marker goes the other way: written on the target, read on the source.
      const catchUp = result.aws.notifications.find((published) => published.subject.endsWith('Roll back: prove catch-up'));
      expect(catchUp?.message).toMatch(/The source has every write made on the target before the freeze: marker \S+, written to \S+ on the target at .+, was read on the source at/);
    });

    it('a rejected rollback freezes nothing, switches nothing and stops no task', async () => {
      const result = await runRollback(input({ mode: 'rollback', rollback: REVERSE }), { approval: 'reject' });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(result.states.indexOf('Rollback approval needed?'))).toEqual([
        'Rollback approval needed?',
        'Ask for rollback approval',
        'Notify approval rejected',
        'Release run lock',
        'End without cutover',
      ]);
      expect(await readReadOnlySettings(targetAdmin)).toEqual({ readOnly: 'OFF' });
      expect(await readReadOnlySettings(sourceAdmin)).toEqual({ readOnly: 'ON' });
      expect(result.aws.dmsActions).toEqual([]);
      expect(result.aws.parameters.size).toBe(0);
      expect(result.aws.items.has('lock#orders-to-aurora')).toBe(false);
      expect(result.aws.notifications.at(-1)).toMatchObject({
        kind: 'approval-rejected',
        subject: '[DMS] Orders to Aurora: ROLLBACK rejected',
        message: expect.stringContaining('Nothing is frozen or switched: applications stay on the target'),
      });
    });

    it('rollback.emergencySkipApproval skips the approval: the output records the skip and the rollback e-mail says it first', async () => {
      const result = await runRollback(input({ mode: 'rollback', rollback: { ...REVERSE, emergencySkipApproval: true } }));
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states).not.toContain('Ask for rollback approval');
      expect(result.states.slice(result.states.indexOf('Rollback approval needed?'), result.states.indexOf('Roll back: independent validation ran?'))).toEqual([
        'Rollback approval needed?',
        'Skip the rollback approval (emergency)',
      ]);
      expect(result.output?.approval).toEqual({ decision: 'skipped', because: 'rollback.emergencySkipApproval is true in the execution input', at: expect.any(String) });
      expect(result.aws.notifications.map((published) => published.kind)).not.toContain('approval-request');
      const rolledBack = result.aws.notifications.at(-1);
      expect(rolledBack?.subject).toBe('[DMS] Orders to Aurora: rolled back to the source (approval SKIPPED: emergency)');
      expect(rolledBack?.message.split('\n')[1]).toMatch(/^Nobody approved this: the approval was SKIPPED as an emergency \(rollback.emergencySkipApproval is true in the execution input, at /);
      expect(result.aws.parameters.get(PARAMETER)).toBe(SOURCE_ENDPOINT);
    });
  });

  /**
   * A rollback as after a cutover: the source frozen, the cutover on record, the reverse task replicating
   * (heartbeat rows copied from the target to the source while the run lasts).
   */
  async function runRollback(rollbackInput: MigrationInput, changes: Partial<Scenario> = {}): Promise<WorkflowRun> {
    await sourceAdmin.query('SET GLOBAL read_only = ON');
    const reverse = await startReverseReplication(servers);
    try {
      return await runWorkflow(
        synthesized,
        scenario({
          initialStatus: 'running',
          prepare: (aws) => {
            aws.advanceFullLoad(100);
            afterCutover(aws, undefined, fixture.engine);
          },
          ...changes,
        }),
        rollbackInput,
      );
    } finally {
      await reverse.stop();
    }
  }
}

/** A state's output as the execution recorded it when the state was left. */
function stateOutput(result: WorkflowRun, stateName: string): Record<string, unknown> {
  const exited = result.events.find((event) => event.type === 'StateExited' && event.state?.name === stateName);
  return (exited?.state as { output?: Record<string, unknown> } | undefined)?.output ?? {};
}

/**
 * An application writing to `server` every 50 ms, as the applications a freeze keeps out would: it tells when
 * the first write went through after one was refused, which is when the applications could write again.
 */
function watchApplicationWrites(server: ThrowawayMariadb): { writableAgain(): Promise<number>; stop(): Promise<void> } {
  let running = true;
  let refused = false;
  let writableAgainAt: number | undefined;
  const loop = (async () => {
    while (running) {
      try {
        await appWrite(server);
        if (refused && writableAgainAt === undefined) writableAgainAt = Date.now();
      } catch (error) {
        if ((error as { code?: string }).code !== 'ER_OPTION_PREVENTS_STATEMENT') throw error;
        refused = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    /** When writes went through again; the workflow may end before the next write shows it, so this waits for it (30 s at most). */
    async writableAgain() {
      for (const giveUpAt = Date.now() + 30_000; writableAgainAt === undefined && Date.now() < giveUpAt; ) await new Promise((resolve) => setTimeout(resolve, 50));
      if (writableAgainAt === undefined) throw new Error(refused ? 'The application could not write again within 30 s' : 'The application was never refused a write');
      return writableAgainAt;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
