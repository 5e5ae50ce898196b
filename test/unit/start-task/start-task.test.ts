import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  InvalidResourceStateFault,
  StartReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/start-task/handler';
import { decideStartAction, startFacts, type StartFacts } from '../../../functions/start-task/start-task';
import { taskState } from '../../../functions/shared/replication/task';
import { SERVERLESS_STATUSES } from '../../../functions/shared/replication/vocabulary';
import { STOP_REASONS, TASK_STATUSES } from '../../../functions/shared/dms';
import { START_POLICIES } from '../../../functions/shared/migration-input';
import { TASK_ARN, migrationConfig, replicationTask } from '../../support/migration';

const ran = { engine: 'task' as const, neverRun: false, migrationType: 'full-load-and-cdc' };
const facts = (status: string, extra: Partial<StartFacts> = {}): StartFacts => ({ status, ...ran, ...extra });

/** One row of a decision table: what each start policy does ("reload" always confirmed). */
type Row = Record<(typeof START_POLICIES)[number], string>;
const always = (outcome: string): Row => ({ auto: outcome, resume: outcome, reload: outcome });
const RESTARTS: Row = { auto: 'resume-processing', resume: 'resume-processing', reload: 'reload-target' };
const FAILED: Row = { auto: 'refuse', resume: 'refuse', reload: 'reload-target' };
/** A decision as the tables spell it: the start type, the leave outcome, or "refuse". */
const seen = (decision: ReturnType<typeof decideStartAction>) => (decision.kind === 'start' ? decision.startType : decision.kind === 'leave' ? decision.outcome : 'refuse');

describe('decideStartAction', () => {
  // Every status DMS documents x every start policy. "reload" here always carries its confirmation.
  const expected: Record<string, Row> = {
    moving: always('refuse'),
    creating: always('refuse'),
    deleting: always('refuse'),
    failed: FAILED,
    'failed-move': always('refuse'),
    modifying: always('refuse'),
    ready: RESTARTS,
    running: always('already-running'),
    starting: always('already-running'),
    stopped: RESTARTS,
    stopping: always('refuse'),
    testing: always('refuse'),
  };
  const cases = TASK_STATUSES.flatMap((status) => START_POLICIES.map((policy) => [status, policy, expected[status][policy]] as const));

  it('covers every documented status', () => expect(Object.keys(expected).sort()).toEqual([...TASK_STATUSES].sort()));

  it.each(cases)('a previously run task in %s under policy %s -> %s', (status, policy, outcome) => {
    expect(seen(decideStartAction(facts(status), policy, true))).toBe(outcome);
  });

  it.each(START_POLICIES)('starts a never-run task with start-replication under policy %s', (policy) => {
    expect(decideStartAction(facts('ready', { neverRun: true }), policy, true)).toMatchObject({ kind: 'start', startType: 'start-replication' });
  });

  it('refuses to reload without the explicit confirmation', () => {
    expect(decideStartAction(facts('stopped'), 'reload', false)).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('confirmReloadTarget') });
  });

  it('never reloads a running task, even under reload', () => {
    expect(decideStartAction(facts('running'), 'reload', true)).toMatchObject({ kind: 'leave', reason: expect.stringContaining('nothing was reloaded') });
  });

  it('leaves a finished full-load task alone unless a reload is confirmed', () => {
    const finished = facts('stopped', { migrationType: 'full-load', stopReason: STOP_REASONS.fullLoadOnlyFinished });
    expect(decideStartAction(finished, 'auto', false)).toMatchObject({ kind: 'leave', outcome: 'already-complete' });
    expect(decideStartAction(finished, 'resume', false)).toMatchObject({ kind: 'leave', outcome: 'already-complete' });
    expect(decideStartAction(finished, 'reload', true)).toMatchObject({ kind: 'start', startType: 'reload-target' });
  });

  it('resumes a task stopped on an error only when the operator asks for resume', () => {
    const stoppedOnError = facts('stopped', { stopReason: STOP_REASONS.recoverableError });
    expect(decideStartAction(stoppedOnError, 'auto', false)).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('RECOVERABLE_ERROR') });
    expect(decideStartAction(stoppedOnError, 'resume', false)).toMatchObject({ kind: 'start', startType: 'resume-processing' });
  });

  it('quotes DMS when refusing a failed task', () => {
    expect(decideStartAction(facts('failed', { lastFailureMessage: 'Binary log purged' }), 'auto', false).reason).toContain('(Binary log purged)');
  });

  it('refuses a status it does not know', () => {
    expect(decideStartAction(facts('hibernating'), 'auto', false)).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('"hibernating"') });
  });
});

