import type { Replication, ReplicationConfig, TableStatistics } from '@aws-sdk/client-database-migration-service';
import { STOP_REASONS } from '../../../functions/shared/dms';
import { SERVERLESS_STATUSES, START_TYPES, type ServerlessStatus as ReplicationStatus } from '../../../functions/shared/replication/vocabulary';
import type { DatabaseCredentials } from '../../../functions/shared/mysql';
import { AwsServiceError } from '../protocols';
import type { CaptureSummary, LatencyMetric } from './capture-progress';
import { eventEnvelope, type DmsEndpointDefinition, type DmsFaults, type DmsMigrationType, type DmsReplicationConfigDefinition, type DmsReplicationEvent } from './definitions';
import { probeEndpoint } from './endpoint-probe';
import { ReplicationRun } from './replication-run';

/**
 * One DMS Serverless replication config and the replication it runs: the statuses DMS moves it through, its
 * ProvisionData, StopReason, FailureMessages and ReplicationStats, and the EventBridge events it sends. The
 * data moves exactly as a task's does (the shared run, `replication-run.ts`).
 *
 * StartReplication takes it from `created` (or `stopped`, `failed`) through the documented start-up states
 * (`initializing` ... `replication_starting`, functions/shared/replication/vocabulary.ts) to `running`. In
 * `testing_connection` it really connects to both endpoints, as DMS Serverless does instead of an instance's
 * TestConnection; a failure fails the replication with the connection error in FailureMessages. Capacity is
 * provisioned in `provisioning_capacity` (ProvisionState `provisioning`, then `provisioned` with
 * MinCapacityUnits DCUs: the emulator never scales) and given back after the replication stops, fails or
 * finishes its full load (`deprovisioning`, then `deprovisioned`). Only a deprovisioned config can be deleted.
 *
 * Deliberately not emulated: CdcStartTime, CdcStopPosition, premigration assessments, RecoveryCheckpoint and
 * capacity scaling.
 */
export interface EmulatedReplicationOptions {
  definition: DmsReplicationConfigDefinition;
  faults: DmsFaults;
  batchRows: number;
  cdcLagMillis: number;
  endpoint(arn: string): DmsEndpointDefinition;
  credentialsOf(endpointArn: string): DatabaseCredentials;
  onEvent(event: DmsReplicationEvent): void;
}

/** The statuses a started replication passes through before it runs, in order (the vocabulary lists them so). */
export const REPLICATION_STARTING_STATUSES = SERVERLESS_STATUSES.slice(SERVERLESS_STATUSES.indexOf('initializing'), SERVERLESS_STATUSES.indexOf('running'));

/**
 * ProvisionData.ProvisionState: a plain string the API model does not enumerate. These are the emulator's
 * (LocalStack's AWS-validated DMS Serverless tests wait for `deprovisioned` after a stop, before deleting the
 * config); the workflow only reports the state, never decides on it (docs/dms-serverless-facts.md).
 */
export type ProvisionState = 'provisioning' | 'provisioned' | 'deprovisioning' | 'deprovisioned';

/** Statuses in which DMS is busy with the replication: it can be neither started nor deleted. */
const BUSY_STATUSES: ReadonlySet<string> = new Set<ReplicationStatus>([...REPLICATION_STARTING_STATUSES, 'running', 'stopping', 'deleting']);

/** What DMS looks at before it starts, stops or deletes a replication. */
export interface ReplicationStanding {
  identifier: string;
  status: ReplicationStatus;
  migrationType: DmsMigrationType;
  /** It has run before (a first run must be start-replication). */
  everStarted: boolean;
  provisionState?: string;
}

/**
 * StartReplication's refusals. `start-replication` is the only valid first run; `resume-processing` neither
 * starts a replication that never ran nor applies to a full-load one (StartReplicationMessage, SDK model); a
 * replication DMS is busy with cannot start (the message is the one DMS answers with, "Replication for
 * Replication Config: <id> is in <STATE> state and cannot start"). The emulator starts at a CdcStartPosition
 * (file:position) only, never at a CdcStartTime.
 */
