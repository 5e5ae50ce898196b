import type { MigrationInput } from '../../functions/shared/migration-input';
import type { ReplicationEngine } from '../../functions/shared/replication';
import { ENGINE_FACTS } from '../../functions/shared/replication';
import { REPLICATION_CONFIG_ARN, TASK_ARN, migrationInput, serverlessMigrationInput } from './migration';
import { DEPLOYMENT } from './synthesized-workflow';

/**
 * The two replication engines the workflow runs on, as the locally executed workflow tests see them: what the
 * input names, the deployment synthesized for it, what LocalAws records as DMS's actions, the states its
 * connection tests go through, and the EventBridge event DMS sends. Workflow tests run each path on both
 * (test/statemachine/workflow-paths.ts); everything else about a path is the same on either engine.
 */
export interface EngineFixture {
  engine: ReplicationEngine;
  /** For test names. */
  name: string;
  /** The migration's execution input on this engine, with the same overrides as migrationInput. */
  input(overrides?: Partial<MigrationInput>): MigrationInput;
  /** The test deployment for this engine (its grants, event rule and alarms are the engine's). */
  deployment: typeof DEPLOYMENT;
  /** The ARN of the migration's replication. */
  arn: string;
  /** What LocalAws records for each DMS action. */
  actions: { testConnections: string[]; start(startType: string): string; stop: string };
  /**
   * The states between the first connection check and the start: a task's TestConnection runs on its instance
   * and is polled (one `testing` answer in the happy path); DMS Serverless tests connections itself when it
   * starts, so the check answers at once.
   */
  connectionTestWait: string[];
  /** What DMS sends EventBridge when the replication stops or a table fails. */
  stateChangeEvent: Record<string, unknown>;
  /** The state that reads the replication first (where a throttled read is retried). */
  firstReplicationRead: string;
  /** How an unreachable source ends the run: the state that fails, its error, the DMS message quoted, DMS's actions. */
  connectionFailure: { failedState: string; error: string; message: string; actions: string[] };
}

export const TASK_ENGINE: EngineFixture = {
  engine: 'task',
  name: 'a replication task',
  input: (overrides = {}) => migrationInput({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' }, ...overrides }),
  deployment: DEPLOYMENT,
  arn: TASK_ARN,
  actions: { testConnections: ['TestConnection', 'TestConnection'], start: (startType) => `StartReplicationTask ${startType}`, stop: 'StopReplicationTask' },
  connectionTestWait: ['Wait for connection tests', 'Count connection checks', 'Check connection tests', 'Connection tests finished?'],
  firstReplicationRead: 'Start task',
  connectionFailure: {
    failedState: 'Check connection tests',
    error: 'ConnectionTestFailed',
    message: "The source endpoint orders-ec2-mysql failed its connection test: Can't connect to MySQL server on '10.0.1.15' (110)",
    actions: ['TestConnection', 'TestConnection'],
  },
  stateChangeEvent: {
    version: '0',
    source: 'aws.dms',
    'detail-type': ENGINE_FACTS.task.stateChangeDetailType,
    resources: [TASK_ARN],
    detail: { type: 'REPLICATION_TASK', category: 'StateChange', eventType: 'REPLICATION_TASK_STATE_CHANGE' },
  },
};

const { monitoring: _instanceMetrics, ...withoutInstance } = DEPLOYMENT;

export const SERVERLESS_ENGINE: EngineFixture = {
  engine: 'serverless',
  name: 'a DMS Serverless replication',
  input: (overrides = {}) => serverlessMigrationInput({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' }, ...overrides }),
  // A serverless replication runs on no instance: the deployment names none to monitor.
  deployment: { ...withoutInstance, migration: serverlessMigrationInput({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' } }) } as typeof DEPLOYMENT,
  arn: REPLICATION_CONFIG_ARN,
  actions: { testConnections: [], start: (startType) => `StartReplication ${startType}`, stop: 'StopReplication' },
  connectionTestWait: [],
  // DMS Serverless fails the started replication in testing_connection; the full-load wait reports it.
  // Its connection check reads the replication config's endpoints.
  firstReplicationRead: 'Test connections',
  connectionFailure: {
    failedState: 'Check full-load progress',
    error: 'TaskInUnexpectedState',
    message: "Test connection for endpoint orders-ec2-mysql failed: Can't connect to MySQL server on '10.0.1.15' (110)",
    actions: ['StartReplication start-replication'],
  },
  stateChangeEvent: {
    version: '0',
    source: 'aws.dms',
    'detail-type': ENGINE_FACTS.serverless.stateChangeDetailType,
    resources: [REPLICATION_CONFIG_ARN],
    detail: { type: 'REPLICATION_CONFIG', category: 'StateChange', eventType: 'REPLICATION_STOPPED' },
  },
};

export const ENGINES = [TASK_ENGINE, SERVERLESS_ENGINE];
