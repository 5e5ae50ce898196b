/** The emulated DMS's resources as the rehearsal defines them, its faults, and the events its tasks send. */

export interface DmsEndpointDefinition {
  endpointArn: string;
  endpointIdentifier: string;
  endpointType: 'source' | 'target';
  secretArn: string;
}

export type DmsMigrationType = 'full-load' | 'full-load-and-cdc' | 'cdc';

export interface DmsTaskDefinition {
  replicationTaskArn: string;
  replicationTaskIdentifier: string;
  migrationType: DmsMigrationType;
  sourceEndpointArn: string;
  targetEndpointArn: string;
  replicationInstanceArn: string;
  /** The task's table mappings (selection rules with `%` wildcards). */
  tableMappings: { rules: Array<Record<string, unknown>> };
  /** ValidationSettings.EnableValidation. */
  validationEnabled: boolean;
  /** Logging.EnableLogging: the task logs to CloudWatch Logs (DMS's default is off). */
  loggingEnabled?: boolean;
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

/** An EventBridge event as DMS sends it for a task's state change. */
export interface DmsTaskEvent {
  version: '0';
  id: string;
  'detail-type': 'DMS Replication Task State Change';
  source: 'aws.dms';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { type: 'REPLICATION_TASK'; category: 'StateChange' | 'Failure'; eventType: string; detailMessage: string; eventId?: string };
}
