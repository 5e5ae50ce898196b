import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { RowDataPacket } from 'mysql2/promise';
import { readReadOnlySettings, type ReadOnlySettings } from '../../functions/cutover/write-freeze';
import type { DatabaseSide } from '../../functions/shared/cutover-vocabulary';
import { lambdaFunctionError, type LocalTask } from '../../local/workflow/execute';
import {
  PARAMETER,
  REVERSE,
  SCHEMA,
  SOURCE_ENDPOINT,
  TARGET_ENDPOINT,
  WAY_BACKS,
  afterCutover,
  appWrite,
  cutoverInput,
  cutoverScenario,
  startCutoverServers,
  startReverseReplication,
  type CutoverServers,
} from '../support/cutover-rig';
import { SNS_KMS_REFUSES, type AwsOutage, type LocalAws, type Scenario } from '../support/local-aws';
import { EXECUTION_ARN, runWorkflow, type WorkflowRun } from '../support/run-workflow';
import type { EngineFixture } from '../support/engines';
import { synthesizeWorkflow, type AslDefinition, type SynthesizedWorkflow } from '../support/synthesized-workflow';

/**
 * The fault sweep (issue 11): for every Task state of the cutover from its gate to its end, and of the
 * rollback from its approval to its end, each fault class in turn, executed from the synthesized definition
 * with the real handlers against two real MariaDB servers. After every run the invariants must hold:
 *
 * (a) either the switch completed (the endpoint parameter names the new side and the cutover record says
 *     so), or every side the run froze has its settings from before the run again;
 * (b) a side left read-only (on purpose, or because restoring it failed) is named, with the reason, on the
 *     first line of the execution's failure cause and of the failure e-mail (when SNS took it);
 * (c) the run lock is released (or, when releasing it was the fault, left by this ended execution for the
 *     next run to take over); no DMS task was started or stopped that the outcome does not explain; the side
 *     applications use afterwards has every order any application committed.
 *
 * The states are read from the definition, so a new state is swept without anyone listing it. States off the
 * happy path are reached the way a run reaches them: another run variant (a dry run, a rejected or expired
 * approval), or a first fault in the state whose failure path leads there. Servers are shared by every run,
 * which resets them to the situation the direction starts from; the cutover runs resume the executed
 * workflow at its cutover sequence, with the state a full run has there.
 */

const FAULTS = ['throws', 'throttled', 'times out', 'SNS down'] as const;
type Fault = (typeof FAULTS)[number];

/**
 * Each fault class as the state's Lambda task meets it:
 * - throws: the function fails with a non-transient error before it does anything;
 * - throttled: every AWS call it makes is answered with the service's throttling error, on every retry;
 * - times out: it does its work, then the state fails with States.Timeout (the result came too late);
 * - SNS down: from this state on, SNS refuses every message (a topic KMS key policy).
 */
function inject(fault: Fault, stateName: string): (task: LocalTask, aws: LocalAws) => LocalTask {
  switch (fault) {
    case 'throws':
      return () => async () => {
        throw lambdaFunctionError('TypeError', `Cannot read properties of undefined (injected into ${stateName})`);
      };
    case 'throttled':
      return (task, aws) => async (taskInput) => {
        const outage: AwsOutage = { error: 'throttling' };
        aws.outages.push(outage);
        try {
          return await task(taskInput);
        } finally {
          aws.outages.splice(aws.outages.indexOf(outage), 1);
        }
      };
    case 'times out':
      return (task) => async (taskInput) => {
        await task(taskInput).catch(() => undefined);
        throw Object.assign(new Error('The task timed out'), { name: 'States.Timeout' });
      };
    case 'SNS down':
      return (task, aws) => async (taskInput) => {
        aws.outages.push(SNS_KMS_REFUSES);
        return task(taskInput);
      };
  }
}

type Direction = 'cutover' | 'rollback';
const FROZEN_SIDE: Record<Direction, DatabaseSide> = { cutover: 'source', rollback: 'target' };
/** Where the applications' endpoint points once the direction's switch is done. */
const SWITCHED_ENDPOINT: Record<Direction, string> = { cutover: TARGET_ENDPOINT, rollback: SOURCE_ENDPOINT };