export function refuseStart(replication: ReplicationStanding, input: Record<string, unknown>): void {
  const startType = String(input.StartReplicationType);
  if (!(START_TYPES as readonly string[]).includes(startType)) {
    throw new AwsServiceError('InvalidParameterValueException', `Invalid StartReplicationType ${startType}: expected one of ${START_TYPES.join(', ')}`);
  }
  if (input.CdcStartTime !== undefined) {
    if (input.CdcStartPosition !== undefined) throw new AwsServiceError('InvalidParameterCombinationException', 'Specify either CdcStartTime or CdcStartPosition, not both');
    throw new AwsServiceError('InvalidParameterValueException', 'The emulator does not start a replication at a CdcStartTime: give a CdcStartPosition (file:position)');
  }
  if (BUSY_STATUSES.has(replication.status)) refuse(replication, 'start');
  if (!replication.everStarted && startType !== 'start-replication') {
    throw new AwsServiceError('InvalidResourceStateFault', `Replication for Replication Config: ${replication.identifier} has never been started: its first run is start-replication`);
  }
  if (startType === 'resume-processing' && replication.migrationType === 'full-load') {
    throw new AwsServiceError('InvalidParameterValueException', 'resume-processing does not apply to a full-load replication: partially loaded tables cannot be resumed');
  }
}

/** StopReplication's refusal: only a running replication stops. */
export function refuseStop(replication: ReplicationStanding): void {
  if (replication.status !== 'running') refuse(replication, 'stop');
}

/** DeleteReplicationConfig's refusal: not until the replication has stopped and its capacity is given back. */
export function refuseDeletion(replication: ReplicationStanding): void {
  const { provisionState, status } = replication;
  if (BUSY_STATUSES.has(status) || (provisionState !== undefined && provisionState !== ('deprovisioned' satisfies ProvisionState))) {
    throw new AwsServiceError(
      'InvalidResourceStateFault',
      `Replication config ${replication.identifier} cannot be deleted: its replication is ${status}${provisionState ? ` and ${provisionState}` : ''}; stop it and wait until it is deprovisioned`,
    );
  }
}

function refuse(replication: ReplicationStanding, action: 'start' | 'stop'): never {
  throw new AwsServiceError('InvalidResourceStateFault', `Replication for Replication Config: ${replication.identifier} is in ${replication.status.toUpperCase()} state and cannot ${action}`);
}

export class EmulatedReplication {
  private replication: Replication;
  private readonly config: ReplicationConfig;
  private readonly run: ReplicationRun;
  private started = false;
  private halted = false;
  private starting?: Promise<void>;

  constructor(private readonly options: EmulatedReplicationOptions) {
    const { definition } = options;
    const now = new Date();
    this.config = {
      ReplicationConfigIdentifier: definition.replicationConfigIdentifier,
      ReplicationConfigArn: definition.replicationConfigArn,
      SourceEndpointArn: definition.sourceEndpointArn,
      TargetEndpointArn: definition.targetEndpointArn,
      ReplicationType: definition.migrationType,
      ComputeConfig: { MinCapacityUnits: 1, ...definition.computeConfig },
      ReplicationSettings: JSON.stringify({ Logging: { EnableLogging: definition.loggingEnabled === true }, ValidationSettings: { EnableValidation: definition.validationEnabled } }),
      TableMappings: JSON.stringify(definition.tableMappings),
      ReplicationConfigCreateTime: now,
      IsReadOnly: false,
    };
    this.replication = {
      ReplicationConfigIdentifier: definition.replicationConfigIdentifier,
      ReplicationConfigArn: definition.replicationConfigArn,
      SourceEndpointArn: definition.sourceEndpointArn,
      TargetEndpointArn: definition.targetEndpointArn,
      ReplicationType: definition.migrationType,
      Status: ('created' satisfies ReplicationStatus),
      ReplicationCreateTime: now,
      IsReadOnly: false,
    };
    this.run = new ReplicationRun(options, {
      running: () => this.enter('running', {}, 'Replication is running.'),
      fullLoadOnlyFinished: () => this.ended('stopped', { StopReason: STOP_REASONS.fullLoadOnlyFinished }, STOP_REASONS.fullLoadOnlyFinished),
      failed: (message) => this.ended('failed', { StopReason: STOP_REASONS.fatalError, FailureMessages: [message] }, message),
      // A table that fails to load leaves the replication running, its message among FailureMessages (a
      // task keeps it as LastFailureMessage, which a Replication does not have).
      tableFailed: (message) => {
        this.replication = { ...this.replication, FailureMessages: [...(this.replication.FailureMessages ?? []), message] };
        this.emit('Failure', 'REPLICATION_TABLE_ERROR', message);
      },
    });
  }

