import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { PhaseFunction, type PhaseNetwork } from '../constructs/phase-function';
import { checkProgress } from './check-progress';
import { checkTarget } from './check-target';
import { checkValidation } from './check-validation';
import { cutover } from './cutover';
import { checkReadiness, compareDataChunk, planDataComparison, reportDataComparison } from './database-checks';
import { awaitFullLoad, fullLoadWatcher } from './full-load-wait';
import { notify } from './notify';
import type { DatabaseContext, OrchestratorContext, PhaseDefinition } from './phase';
import { requestApproval } from './request-approval';
import { runLock } from './run-lock';
import { startTask } from './start-task';
import { testConnections } from './test-connections';
import { validateInput } from './validate-input';

export type { DatabaseContext, OrchestratorContext, PhaseDefinition } from './phase';

/**
 * Every phase of a migration, declared once. The constructs build their functions from these, the state
 * machine takes its function types from their names, and each phase's settings and grants sit together in
 * its own file in this folder.
 */
export const ORCHESTRATOR_PHASES = {
  validateInput,
  checkTarget,
  testConnections,
  startTask,
  checkProgress,
  awaitFullLoad,
  fullLoadWatcher,
  checkValidation,
  requestApproval,
  cutover,
  notify,
  runLock,
} satisfies Record<string, PhaseDefinition<OrchestratorContext>>;

/** The phases that talk to the databases directly, built only when the migration has `database`. */
export const DATABASE_CHECK_PHASES = {
  checkReadiness,
  planDataComparison,
  compareDataChunk,
  reportDataComparison,
} satisfies Record<string, PhaseDefinition<DatabaseContext>>;

export type OrchestratorPhase = keyof typeof ORCHESTRATOR_PHASES;
export type DatabaseCheckPhase = keyof typeof DATABASE_CHECK_PHASES;
export type Phase = OrchestratorPhase | DatabaseCheckPhase;
/** The phases the workflow's Task states call; the watcher is woken by DMS events and a schedule instead. */
export type WorkflowPhase = Exclude<OrchestratorPhase, 'fullLoadWatcher'>;

/** Each phase's handler module under functions/ (`check-target/handler`), by phase name. */
export function phaseEntry(phase: Phase): string {
  return entryOf(({ ...ORCHESTRATOR_PHASES, ...DATABASE_CHECK_PHASES } as Record<Phase, PhaseDefinition<never>>)[phase]);
}

function entryOf(phase: PhaseDefinition<never>): string {
  return `${phase.folder}/${phase.handlerFile ?? 'handler'}`;
}

export interface PhaseFunctionSettings {
  /** Encrypts the functions' log groups. */
  readonly logKey: IKey;
  /** Where phases marked `network` run. @default no VPC */
  readonly network?: PhaseNetwork;
}

/**
 * One function per phase, in `scope`, each with the environment and the grants its definition declares.
 * The construct id is the phase name capitalized (`checkTarget` -> `CheckTarget`).
 */
export function createPhaseFunctions<Name extends string, Context>(
  scope: Construct,
  phases: Record<Name, PhaseDefinition<Context>>,
  context: Context,
  settings: PhaseFunctionSettings,
): Record<Name, PhaseFunction> {
  const functions = {} as Record<Name, PhaseFunction>;
  for (const name of Object.keys(phases) as Name[]) {
    const phase = phases[name];
    const fn = new PhaseFunction(scope, `${name.charAt(0).toUpperCase()}${name.slice(1)}`, {
      entry: entryOf(phase as PhaseDefinition<never>),
      description: phase.description,
      logKey: settings.logKey,
      environment: phase.environment?.(context),
      timeout: phase.timeout,
      memorySize: phase.memorySize,
      network: phase.network ? settings.network : undefined,
    });
    phase.grant?.(fn, context);
    functions[name] = fn;
  }
  return functions;
}