/** One way of running a direction: its input and scenario, apart from the fault. */
interface Variant {
  name: string;
  direction: Direction;
  dryRun?: boolean;
  approval?: Scenario['approval'];
}

/** Each direction's live run first: the happy path, which the other variants leave somewhere. */
const VARIANTS: Variant[] = [
  { name: 'cutover', direction: 'cutover' },
  { name: 'cutover dry run', direction: 'cutover', dryRun: true },
  { name: 'rollback', direction: 'rollback' },
  { name: 'rollback rejected', direction: 'rollback', approval: 'reject' },
  { name: 'rollback not approved in time', direction: 'rollback', approval: 'timeout' },
  { name: 'rollback dry run', direction: 'rollback', dryRun: true },
];
const isLive = (variant: Variant) => VARIANTS.find((candidate) => candidate.direction === variant.direction) === variant;

/**
 * How a failure path is reached: the state leading there does its work, then fails (the most the failure path
 * can meet: a freeze that froze, a switch that published).
 */
const TRIGGER: Fault = 'times out';

/** Where each direction's sweep starts in the definition. */
const SWEEP_STARTS: Record<Direction, string> = { cutover: 'Gate', rollback: 'Rollback approval needed?' };
/** Where a cutover run resumes the workflow: the cutover sequence, after the runbook's earlier steps. */
const CUTOVER_RESUMES_AT = 'Prepare a way back?';

interface SweepCase {
  direction: Direction;
  state: string;
  fault: Fault;
  variant: Variant;
  /** For a state only a failure path reaches: the state that fails first (it times out, its work done). */
  trigger?: string;
}

interface Observation {
  run: WorkflowRun;
  /** The orders on the side applications used before the run, the one placed for this run included. */
  committed: Map<number, string>;
  settings: Record<DatabaseSide, ReadOnlySettings>;
  endpoint?: string;
  record: Record<string, unknown>;
  lockHolder?: string;
  orders: Record<DatabaseSide, Map<number, string>>;
}

/**
 * The sweep on one replication engine: cutover-fault-sweep.test.ts runs it on a task,
 * cutover-fault-sweep-serverless.test.ts on a DMS Serverless replication, each with the engine's way back
 * (WAY_BACKS in test/support/cutover-rig.ts); one file per engine, as the handlers read their stack's
 * environment as they load.
 */
