import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { TableStatistics } from '@aws-sdk/client-database-migration-service';
import type { CdcLatencySeries } from '../cdc-latency';
import type { ConnectionTestsResult } from '../connection-tests';
import type { ReplicationEngine, ReplicationState } from './state';
import type { StartType } from './vocabulary';

export interface ReplicationEndpoints {
  sourceEndpointArn: string;
  targetEndpointArn: string;
}

/**
 * One replication, whichever engine runs it: a task on a replication instance, or a DMS Serverless
 * replication config. Phases speak only these verbs; each engine's file says how DMS spells them.
 */
export interface Replication {
  readonly engine: ReplicationEngine;
  /** The task ARN or the replication config ARN. */
  readonly arn: string;
  /** "task" or "replication", for operator messages. */
  readonly noun: string;
  /** Reads it; a missing one is ResourceNotFound. */
  describe(): Promise<ReplicationState>;
  /** Its table mappings (JSON), as DMS stores them. */
  tableMappings(): Promise<string | undefined>;
  /** Starts it with a start type already decided (start-task's decision table); returns the status DMS reports. */
  start(startType: StartType, cdcStartPosition?: string): Promise<string>;
  /** Stops it; one already stopping or stopped is what we want. Returns the status. */
  stop(): Promise<string>;
  /** Deletes it (the way back's own replication only). Returns the status DMS reports. */
  delete(): Promise<string>;
  /** Every table statistics row, all pages. */
  tableStatistics(): Promise<TableStatistics[]>;
  /** CDC latency per minute over `windowMinutes`, ending at `at` (AWS/DMS CDCLatencySource/Target). */
  cdcLatency(cloudWatch: CloudWatchClient, windowMinutes: number, at: Date): Promise<CdcLatencySeries>;
  /**
   * Checks that the endpoints can be used by this replication before anything starts. A task tests them from
   * its replication instance (TestConnection, once per run when `startTests`); serverless has no
   * TestConnection, so see serverless.ts for what is checked instead.
   */
  testConnections(endpoints: ReplicationEndpoints, startTests: boolean): Promise<ConnectionTestsResult>;
}

/** What a CDC-only replication for the way back is made of. */
export interface CdcOnlyReplicationSpec extends ReplicationEndpoints {
  identifier: string;
  tableMappings: string;
  tags: Array<{ Key: string; Value: string }>;
}

/**
 * The engine a migration runs on, chosen once from its config (replicationOf): its forward replication, and
 * the ways to find, create and address the way back's CDC-only replication on the same engine.
 */
export interface ReplicationEngineClient {
  readonly engine: ReplicationEngine;
  readonly forward: Replication;
  /** The replication named `identifier`, or undefined when it does not exist. */
  find(identifier: string): Promise<ReplicationState | undefined>;
  /** Creates a CDC-only replication like the forward one (same instance, or same compute settings); returns its ARN. */
  createCdcOnly(spec: CdcOnlyReplicationSpec): Promise<string | undefined>;
  /** Addresses an existing replication of this engine by ARN. */
  byArn(arn: string): Replication;
}