describe('decideStartAction on a DMS Serverless replication', () => {
  const serverless = (status: string, extra: Partial<StartFacts> = {}): StartFacts => ({ ...facts(status, extra), engine: 'serverless' });
  // Every status of a serverless replication x every start policy. "reload" here always carries its confirmation.
  const expected: Record<(typeof SERVERLESS_STATUSES)[number], Row> = {
    created: RESTARTS,
    ready: RESTARTS,
    initializing: always('already-running'),
    preparing_metadata_resources: always('already-running'),
    testing_connection: always('already-running'),
    fetching_metadata: always('already-running'),
    calculating_capacity: always('already-running'),
    provisioning_capacity: always('already-running'),
    replication_starting: always('already-running'),
    running: always('already-running'),
    stopping: always('refuse'),
    stopped: RESTARTS,
    failed: FAILED,
    deleting: always('refuse'),
  };
  const cases = SERVERLESS_STATUSES.flatMap((status) => START_POLICIES.map((policy) => [status, policy, expected[status][policy]] as const));

  it.each(cases)('a previously run replication in %s under policy %s -> %s', (status, policy, outcome) => {
    expect(seen(decideStartAction(serverless(status), policy, true))).toBe(outcome);
  });

  it.each(['created', 'ready'])('starts a never-run replication in %s with start-replication', (status) => {
    expect(decideStartAction(serverless(status, { neverRun: true }), 'auto', false)).toMatchObject({ kind: 'start', startType: 'start-replication' });
  });

  it('refuses a replication stopped on an error under auto, and resumes it under resume', () => {
    const stoppedOnError = serverless('stopped', { stopReason: STOP_REASONS.fatalError });
    expect(decideStartAction(stoppedOnError, 'auto', false)).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('the replication stopped on an error') });
    expect(decideStartAction(stoppedOnError, 'resume', false)).toMatchObject({ kind: 'start', startType: 'resume-processing' });
  });

  it('never reloads a provisioning replication, even under a confirmed reload', () => {
    expect(decideStartAction(serverless('provisioning_capacity'), 'reload', true)).toMatchObject({ kind: 'leave', reason: expect.stringContaining('nothing was reloaded') });
  });

  it('refuses a status it does not know, in the replication’s words', () => {
    expect(decideStartAction(serverless('hibernating'), 'auto', false)).toMatchObject({ kind: 'refuse', reason: 'DMS reports a replication status this tool does not know ("hibernating"); check the replication in DMS' });
  });
});

describe('startFacts', () => {
  it('calls a task never run only when DMS shows no start date at all', () => {
    const fresh = replicationTask({ Status: 'ready', ReplicationTaskStartDate: undefined, ReplicationTaskStats: undefined });
    expect(startFacts(taskState(fresh)).neverRun).toBe(true);
    expect(startFacts(taskState(replicationTask({ Status: 'ready' }))).neverRun).toBe(false);
  });
});