export function cutoverFaultSweep(fixture: EngineFixture): void {
  const wayBack = WAY_BACKS[fixture.engine];
  const synthesized = synthesizeWorkflow({ ...fixture.deployment, migration: cutoverInput({ rollback: REVERSE }, {}, fixture) });
  /** The same workflow entered at its cutover sequence. */
  const resumedCutover: SynthesizedWorkflow = { ...synthesized, definition: resumedAt(synthesized.definition, CUTOVER_RESUMES_AT) };
  const LOCK_KEY = 'lock#orders-to-aurora';
  let servers: CutoverServers;
  /** The workflow's state where a cutover run resumes, as a full run had it. */
  let cutoverState: Record<string, unknown>;

  /** The settings each direction starts from: before a cutover both sides are writable; after it the source is frozen. */
  const BASELINE: Record<Direction, Record<DatabaseSide, string>> = {
    cutover: { source: 'OFF', target: 'OFF' },
    rollback: { source: 'ON', target: 'OFF' },
  };

  async function resetServers(direction: Direction): Promise<void> {
    for (const side of ['source', 'target'] as const) {
      await admin(side).query(`SET GLOBAL read_only = ${BASELINE[direction][side]}`);
    }
  }

  const admin = (side: DatabaseSide) => (side === 'source' ? servers.sourceAdmin : servers.targetAdmin);

  async function ordersOn(side: DatabaseSide): Promise<Map<number, string>> {
    const [rows] = await admin(side).query<RowDataPacket[]>(`SELECT id, note FROM ${SCHEMA}.orders ORDER BY id`);
    return new Map(rows.map((row) => [Number(row.id), String(row.note)]));
  }

  /** Waits until the target has applied everything the source wrote (native replication), for a clean start. */
  async function replicaCaughtUp(): Promise<void> {
    const [[master]] = await servers.sourceAdmin.query<RowDataPacket[]>('SHOW MASTER STATUS');
    const [[waited]] = await servers.targetAdmin.query<RowDataPacket[]>('SELECT MASTER_POS_WAIT(?, ?, 60) AS events', [master.File, master.Position]);
    // NULL: replication stopped; -1: still behind after a minute. Either would turn every run into a catch-up failure.
    if (waited.events === null || Number(waited.events) < 0) throw new Error(`The target does not replicate the source (MASTER_POS_WAIT answered ${String(waited.events)})`);
  }

  function scenarioFor(variant: Variant): Scenario {
    const lockHeld = (aws: LocalAws) => aws.items.set(LOCK_KEY, marshall({ pk: LOCK_KEY, holder: EXECUTION_ARN, migrationName: 'Orders to Aurora', acquiredAt: '2026-11-24T22:00:00.000Z' }));
    if (variant.direction === 'cutover') {
      return cutoverScenario(servers, {
        engine: fixture.engine,
        initialStatus: 'running',
        prepare: (aws) => {
          aws.advanceFullLoad(100);
          wayBack.fake(aws);
          // The run resumes after the runbook's earlier steps, among them taking the lock.
          lockHeld(aws);
        },
      });
    }
    return cutoverScenario(servers, {
      engine: fixture.engine,
      initialStatus: 'running',
      ...(variant.approval ? { approval: variant.approval } : {}),
      prepare: (aws) => {
        aws.advanceFullLoad(100);
        afterCutover(aws, undefined, fixture.engine);
        aws.parameters.set(PARAMETER, TARGET_ENDPOINT);
      },
    });
  }

  /** Runs one variant with its faults; the servers are reset first, and an application order is placed. */
  async function runVariant(variant: Variant, around: Record<string, (task: LocalTask, aws: LocalAws) => LocalTask> = {}): Promise<Observation> {
    await resetServers(variant.direction);
    if (variant.direction === 'cutover') {
      await appWrite(servers.source);
      await replicaCaughtUp();
      const committed = await ordersOn('source');
      const state = structuredClone(cutoverState) as { config: { cutover: { dryRun: boolean } } };
      state.config.cutover.dryRun = variant.dryRun === true;
      return observe(await runWorkflow(resumedCutover, scenarioFor(variant), state, { around }), committed);
    }
    const reverse = await startReverseReplication(servers);
    try {
      // An order placed on the target after the cutover: the way back must carry it to the source.
      await appWrite(servers.target);
      const committed = await ordersOn('target');
      const input = cutoverInput({ mode: 'rollback', rollback: REVERSE }, { dryRun: variant.dryRun === true }, fixture);
      return await observe(await runWorkflow(synthesized, scenarioFor(variant), input, { around }), committed);
    } finally {
      await reverse.stop();
    }
  }

  async function observe(run: WorkflowRun, committed: Map<number, string>): Promise<Observation> {
    const lock = run.aws.items.get(LOCK_KEY);
    return {
      run,
      committed,
      settings: { source: await readReadOnlySettings(servers.sourceAdmin), target: await readReadOnlySettings(servers.targetAdmin) },
      endpoint: run.aws.parameters.get(PARAMETER),
      record: unmarshall(run.aws.items.get('cutover#orders-to-aurora') ?? {}),
      lockHolder: lock ? String(unmarshall(lock).holder) : undefined,
      orders: { source: await ordersOn('source'), target: await ordersOn('target') },
    };
  }

  /** Every state reachable from `start`: through Next, Choice branches and Catch handlers. */
  function statesFrom(definition: AslDefinition, start: string): string[] {
    const seen = new Set<string>();
    const pending = [start];
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      pending.push(...successors(definition, name));
    }
    return [...seen];
  }

  function taskStatesFrom(definition: AslDefinition, start: string): string[] {
    return statesFrom(definition, start).filter((name) => definition.States[name].Type === 'Task');
  }

  /** The definition entered at `start`, with only the states a run from there can reach (the runner refuses unreachable ones). */
  function resumedAt(definition: AslDefinition, start: string): AslDefinition {
    return { ...definition, StartAt: start, States: Object.fromEntries(statesFrom(definition, start).map((name) => [name, definition.States[name]])) };
  }

  function successors(definition: AslDefinition, name: string): string[] {
    const state = definition.States[name] as { Next?: string; Default?: string; Choices?: Array<{ Next: string }>; Catch?: Array<{ Next: string }> };
    return [
      ...(state.Next ? [state.Next] : []),
      ...(state.Default ? [state.Default] : []),
      ...(state.Choices ?? []).map((choice) => choice.Next),
      ...(state.Catch ?? []).map((handler) => handler.Next),
    ];
  }

  /** The states after `name` fails, nearest first (breadth first from its Catch handlers). */
  function failurePathOf(definition: AslDefinition, name: string): string[] {
    const order: string[] = [];
    const queue = ((definition.States[name] as { Catch?: Array<{ Next: string }> }).Catch ?? []).map((handler) => handler.Next);
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (order.includes(next)) continue;
      order.push(next);
      queue.push(...successors(definition, next));
    }
    return order;
  }

  /** Whether `target` is reachable from one of `name`'s Catch handlers. */
  function catchLeadsTo(definition: AslDefinition, name: string, target: string): boolean {
    return failurePathOf(definition, name).includes(target);
  }

  /** Says what the run left, as the table shows it, and every invariant it broke. */
  function judge(sweepCase: SweepCase, observation: Observation): { outcome: string; violations: string[] } {
    const { direction, state } = sweepCase;
    const { run, settings, endpoint, record, lockHolder, orders, committed } = observation;
    const violations: string[] = [];
    const frozenSide = FROZEN_SIDE[direction];
    const otherSide = frozenSide === 'source' ? 'target' : 'source';
    const switched = endpoint === SWITCHED_ENDPOINT[direction] && (direction === 'cutover' ? record.endpoint === TARGET_ENDPOINT : typeof record.rolledBackAt === 'string');
    const frozenNow = settings[frozenSide].readOnly !== BASELINE[direction][frozenSide];
    const cause = run.error ? String(run.error.Cause) : '';
    const failureMail = run.aws.notifications.find((published) => published.kind === 'failure');
    const firstLines = [cause.split('\n')[0], ...(failureMail ? [failureMail.message.split('\n')[1]] : [])];
    const saysReadOnly = (side: DatabaseSide) => firstLines.every((line) => new RegExp(`^WARNING: The ${side} database (is still|may still be|stays) read-only`).test(line));

    // (a) switched, or every frozen side restored, or (b) left read-only and said so first.
    let outcome: string;
    if (switched) {
      outcome = run.status === 'SUCCEEDED' ? 'switched' : 'switched, failed';
      if (!frozenNow) violations.push(`the switch completed, yet the ${frozenSide} is writable again: writes there would never reach the ${otherSide}`);
      if (direction === 'rollback' && settings.source.readOnly !== 'OFF' && !saysReadOnly('source')) violations.push('rolled back, but the source is read-only and the failure does not say so first');
      if (run.status === 'FAILED' && !saysReadOnly(frozenSide)) violations.push(`switched, then failed: the failure does not say first that the ${frozenSide} stays read-only`);
    } else if (!frozenNow) {
      const reachedFreeze = !sweepCase.variant.dryRun && run.states.some((name) => /freeze (source|target) writes$/i.test(name) && !name.startsWith('Report'));
      outcome = reachedFreeze ? 'restored' : 'untouched';
      if (endpoint !== undefined && endpoint !== (direction === 'cutover' ? undefined : TARGET_ENDPOINT)) violations.push(`not switched, yet the endpoint parameter names ${endpoint}`);
    } else if (run.status === 'FAILED' && saysReadOnly(frozenSide)) {
      outcome = `${frozenSide} RO, said`;
    } else {
      outcome = `${frozenSide} RO!`;
      violations.push(`the ${frozenSide} is left read-only (${settings[frozenSide].readOnly}) without a switch, and ${run.status === 'FAILED' ? 'the failure does not say so first' : 'the run succeeded'}`);
    }
    if (settings[otherSide].readOnly !== BASELINE[direction][otherSide] && !(direction === 'rollback' && switched)) {
      violations.push(`the ${otherSide}, which this run does not freeze, has read_only=${settings[otherSide].readOnly}`);
    }
    if (endpoint === SWITCHED_ENDPOINT[direction] && !switched) violations.push('the endpoint is published but no cutover record says so');

    // A notification SNS refused is recorded where the operator looks: the output, or the failed run's cause.
    const refusedMessages = run.aws.refusedCalls.filter((call) => call === 'sns:Publish').length;
    const recorded = Object.keys((run.output?.undeliveredNotifications ?? {}) as object).length;
    if (run.status === 'SUCCEEDED' && refusedMessages > 0 && recorded === 0) violations.push(`SNS refused ${refusedMessages} message(s), and the output records none`);
    if (run.status === 'FAILED' && !failureMail && !cause.includes('This failure was not e-mailed')) violations.push('the failure e-mail was not sent, and the cause does not say so');

    // (c) the lock; DMS actions the outcome explains; no order lost on the side applications use afterwards.
    const releaseFaulted = /^Release run lock/.test(state) && sweepCase.fault !== 'times out' && sweepCase.fault !== 'SNS down';
    if (lockHolder && !(releaseFaulted && lockHolder === EXECUTION_ARN)) violations.push(`the run lock is still held by ${lockHolder}`);
    // Preparing the way back (creating the reverse replication, testing its endpoints) comes before anything is frozen, in every run.
    const actions = run.aws.dmsActions.filter((action) => action !== wayBack.actions.create && !fixture.actions.testConnections.includes(action));
    const explained = direction === 'cutover' ? (switched ? [fixture.actions.stop, wayBack.actions.start('')] : []) : switched ? [wayBack.actions.stop] : [];
    for (const action of actions) if (!explained.some((prefix) => action.startsWith(prefix))) violations.push(`DMS was asked to ${action}, which the outcome does not explain`);
    const primary: DatabaseSide = direction === 'cutover' ? (switched ? 'target' : 'source') : switched ? 'source' : 'target';
    const lost = [...committed.keys()].filter((id) => orders[primary].get(id) !== committed.get(id));
    if (lost.length > 0) violations.push(`orders ${lost.join(', ')} are missing on the ${primary}, which applications use now`);
    if (lockHolder === EXECUTION_ARN) outcome = `${outcome}, lock left`;
    return { outcome: violations.length > 0 && !outcome.endsWith('!') ? `${outcome}!` : outcome, violations };
  }

  /**
   * The cases: every Task state of each direction, each fault, reached through the variant or trigger that gets
   * there, in the order a run meets them (a failure path's states right after the state whose failure leads
   * there). A state both directions share (the failure path's end, the dry run's lock release) is swept once.
   */
  function sweepCases(visited: Map<Variant, string[]>): SweepCase[] {
    const cases: SweepCase[] = [];
    const swept = new Set<string>();
    const { definition } = synthesized;
    for (const direction of ['cutover', 'rollback'] as const) {
      const variants = VARIANTS.filter((variant) => variant.direction === direction);
      const [live] = variants;
      const livePath = visited.get(live) ?? [];
      const states = taskStatesFrom(definition, SWEEP_STARTS[direction]).filter((state) => !swept.has(state));
      const placed = states.map((state) => {
        const variant = variants.find((candidate) => visited.get(candidate)?.includes(state));
        // Off every variant's path: the last live state whose failure path leads here fails first.
        const trigger = variant ? undefined : [...livePath].reverse().find((name) => definition.States[name].Type === 'Task' && catchLeadsTo(definition, name, state));
        if (!variant && !trigger) throw new Error(`No run reaches "${state}": add a variant`);
        const order = variant
          ? [variants.indexOf(variant), visited.get(variant)?.indexOf(state) ?? 0]
          : [0, livePath.indexOf(trigger as string) + 0.5, failurePathOf(definition, trigger as string).indexOf(state)];
        return { state, variant: variant ?? live, trigger, order };
      });
      placed.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || (a.order[2] ?? 0) - (b.order[2] ?? 0));
      for (const { state, variant, trigger } of placed) {
        swept.add(state);
        for (const fault of FAULTS) cases.push({ direction, state, fault, variant, ...(trigger ? { trigger } : {}) });
      }
    }
    return cases;
  }

  beforeAll(async () => {
    servers = await startCutoverServers();
  }, 120_000);

  afterAll(async () => {
    await servers?.stop();
  });

  describe(`fault sweep on ${fixture.name}: every state of the cutover and the rollback, every fault class`, () => {
    it('keeps the invariants in every run', async () => {
      const started = Date.now();
      // A full run, to the cutover sequence and through it: the state a cutover run resumes with.
      await appWrite(servers.source);
      await replicaCaughtUp();
      const full = await runWorkflow(synthesized, cutoverScenario(servers, { engine: fixture.engine, prepare: (aws) => wayBack.fake(aws) }), cutoverInput({ rollback: REVERSE }, {}, fixture));
      expect(full.status).toBe('SUCCEEDED');
      const entered = full.events.find((event) => event.type === 'StateEntered' && event.state?.name === CUTOVER_RESUMES_AT);
      cutoverState = (entered?.state as unknown as { input: Record<string, unknown> }).input;

      // Each variant once without a fault: the states it reaches. The live runs must switch, or every faulted run
      // would end before the switch for a reason of the rig's own.
      const visited = new Map<Variant, string[]>();
      for (const variant of VARIANTS) {
        const baseline = await runVariant(variant);
        visited.set(variant, baseline.run.states);
        if (isLive(variant)) expect(baseline).toMatchObject({ run: { status: 'SUCCEEDED' }, endpoint: SWITCHED_ENDPOINT[variant.direction] });
      }
      const cases = sweepCases(visited);
      const rows: Array<SweepCase & { outcome: string; violations: string[] }> = [];
      for (const sweepCase of cases) {
        const around = { [sweepCase.state]: inject(sweepCase.fault, sweepCase.state), ...(sweepCase.trigger ? { [sweepCase.trigger]: inject(TRIGGER, sweepCase.trigger) } : {}) };
        rows.push({ ...sweepCase, ...judge(sweepCase, await runVariant(sweepCase.variant, around)) });
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      console.log(sweepTable(rows, seconds));
      expect(rows.flatMap((row) => row.violations.map((violation) => `${row.direction}: ${row.state} × ${row.fault}: ${violation}`))).toEqual([]);
    }, 600_000);
  });
}

