/** The emulated DMS's resources as the rehearsal defines them, its faults, and the events its tasks send. */

export interface DmsEndpointDefinition {
  endpointArn: string;
  endpointIdentifier: string;
  endpointType: 'source' | 'target';
  secretArn: string;
}

export type DmsMigrationType = 'full-load' | 'full-load-and-cdc' | 'cdc';

/** What a replication moves, whichever engine runs it (a task on an instance, or DMS Serverless). */
export interface DmsReplicationDefinition {
  migrationType: DmsMigrationType;
  sourceEndpointArn: string;
  targetEndpointArn: string;
  /** The table mappings (selection rules with `%` wildcards). */
  tableMappings: { rules: Array<Record<string, unknown>> };
  /** ValidationSettings.EnableValidation. */
  validationEnabled: boolean;
  /** Logging.EnableLogging: the replication logs to CloudWatch Logs (DMS's default is off). */
  loggingEnabled?: boolean;
}

export interface DmsTaskDefinition extends DmsReplicationDefinition {
  replicationTaskArn: string;
  replicationTaskIdentifier: string;
  replicationInstanceArn: string;
}

/**
 * A DMS Serverless replication config (`arn:aws:dms:<region>:<account>:replication-config:<id>`): its
 * ReplicationType is the migration type, and its ComputeConfig bounds the capacity DMS provisions, in DMS
 * capacity units (DCU; the SDK's ComputeConfig: MaxCapacityUnits required, MinCapacityUnits 1 by default).
 */
export interface DmsReplicationConfigDefinition extends DmsReplicationDefinition {
  replicationConfigArn: string;
  replicationConfigIdentifier: string;
  computeConfig: { MaxCapacityUnits: number; MinCapacityUnits?: number };
}

export interface DmsInstanceDefinition {
  replicationInstanceArn: string;
  replicationInstanceIdentifier: string;
}

/** What a rehearsal can make go wrong, to prove the workflow's failure paths end to end. */
export interface DmsFaults {
  /** The connection test of this endpoint fails as DMS reports an unreachable server. */
  failConnection?: 'source' | 'target';
  /** This table (name or schema.name) goes into "Table error" after its first batch. */
  erroredTable?: string;
  /** One row of this target table is changed after the full load, before validation. */
  alterTargetRow?: string;
}

interface DmsEventEnvelope {
  version: '0';
  id: string;
  source: 'aws.dms';
  account: string;
  time: string;
  region: string;
  /** The task's or the replication config's ARN. */
  resources: string[];
}

/** The fields every DMS event carries, for the task or replication config `resourceArn` (region and account from it). */
export function eventEnvelope(resourceArn: string): DmsEventEnvelope {
  const [, , , region, account] = resourceArn.split(':');
  return { version: '0', id: `emulated-${Date.now()}`, source: 'aws.dms', account, time: new Date().toISOString(), region, resources: [resourceArn] };
}

/** An EventBridge event as DMS sends it for a task's state change. */
export interface DmsTaskEvent extends DmsEventEnvelope {
  'detail-type': 'DMS Replication Task State Change';
  detail: { type: 'REPLICATION_TASK'; category: 'StateChange' | 'Failure'; eventType: string; detailMessage: string; eventId?: string };
}

/**
 * An EventBridge event for a DMS Serverless replication's state change: detail-type "DMS Replication State
 * Change" (EventBridge events reference, DMS page), the config ARN in `resources`, a detail of type
 * `REPLICATION_CONFIG` whose eventType names the new status (`REPLICATION_INITIALIZING`), as a captured event
 * shows it (docs/dms-serverless-facts.md). Sent on every status change.
 */
export interface DmsReplicationEvent extends DmsEventEnvelope {
  'detail-type': 'DMS Replication State Change';
  detail: { type: 'REPLICATION_CONFIG'; category: 'StateChange' | 'Failure'; eventType: string; detailMessage: string };
}

/** What the emulated DMS sends to EventBridge. */
export type DmsEvent = DmsTaskEvent | DmsReplicationEvent;
