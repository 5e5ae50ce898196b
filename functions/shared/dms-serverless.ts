/**
 * DMS Serverless speaks in strings of its own: a replication's `Status` and `ProvisionData.ProvisionState` are
 * plain strings in the API model (no enum), so they are spelled out here, each with where it was read.
 *
 * - Statuses: the DMS User Guide, "AWS DMS Serverless components" (CHAP_Serverless.Components) names the states a
 *   started replication goes through (Initializing, Preparing Metadata Resources, Testing Connection, Fetching
 *   Metadata, Calculating Capacity, Provisioning Capacity, Replication Starting, Running); their API spelling
 *   (`initializing`, `preparing_metadata_resources`, `testing_connection`, `fetching_metadata`,
 *   `calculating_capacity`, `provisioning_capacity`, `replication_starting`, `running`, `stopped`, `failed`) is
 *   the one LocalStack's AWS-validated DMS Serverless tests recorded from DescribeReplications
 *   (tests/aws/services/dms, markers.aws.validated). `created` (a config never started), `stopping` and
 *   `deleting` are the remaining ones those tests and the task vocabulary name.
 * - ProvisionState: `provisioning`, `provisioned`, `deprovisioning`, `deprovisioned` (the same tests wait for
 *   `deprovisioned` after a stop: only then can the config be deleted).
 * - StartReplicationType: `start-replication` (the only valid first run), `resume-processing` (not for a
 *   full-load replication), `reload-target` (StartReplicationMessage in the SDK model).
 * - StopReason: the same "Stop Reason ..." strings as a task's (`Replication.StopReason` in the SDK model).
 */

/** The statuses a started replication passes through before it runs, in order. */
export const REPLICATION_STARTING_STATUSES = [
  'initializing',
  'preparing_metadata_resources',
  'testing_connection',
  'fetching_metadata',
  'calculating_capacity',
  'provisioning_capacity',
  'replication_starting',
] as const;

export const REPLICATION_STATUSES = ['created', ...REPLICATION_STARTING_STATUSES, 'running', 'stopping', 'stopped', 'failed', 'deleting'] as const;
export type ReplicationStatus = (typeof REPLICATION_STATUSES)[number];

export const PROVISION_STATES = ['provisioning', 'provisioned', 'deprovisioning', 'deprovisioned'] as const;
export type ProvisionState = (typeof PROVISION_STATES)[number];

export const START_REPLICATION_TYPES = ['start-replication', 'resume-processing', 'reload-target'] as const;
export type StartReplicationType = (typeof START_REPLICATION_TYPES)[number];

/** ComputeConfig's valid DMS capacity unit (DCU) values (ComputeConfig.MaxCapacityUnits in the SDK model). */
export const CAPACITY_UNITS = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384] as const;
