import { TASK_ENGINE, type EngineFixture } from './engines';
import { historyEventCount, stateTransitionCount } from './history-events';
import { HAPPY_PATH } from './local-aws';
import { runWorkflow, type WorkflowRun } from './run-workflow';
import type { AslDefinition, SynthesizedWorkflow } from './synthesized-workflow';

type Synthesized = SynthesizedWorkflow;

/**
 * How often the simulated load's percentage moves. The watcher checks every minute (MigrationOrchestrator's
 * default); the checks between two moves find nothing new and change nothing, so one check per move stands
 * for them, and the end of the load is noticed at the first minute check after it.
 */
export const PROGRESS_STEP_MINUTES = 15;
/** The naive alternative: a Wait of this long between two progress checks. */
export const POLLING_INTERVAL_SECONDS = 60;
const FULL_LOAD_WAIT = 'Wait for full load';

export interface SimulatedMigration {
  run: WorkflowRun;
  historyEvents: number;
  stateTransitions: number;
  /** Safety-net timeouts of the full-load wait, each followed by a check of its own. */
  safetyNetTimeouts: number;
  /** Local wall-clock time from the check that noticed the end of the load to the workflow's next state, in ms. */
  moveOnDelayMs?: number;
}

/** `count` full-load percentages rising evenly to 100. */
function evenProgress(count: number): number[] {
  return Array.from({ length: count }, (_, index) => Math.floor(((index + 1) * 100) / count));
}

/**
 * The whole workflow over a full load lasting `hours`, as deployed: the full-load wait parks on its task token;
 * the watcher's minute checks look at the load (milestone e-mails only, nothing in the execution's history);
 * each safety-net period ends in a timeout, a check by the workflow itself, and a new wait; the first check
 * after the load reaches 100 % hands the token back (a full-load-and-cdc task sends no event for it).
 */
export async function simulateEventDriven(synthesized: Synthesized, hours: number, engine: EngineFixture = TASK_ENGINE): Promise<SimulatedMigration> {
  const safetyNetMinutes = Number(synthesized.definition.States[FULL_LOAD_WAIT].TimeoutSeconds) / 60;
  const scenario = {
    ...HAPPY_PATH,
    engine: engine.engine,
    progressSteps: evenProgress((hours * 60) / PROGRESS_STEP_MINUTES),
    progressStepsPerWait: safetyNetMinutes / PROGRESS_STEP_MINUTES,
  };
  const run = await runWorkflow(synthesized, scenario, engine.input());
  const timeouts = run.events.filter((event) => event.type === 'StateFailed' && event.state?.name === FULL_LOAD_WAIT).length;
  return { ...figures(synthesized, run), safetyNetTimeouts: timeouts, moveOnDelayMs: moveOnDelay(run) };
}

/**
 * The same workflow with the full-load wait replaced by the naive loop (Wait 60 s, check progress, choose),
 * DMS moving on by one step between two polls.
 */
export async function simulatePolling(synthesized: Synthesized, hours: number): Promise<SimulatedMigration> {
  const polling = pollingVariant(synthesized);
  const run = await runWorkflow(polling, { ...HAPPY_PATH, progressSteps: evenProgress((hours * 3600) / POLLING_INTERVAL_SECONDS) });
  return { ...figures(polling, run), safetyNetTimeouts: 0 };
}

function figures(synthesized: Synthesized, run: WorkflowRun) {
  if (run.status !== 'SUCCEEDED') throw new Error(`The simulated migration failed: ${JSON.stringify(run.error)}`);
  return { run, historyEvents: historyEventCount(run.events, synthesized.definition), stateTransitions: stateTransitionCount(run.events) };
}

/** From the check that handed the token back to the state entered after the wait. */
function moveOnDelay(run: WorkflowRun): number | undefined {
  const exits = run.events.flatMap((event, index) => (event.type === 'StateExited' && event.state?.name === FULL_LOAD_WAIT ? [index] : []));
  const lastExit = exits[exits.length - 1];
  const next = run.events.slice(lastExit + 1).find((event) => event.type === 'StateEntered');
  return run.fullLoadNoticedAt === undefined || !next ? undefined : next.timestamp - run.fullLoadNoticedAt;
}

/** The definition with `Wait for full load` turned into a 60-second Wait before the next progress check. */
export function pollingVariant(synthesized: Synthesized): Synthesized {
  const states: AslDefinition['States'] = {
    ...synthesized.definition.States,
    [FULL_LOAD_WAIT]: { Type: 'Wait', Seconds: POLLING_INTERVAL_SECONDS, Next: 'Check full-load progress' },
  };
  // The event-driven wait's own failure handling is unreachable now, and the runner refuses unreachable states.
  const reachable = reachableStates({ ...synthesized.definition, States: states });
  return {
    ...synthesized,
    definition: { ...synthesized.definition, States: Object.fromEntries(Object.entries(states).filter(([name]) => reachable.has(name))) },
    taskPhases: Object.fromEntries(Object.entries(synthesized.taskPhases).filter(([name]) => name !== FULL_LOAD_WAIT && reachable.has(name))),
  };
}

function reachableStates(definition: AslDefinition): Set<string> {
  const reached = new Set<string>();
  const visit = (name: string | undefined) => {
    if (!name || reached.has(name)) return;
    reached.add(name);
    const state = definition.States[name] as { Next?: string; Default?: string; Choices?: Array<{ Next: string }>; Catch?: Array<{ Next: string }> };
    for (const next of [state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next), ...(state.Catch ?? []).map((handler) => handler.Next)]) visit(next);
  };
  visit(definition.StartAt);
  return reached;
}
