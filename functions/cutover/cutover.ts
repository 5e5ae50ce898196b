import { directionOf, sidesOf, type DatabaseSide, type Direction } from '../shared/cutover-vocabulary';
import { CutoverPreconditionFailed, InvalidInput, NothingToRollBack, SwitchIncomplete } from '../shared/errors';
import { targetSchemaName, type MigrationConfig } from '../shared/migration-input';
import { withMysql } from '../shared/mysql';
import { engineOf, replicationOf, type ReplicationState } from '../shared/replication';
import { readableTime } from '../shared/operator-text';
import { compareEndpoints, type EndpointOfSide } from '../shared/server-identity';
import { readBinlogPosition } from './binlog';
import { loadCutoverRecord, saveCutoverRecord, type CutoverRecord } from './cutover-record';
import { credentialsOf, cutoverEffects, onSide, type CatchUpStep, type CutoverClients, type CutoverEffects, type FreezeStep } from './effects';
import { checkGate, probeDatabases, type GateReport, type IndependentValidation } from './gate';
import { findReverseTask, reverseResource, startReverseReplication, type ReversePath } from './reverse-replication';
import { currentParameterValue, type CutoverTarget, type SwitchRecord } from './switch';
import { restoreWrites, type ReadOnlySettings } from './write-freeze';

/**
 * The cutover's steps as the workflow calls them, one per state, in both directions. `to-target` freezes the
 * source and proves the target caught up; `to-source` (the rollback) freezes the target and proves the old
 * source caught up through the reverse task. Each step is safe to run again after a retry. What a step
 * changes goes through the run's effects (effects.ts), live or dry run.
 */
export interface CutoverRun {
  clients: CutoverClients;
  config: MigrationConfig;
  direction: Direction;
  effects: CutoverEffects;
}

/** One call of the cutover function: its direction from the input's mode, its effects from `cutover.dryRun`. */
export function cutoverRun(clients: CutoverClients, config: MigrationConfig): CutoverRun {
  return { clients, config, direction: directionOf(config.mode), effects: cutoverEffects(clients, config) };
}

export interface StepSettings {
  tokenTableName: string;
}

/** The replication in the run's direction (its ARN): the forward one, or the way back's for a rollback. */
async function replicatingTaskArn({ clients, config, direction }: CutoverRun): Promise<string> {
  if (direction === 'to-target') return replicationOf(clients.dms, config).forward.arn;
  const reverse = await findReverseTask(clients.dms, config);
  if (!reverse?.arn) throw new NothingToRollBack(`There is no ${reverseResource(engineOf(config))}: nothing carries the target’s writes back, so a rollback would lose them`);
  return reverse.arn;
}

export async function gateStep(run: CutoverRun, independentValidation?: IndependentValidation): Promise<GateReport> {
  const { clients, config } = run;
  const { database } = config;
  const schema = database?.schemas[0];
  const probe = database && schema
    ? async (task: Pick<ReplicationState, 'sourceEndpointArn' | 'targetEndpointArn'>) => {
        const [source, target] = [await credentialsOf(clients, config, 'source'), await credentialsOf(clients, config, 'target')];
        // A rollback's task is the reverse one: it reads the target and writes to the source.
        const { from, to } = sidesOf(run.direction);
        const endpoints = await compareEndpoints(
          clients.dms,
          [
            { endpointArn: task.sourceEndpointArn, role: 'source' as const, side: from },
            { endpointArn: task.targetEndpointArn, role: 'target' as const, side: to },
          ].filter((endpoint): endpoint is EndpointOfSide => endpoint.endpointArn !== undefined),
          { source: { secretArn: database.sourceSecretArn, credentials: source }, target: { secretArn: database.targetSecretArn, credentials: target } },
        );
        return withMysql(source, 'source', (sourceConnection) =>
          withMysql(target, 'target', (targetConnection) => probeDatabases(sourceConnection, targetConnection, endpoints, from, schema, targetSchemaName(database, schema))),
        );
      }
    : undefined;
  return checkGate(clients, config, {
    direction: run.direction,
    taskArn: await replicatingTaskArn(run),
    effects: run.effects,
    ...(probe ? { probe } : {}),
    ...(independentValidation ? { independentValidation } : {}),
  });
}

/** `prepare-way-back` creates the reverse task and starts its endpoint tests; `check-way-back` reads it again. */
export function prepareWayBackStep(run: CutoverRun, startTests: boolean): Promise<ReversePath> {
  return run.effects.prepareReversePath(startTests);
}

/** Why this run has no freeze and no marker, or undefined when it has both. */
async function noCatchUpReason({ clients, config, direction }: CutoverRun): Promise<string | undefined> {
  if (!config.database) return 'no database access in the input: the switch relies on CDC latency alone';
  if (direction === 'to-target' && (await replicationOf(clients.dms, config).forward.describe()).migrationType === 'full-load') {
    return 'full-load task: writes stopped before the load, there is no CDC to catch up';
  }
  return undefined;
}