  get definition(): DmsReplicationConfigDefinition {
    return this.options.definition;
  }

  get status(): ReplicationStatus {
    return this.replication.Status as ReplicationStatus;
  }

  private get standing(): ReplicationStanding {
    const { replicationConfigIdentifier: identifier, migrationType } = this.definition;
    return { identifier, status: this.status, migrationType, everStarted: this.started, provisionState: this.replication.ProvisionData?.ProvisionState };
  }

  /** The config as DescribeReplicationConfigs returns it. */
  describeConfig(): ReplicationConfig {
    return structuredClone(this.config);
  }

  /** The replication as DescribeReplications returns it. */
  describe(): Replication {
    return { ...structuredClone(this.replication), ...(this.started ? { ReplicationStats: this.run.describeStats() } : {}) };
  }

  /** DescribeReplicationTableStatistics: DMS has no statistics for a replication that never ran. */
  describeTables(): TableStatistics[] {
    if (!this.started) throw new AwsServiceError('InvalidResourceStateFault', `Replication for Replication Config: ${this.definition.replicationConfigIdentifier} has not been started`);
    return this.run.describeTables();
  }

  describeCapture(): CaptureSummary | undefined {
    return this.run.describeCapture();
  }

  latencyDatapoints(metric: LatencyMetric, start: number, end: number, periodMillis: number) {
    return this.run.latencyDatapoints(metric, start, end, periodMillis);
  }

  /** StartReplication, unless DMS refuses it (refuseStart). */
  start(input: Record<string, unknown>): { Replication: Replication } {
    refuseStart(this.standing, input);
    const startType = String(input.StartReplicationType);
    const cdcStartPosition = input.CdcStartPosition === undefined ? undefined : String(input.CdcStartPosition);
    this.enter(
      'initializing',
      { StartReplicationType: startType, StopReason: undefined, FailureMessages: undefined, ReplicationDeprovisionTime: undefined, ...(cdcStartPosition ? { CdcStartPosition: cdcStartPosition } : {}) },
      `Replication started with ${startType}.`,
    );
    const cdcOnly = this.definition.migrationType === 'cdc';
    const fullLoad = !cdcOnly && (startType !== 'resume-processing' || this.run.describeStats().FullLoadProgressPercent !== 100);
    this.starting = this.provisionAndRun(fullLoad, fullLoad || cdcOnly, this.replication.CdcStartPosition);
    return { Replication: this.describe() };
  }

  /** StopReplication: only a running replication stops; it shows `stopping` until its run has ended. */
  stop(): { Replication: Replication } {
    refuseStop(this.standing);
    this.enter('stopping', {}, 'Replication is stopping.');
    const response = { Replication: this.describe() };
    const stopped = this.run.stop();
    setTimeout(() => {
      void stopped.then(() => this.ended('stopped', { StopReason: STOP_REASONS.normal }, STOP_REASONS.normal));
    }, STATUS_STEP_MILLIS);
    return response;
  }

  /** DeleteReplicationConfig: refused until the replication has stopped and its capacity is given back. */
  beginDeletion(whenGone: () => void): { ReplicationConfig: ReplicationConfig } {
    refuseDeletion(this.standing);
    this.enter('deleting', {}, 'Replication config is being deleted.');
    setTimeout(whenGone, STATUS_STEP_MILLIS);
    return { ReplicationConfig: this.describeConfig() };
  }

  /** Ends the start-up or the running load, validation or capture after its current step, as the emulator shuts down. */
  halt(): void {
    this.halted = true;
    this.run.halt();
  }