describe('start-task handler', () => {
  const dms = mockClient(DatabaseMigrationServiceClient);
  beforeEach(() => dms.reset());

  it('starts a never-run task with start-replication', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [replicationTask({ Status: 'ready', ReplicationTaskStartDate: undefined, ReplicationTaskStats: undefined })],
    });
    dms.on(StartReplicationTaskCommand).resolves({ ReplicationTask: replicationTask({ Status: 'starting' }) });
    await expect(handler({ config: migrationConfig() })).resolves.toEqual({
      action: 'start-replication',
      outcome: 'started',
      previousStatus: 'ready',
      migrationType: 'full-load-and-cdc',
      reason: 'the task has never run: starting its first full load',
    });
    expect(dms).toHaveReceivedCommandWith(StartReplicationTaskCommand, {
      ReplicationTaskArn: TASK_ARN,
      StartReplicationTaskType: 'start-replication',
    });
  });

  it('resumes a stopped task', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.normal })] });
    dms.on(StartReplicationTaskCommand).resolves({ ReplicationTask: replicationTask({ Status: 'starting' }) });
    await expect(handler({ config: migrationConfig() })).resolves.toMatchObject({ action: 'resume-processing', outcome: 'started' });
    expect(dms).toHaveReceivedCommandWith(StartReplicationTaskCommand, { ReplicationTaskArn: TASK_ARN, StartReplicationTaskType: 'resume-processing' });
  });

  it('reloads the target only under the confirmed reload policy', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'failed' })] });
    dms.on(StartReplicationTaskCommand).resolves({ ReplicationTask: replicationTask({ Status: 'starting' }) });
    await expect(handler({ config: migrationConfig({ startPolicy: 'reload', confirmReloadTarget: true }) })).resolves.toMatchObject({
      action: 'reload-target',
    });
    expect(dms).toHaveReceivedCommandWith(StartReplicationTaskCommand, { ReplicationTaskArn: TASK_ARN, StartReplicationTaskType: 'reload-target' });
  });

  it('running the step twice starts the task once', async () => {
    dms
      .on(DescribeReplicationTasksCommand)
      .resolvesOnce({ ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.normal })] })
      .resolves({ ReplicationTasks: [replicationTask({ Status: 'starting' })] });
    dms.on(StartReplicationTaskCommand).resolves({ ReplicationTask: replicationTask({ Status: 'starting' }) });
    const config = migrationConfig({ startPolicy: 'reload', confirmReloadTarget: true });
    await expect(handler({ config })).resolves.toMatchObject({ outcome: 'started', action: 'reload-target' });
    await expect(handler({ config })).resolves.toMatchObject({ outcome: 'already-running', action: 'none' });
    expect(dms).toHaveReceivedCommandTimes(StartReplicationTaskCommand, 1);
  });

  it('sends nothing for a task that is already running', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'running' })] });
    await expect(handler({ config: migrationConfig() })).resolves.toMatchObject({ action: 'none', outcome: 'already-running', previousStatus: 'running' });
    expect(dms).not.toHaveReceivedCommand(StartReplicationTaskCommand);
  });

  it('refuses a failed task under auto, sending nothing', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'failed', LastFailureMessage: 'Access denied for user dms' })] });
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({
      name: 'TaskInUnexpectedState',
      message: expect.stringContaining('Access denied for user dms'),
    });
    expect(dms).not.toHaveReceivedCommand(StartReplicationTaskCommand);
  });

  it('reports a task that changed state under us as TaskInUnexpectedState', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.normal })] });
    dms.on(StartReplicationTaskCommand).rejects(new InvalidResourceStateFault({ message: 'Task is currently being modified', $metadata: {} }));
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({
      name: 'TaskInUnexpectedState',
      message: 'DMS refused to resume-processing the task: Task is currently being modified',
    });
  });

  it('lets other DMS errors through and turns throttling into AwsServiceUnavailable', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({ ReplicationTasks: [replicationTask({ Status: 'stopped', StopReason: STOP_REASONS.normal })] });
    dms.on(StartReplicationTaskCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedFault' }));
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({ name: 'AccessDeniedFault' });
    dms.on(StartReplicationTaskCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    await expect(handler({ config: migrationConfig() })).rejects.toMatchObject({
      name: 'AwsServiceUnavailable',
      message: 'ThrottlingException: Rate exceeded',
    });
  });
});