/**
 * Freezes the side applications leave. `beforeFreeze` is what the gate read there: the settings every failure
 * path gives back, even when this step runs again after a first attempt that froze the side and then failed
 * (its own reading would then be read_only=ON).
 */
export async function freezeStep(run: CutoverRun, beforeFreeze?: GateReport['beforeFreeze']): Promise<FreezeStep> {
  const { from: side } = sidesOf(run.direction);
  const skipped = (await noCatchUpReason(run)) ?? (run.config.cutover.writeFreeze.enabled ? undefined : 'writeFreeze.enabled is false: the application was stopped another way');
  if (skipped) return { side, frozen: false, skipped };
  const frozen = await run.effects.freeze(side);
  if (!frozen.freeze || beforeFreeze?.side !== side) return frozen;
  return { ...frozen, freeze: { ...frozen.freeze, previous: beforeFreeze.settings } };
}

export async function catchUpStep(run: CutoverRun, freeze: FreezeStep, markerPrefix: string): Promise<CatchUpStep> {
  const skipped = await noCatchUpReason(run);
  if (skipped) return { skipped };
  return run.effects.proveCatchUp(freeze, markerPrefix);
}

/** A side the run froze, and the settings it had before: what the failure path gives back. */
export interface FrozenSide {
  side: DatabaseSide;
  previous: ReadOnlySettings;
}

/** The side to give back from the freeze's record, or, when the freeze itself failed, from the gate's reading. */
export function frozenSideOf(freeze: FreezeStep | undefined, gate: Pick<GateReport, 'beforeFreeze'> | undefined): FrozenSide | undefined {
  if (freeze) return freeze.frozen && freeze.freeze ? { side: freeze.side, previous: freeze.freeze.previous } : undefined;
  return gate?.beforeFreeze ? { side: gate.beforeFreeze.side, previous: gate.beforeFreeze.settings } : undefined;
}

/**
 * The failure path after a freeze: the frozen side gets its recorded settings back. Safe to repeat. Never once
 * the endpoint parameter names the side applications move to (a switch that published, then failed or timed
 * out): applications may be writing there already, and writes on the frozen side would never reach them, so it
 * stays frozen and the failure says so (SwitchIncomplete).
 */
export async function unfreezeStep(
  run: CutoverRun,
  settings: StepSettings,
  target: CutoverTarget | undefined,
  frozen: FrozenSide | undefined,
): Promise<{ restored?: ReadOnlySettings }> {
  if (!frozen) return {};
  const { clients, config } = run;
  const { to } = sidesOf(run.direction);
  const switchedTo = await endpointAfterSwitch(run, settings, target);
  if ((await currentParameterValue(clients.ssm, config.cutover.endpointParameterName)) === switchedTo) {
    throw new SwitchIncomplete(
      `The endpoint parameter ${config.cutover.endpointParameterName} already names ${switchedTo}, the ${to}: the switch published it before it failed, so applications move to the ${to} and the ${frozen.side} keeps its writes frozen.`,
    );
  }
  return { restored: await onSide(clients, config, frozen.side, (connection) => restoreWrites(connection, frozen.previous)) };
}

/**
 * The endpoint the switch publishes in the run's direction: the target's writer endpoint, or, on the way back,
 * the endpoint applications had before the cutover (the source's address when none was recorded).
 */
async function endpointAfterSwitch(run: CutoverRun, settings: StepSettings, target: CutoverTarget | undefined): Promise<string> {
  if (run.direction === 'to-target') {
    if (!target) throw new InvalidInput(['target: the target writer endpoint is needed to switch to it']);
    return `${target.writerEndpoint}:${target.port}`;
  }
  return endpointBeforeCutover(run, await loadCutoverRecord(run.clients.dynamoDb, settings.tokenTableName, run.config.migrationName));
}

async function endpointBeforeCutover({ clients, config }: CutoverRun, record: CutoverRecord): Promise<string> {
  if (record.previousEndpoint) return record.previousEndpoint;
  if (!config.database) throw new NothingToRollBack('The cutover record has no earlier endpoint and the input no source database: nothing to switch back to');
  const source = await credentialsOf(clients, config, 'source');
  return `${source.host}:${source.port}`;
}

export type SwitchStep = SwitchRecord & { sourceWritesRestored?: ReadOnlySettings };