  async settled(): Promise<void> {
    await this.starting;
    await this.run.settled();
  }

  /** The start-up states one after the other, the connection test in its own, then the run. */
  private async provisionAndRun(fullLoad: boolean, replicate: boolean, cdcStartPosition: string | undefined): Promise<void> {
    // StartReplication already answered `initializing`, the first of them.
    for (const next of REPLICATION_STARTING_STATUSES.slice(1)) {
      await pause(STATUS_STEP_MILLIS);
      if (this.halted) return;
      if (next === 'provisioning_capacity') this.provision('provisioning');
      if (next === 'replication_starting') this.provision('provisioned');
      this.enter(next, {}, `Replication is ${next.replace(/_/g, ' ')}.`);
      if (next === 'testing_connection') {
        const failures = await this.testConnections();
        if (failures.length > 0) {
          this.ended('failed', { StopReason: STOP_REASONS.fatalError, FailureMessages: failures }, failures.join(' '));
          return;
        }
      }
    }
    this.started = true;
    this.run.begin(fullLoad, replicate, cdcStartPosition, async () => undefined);
  }

  private async testConnections(): Promise<string[]> {
    const results = await Promise.all(
      [this.definition.sourceEndpointArn, this.definition.targetEndpointArn].map((arn) => probeEndpoint(this.options.endpoint(arn), this.options.credentialsOf(arn), this.options.faults)),
    );
    return results.filter((failure): failure is string => failure !== undefined);
  }

  private provision(state: 'provisioning' | 'provisioned'): void {
    const units = this.config.ComputeConfig?.MinCapacityUnits ?? 1;
    this.replication = {
      ...this.replication,
      ProvisionData: state === 'provisioned' ? { ProvisionState: state, ProvisionedCapacityUnits: units, DateProvisioned: new Date(), IsNewProvisioningAvailable: false } : { ProvisionState: state },
    };
  }

  /** A new status, announced on EventBridge (a failure in the Failure category). */
  private enter(next: ReplicationStatus, fields: Partial<Replication>, detailMessage: string): void {
    this.replication = { ...this.replication, ...fields, Status: next, ReplicationUpdateTime: new Date() };
    this.emit(next === 'failed' ? 'Failure' : 'StateChange', `REPLICATION_${next.toUpperCase()}`, detailMessage);
  }

  /** Stopped or failed: DMS gives the capacity back a little later (ReplicationDeprovisionTime says when). */
  private ended(next: 'stopped' | 'failed', fields: Partial<Replication>, detailMessage: string): void {
    const now = new Date();
    this.run.markStopped();
    const provisioned = this.replication.ProvisionData?.ProvisionState !== undefined;
    this.enter(
      next,
      {
        ...fields,
        ReplicationLastStopTime: now,
        ...(provisioned ? { ProvisionData: { ...this.replication.ProvisionData, ProvisionState: ('deprovisioning' satisfies ProvisionState) }, ReplicationDeprovisionTime: new Date(now.getTime() + DEPROVISION_MILLIS) } : {}),
      },
      detailMessage,
    );
    if (!provisioned) return;
    setTimeout(() => {
      // Started again in the meantime: the new run keeps its capacity.
      if (this.replication.ProvisionData?.ProvisionState !== ('deprovisioning' satisfies ProvisionState)) return;
      this.replication = { ...this.replication, ProvisionData: { ProvisionState: ('deprovisioned' satisfies ProvisionState), ProvisionedCapacityUnits: 0 } };
    }, DEPROVISION_MILLIS);
  }

  private emit(category: DmsReplicationEvent['detail']['category'], eventType: string, detailMessage: string): void {
    this.options.onEvent({
      ...eventEnvelope(this.definition.replicationConfigArn),
      'detail-type': 'DMS Replication State Change',
      detail: { type: 'REPLICATION_CONFIG', category, eventType, detailMessage },
    });
  }
}

const pause = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** How long each start-up state lasts (minutes on AWS) and how long a stop or a deletion takes. */
const STATUS_STEP_MILLIS = 50;
/** How long after a stop DMS gives the capacity back (the emulator's; AWS takes minutes). */
const DEPROVISION_MILLIS = 300;
