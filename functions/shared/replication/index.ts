import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { ReplicationFields } from '../migration-input';
import type { ReplicationEngineClient } from './replication';
import type { ReplicationEngine } from './state';
import { serverlessEngine } from './serverless';
import { taskEngine } from './task';

export type { CdcOnlyReplicationSpec, Replication, ReplicationEndpoints, ReplicationEngineClient } from './replication';
export { hasFailed, isFullLoadComplete, replicationPhase, type ReplicationEngine, type ReplicationPhase, type ReplicationState } from './state';
export { ENGINE_FACTS, START_TYPES, engineOfArn, type StartType } from './vocabulary';

/** The engine a migration runs on, from the validated config: the one place that asks. */
export function engineOf(config: ReplicationFields): ReplicationEngine {
  return config.replicationConfigArn !== undefined ? 'serverless' : 'task';
}

/** The migration's replications, on the engine its config chose. */
export function replicationOf(dms: DatabaseMigrationServiceClient, config: ReplicationFields): ReplicationEngineClient {
  return config.replicationConfigArn !== undefined
    ? serverlessEngine(dms, config.replicationConfigArn)
    : taskEngine(dms, config.replicationTaskArn, config.replicationInstanceArn);
}