const CELL = 27;

function sweepTable(rows: Array<SweepCase & { outcome: string; violations: string[] }>, seconds: number): string {
  const label = (row: SweepCase) => `${row.state}${row.trigger ? ` [after ${row.trigger} ${TRIGGER}]` : ''}${isLive(row.variant) ? '' : ` [${row.variant.name}]`}`;
  const width = Math.max(...rows.map((row) => label(row).length));
  const lines: string[] = [];
  for (const direction of ['cutover', 'rollback'] as const) {
    const states = [...new Set(rows.filter((row) => row.direction === direction).map((row) => row.state))];
    lines.push('', `${direction.toUpperCase()}: ${states.length} states`, `${'state'.padEnd(width)} | ${FAULTS.map((fault) => fault.padEnd(CELL)).join(' | ')}`, '-'.repeat(width + FAULTS.length * (CELL + 3)));
    for (const state of states) {
      const cells = FAULTS.map((fault) => rows.find((row) => row.direction === direction && row.state === state && row.fault === fault)?.outcome ?? '');
      const row = rows.find((candidate) => candidate.direction === direction && candidate.state === state) as SweepCase;
      lines.push(`${label(row).padEnd(width)} | ${cells.map((cell) => cell.padEnd(CELL)).join(' | ')}`);
    }
  }
  const violations = rows.filter((row) => row.violations.length > 0);
  const stateCount = new Set(rows.map((row) => `${row.direction}:${row.state}`)).size;
  return [
    `Fault sweep: ${stateCount} states x ${FAULTS.length} fault classes = ${rows.length} runs, ${rows.length} faults injected (and ${rows.filter((row) => row.trigger).length} first faults on the way to a failure path); ${violations.length} runs broke an invariant; ${seconds} s`,
    ...lines,
    '',
    'switched: the switch completed; switched, failed: it completed, then a later step failed (said first: the frozen side stays read-only)',
    'restored: frozen, then every frozen side got its settings back; untouched: nothing was frozen',
    'lock left: releasing the run lock was the fault; the lock names this ended execution, and the next run takes it over',
    '<side> RO, said: left read-only, said on the first line of the cause and of the failure e-mail; ! marks a broken invariant',
    ...violations.flatMap((row) => row.violations.map((violation) => `! ${row.direction}: ${row.state} x ${row.fault}: ${violation}`)),
  ].join('\n');
}