export async function switchStep(
  run: CutoverRun,
  settings: StepSettings,
  target: CutoverTarget | undefined,
  freeze: FreezeStep,
  now: () => Date = () => new Date(),
): Promise<SwitchStep> {
  if (run.direction === 'to-source') return switchBack(run, settings, now);
  const { clients, config } = run;
  const endpoint = await endpointAfterSwitch(run, settings, target);
  const readTargetPosition = config.rollback.enabled ? () => onSide(clients, config, 'target', readBinlogPosition) : undefined;
  // The record is written before the endpoint is published: once applications move, a rollback needs it.
  const recordCutover = (pending: SwitchRecord) =>
    saveCutoverRecord(clients.dynamoDb, settings.tokenTableName, {
      migrationName: config.migrationName,
      switchedAt: pending.completedAt,
      endpoint: pending.endpoint,
      previousEndpoint: pending.previousEndpoint,
      sourceReadOnlyBeforeFreeze: freeze.freeze?.previous,
      reverseStartPosition: pending.binlogPosition,
    });
  return run.effects.switchOver(
    {
      stopTaskArn: replicationOf(clients.dms, config).forward.arn,
      endpoint,
      snapshot: true,
      ...(readTargetPosition ? { capturePosition: readTargetPosition } : {}),
      beforePublish: recordCutover,
    },
    now,
  );
}

/**
 * Rollback's switch: stops the reverse task once the old source caught up, publishes the endpoint the
 * applications had before the cutover (or the source's address), and gives the source back the read_only
 * settings it had before the first freeze, so applications can write there again.
 */
async function switchBack(run: CutoverRun, settings: StepSettings, now: () => Date): Promise<SwitchStep> {
  const { clients, config } = run;
  const record = await loadCutoverRecord(clients.dynamoDb, settings.tokenTableName, config.migrationName);
  const stopTaskArn = await replicatingTaskArn(run);
  const endpoint = await endpointBeforeCutover(run, record);
  const switched = await run.effects.switchOver({ stopTaskArn, endpoint, snapshot: false }, now);
  // The source's endpoint is published: from here a failure must not give the frozen target its writes back.
  try {
    const beforeFreeze = record.sourceReadOnlyBeforeFreeze;
    const sourceWritesRestored = beforeFreeze && config.database ? await onSide(clients, config, 'source', (connection) => restoreWrites(connection, beforeFreeze)) : undefined;
    await saveCutoverRecord(clients.dynamoDb, settings.tokenTableName, { ...record, rolledBackAt: switched.completedAt });
    return { ...switched, ...(sourceWritesRestored ? { sourceWritesRestored } : {}) };
  } catch (error) {
    throw new SwitchIncomplete(
      `The source endpoint ${endpoint} is published, but restoring the source's writes or recording the rollback failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Starts the way back right after the switch. The old source stays read_only for applications, but
 * super_read_only goes back to its earlier value so the reverse task's user (which needs READ ONLY ADMIN in
 * MariaDB, CONNECTION_ADMIN or SUPER in MySQL) can apply the target's writes.
 */
export async function startReverseStep({ clients, config }: CutoverRun, switched: SwitchRecord, freeze: FreezeStep): Promise<Awaited<ReturnType<typeof startReverseReplication>>> {
  const reverse = await findReverseTask(clients.dms, config);
  if (!reverse?.arn) throw new NothingToRollBack(`The ${reverseResource(engineOf(config))} disappeared after the gate`);
  if (!switched.binlogPosition) throw new NothingToRollBack('The switch recorded no binlog position on the target: the way back has no safe start');
  const frozen = freeze.freeze;
  if (frozen?.superReadOnlyAvailable) {
    await onSide(clients, config, 'source', (connection) => restoreWrites(connection, { readOnly: 'ON', superReadOnly: frozen.previous.superReadOnly ?? 'OFF' }));
  }
  return startReverseReplication(clients.dms, config, reverse.arn, switched.binlogPosition);
}

/** `complete`: after the soak, the way back is removed. Refuses before the soak is over or after a rollback. */
export async function completeStep(
  run: CutoverRun,
  settings: StepSettings,
  soakOnly = false,
  now: () => Date = () => new Date(),
): Promise<{ soakEndedAt: string; removed: boolean; taskStatus: string }> {
  const { clients, config } = run;
  const record = await loadCutoverRecord(clients.dynamoDb, settings.tokenTableName, config.migrationName);
  if (record.rolledBackAt) throw new NothingToRollBack(`The cutover was rolled back at ${readableTime(record.rolledBackAt)}: the applications use the source again, there is nothing to complete`);
  const soakEndsAt = new Date(new Date(record.switchedAt).getTime() + config.rollback.soakMinutes * 60_000);
  if (now() < soakEndsAt) {
    throw new CutoverPreconditionFailed([`the soak time after the cutover runs until ${readableTime(soakEndsAt.toISOString())}; the way back stays until then`]);
  }
  if (soakOnly) return { soakEndedAt: soakEndsAt.toISOString(), removed: false, taskStatus: 'not changed yet' };
  const removal = await run.effects.removeReversePath();
  if (removal.removed) await saveCutoverRecord(clients.dynamoDb, settings.tokenTableName, { ...record, completedAt: now().toISOString() });
  return { soakEndedAt: soakEndsAt.toISOString(), removed: removal.removed, taskStatus: removal.taskStatus };
}
