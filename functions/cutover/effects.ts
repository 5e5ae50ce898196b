import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Connection } from 'mysql2/promise';
import { directionOf, sidesOf, type DatabaseSide } from '../shared/cutover-vocabulary';
import { CutoverPreconditionFailed } from '../shared/errors';
import { engineOf } from '../shared/replication';
import { logger } from '../shared/logger';
import { targetSchemaName, tlsModeOf, type MigrationConfig } from '../shared/migration-input';
import { CONNECT_TIMEOUT_MS, readDatabaseCredentials, withMysql, type DatabaseCredentials } from '../shared/mysql';
import { catchUpDeadline, HEARTBEAT_TABLE, proveCatchUp, type CatchUpProof } from './catch-up';
import { createReverseTask, readReversePath, removeReversePath, reverseResource, type ReversePath, type ReversePathRemoval } from './reverse-replication';
import { switchOver, type SwitchPlan, type SwitchRecord } from './switch';
import { freezeWrites, listSessionsHoldingWrites, readReadOnlySettings, restoreWrites, type ReadOnlySettings, type SessionHoldingWrites, type WriteFreeze } from './write-freeze';

export interface CutoverClients {
  dms: DatabaseMigrationServiceClient;
  cloudWatch: CloudWatchClient;
  rds: RDSClient;
  ssm: SSMClient;
  secretsManager: SecretsManagerClient;
  dynamoDb: DynamoDBClient;
}

export interface FreezeStep {
  side: DatabaseSide;
  frozen: boolean;
  freeze?: WriteFreeze;
  /** Why nothing was frozen. */
  skipped?: string;
  /** Dry run: the settings and open writers the freeze would meet. */
  preview?: { current: ReadOnlySettings; sessionsHoldingWrites: SessionHoldingWrites[] };
}

export type CatchUpStep = CatchUpProof | { skipped: string };

/**
 * What the cutover changes, as verbs. The steps (cutover.ts) decide when; these do it. A live run changes the
 * databases, DMS and the endpoint parameter; a dry run (`cutover.dryRun`) reads what each change would meet
 * and says what it would do. The handler chooses one, once per call.
 */
export interface CutoverEffects {
  /** The gate found reasons not to cut over: a live run stops here, a dry run reports them with the rest. */
  refuse(blockers: string[]): void;
  /** Freezes the writes of the side the applications leave. */
  freeze(side: DatabaseSide): Promise<FreezeStep>;
  /** Writes the catch-up marker on the side being left and waits for it on the other. */
  proveCatchUp(freeze: FreezeStep, markerPrefix: string): Promise<CatchUpStep>;
  /** Creates the reverse task unless it exists and reads the way back, starting its endpoints' tests when asked. */
  prepareReversePath(startTests: boolean): Promise<ReversePath>;
  /** The way back as DMS reports it, for the gate. */
  readReversePath(): Promise<ReversePath>;
  /** Moves the applications' endpoint (switch.ts). */
  switchOver(plan: SwitchPlan, now: () => Date): Promise<SwitchRecord>;
  /** Stops, then on a later call deletes, the reverse task. */
  removeReversePath(): Promise<ReversePathRemoval>;
}

export function cutoverEffects(clients: CutoverClients, config: MigrationConfig): CutoverEffects {
  return config.cutover.dryRun ? dryRunEffects(clients, config) : liveEffects(clients, config);
}

export async function credentialsOf(clients: CutoverClients, config: MigrationConfig, side: DatabaseSide): Promise<DatabaseCredentials> {
  const database = config.database as NonNullable<MigrationConfig['database']>;
  return readDatabaseCredentials(clients.secretsManager, side === 'source' ? database.sourceSecretArn : database.targetSecretArn, tlsModeOf(database, side));
}

export async function onSide<T>(clients: CutoverClients, config: MigrationConfig, side: DatabaseSide, work: (connection: Connection) => Promise<T>): Promise<T> {
  return withMysql(await credentialsOf(clients, config, side), side, work);
}

/** The heartbeat's schema on each side: the first migrated schema, renamed on the target when the task renames it. */
function heartbeatSchemaOn(config: MigrationConfig, side: DatabaseSide): string {
  const database = config.database as NonNullable<MigrationConfig['database']>;
  const schema = database.schemas[0];
  return side === 'source' ? schema : targetSchemaName(database, schema);
}

function liveEffects(clients: CutoverClients, config: MigrationConfig): CutoverEffects {
  return {
    refuse(blockers) {
      throw new CutoverPreconditionFailed(blockers);
    },
    async freeze(side) {
      const budgetSeconds = config.cutover.writeFreeze.catchUpTimeoutSeconds;
      return { side, frozen: true, freeze: await onSide(clients, config, side, (connection) => freezeWrites(connection, budgetSeconds)) };
    },
    async proveCatchUp(freeze, markerPrefix) {
      const { from, to } = sidesOf(directionOf(config.mode));
      const [fromCredentials, toCredentials] = await Promise.all([credentialsOf(clients, config, from), credentialsOf(clients, config, to)]);
      const timeoutSeconds = config.cutover.writeFreeze.catchUpTimeoutSeconds;
      const deadline = catchUpDeadline(timeoutSeconds, freeze.freeze);
      // Opening a session spends the freeze's budget too; a budget already spent still opens them, for the
      // proof to give the writes back at once and say so.
      const connectTimeoutMs = Math.min(CONNECT_TIMEOUT_MS, Math.max(deadline - Date.now(), 1000));
      const prove = (unfreezer?: Connection) =>
        withMysql(fromCredentials, from, (fromConnection) =>
          withMysql(toCredentials, to, (toConnection) =>
            proveCatchUp(fromConnection, toConnection, {
              sides: { from, to },
              schema: heartbeatSchemaOn(config, from),
              catchingUpSchema: heartbeatSchemaOn(config, to),
              timeoutSeconds,
              markerPrefix,
              ...(freeze.freeze && unfreezer ? { freeze: { record: freeze.freeze, unfreezer } } : {}),
            }),
          connectTimeoutMs),
        connectTimeoutMs);
      const frozen = freeze.freeze;
      if (!frozen) return prove();
      // The session that gives the writes back is opened first, so it exists whatever happens to the others:
      // the proof gives them back itself on every way it ends; a session that could not be opened for it (the
      // target unreachable) is given them back here, before the failure is reported.
      return withMysql(
        fromCredentials,
        from,
        async (unfreezer) => {
          try {
            return await prove(unfreezer);
          } catch (error) {
            await restoreWrites(unfreezer, frozen.previous).catch((restoreError: Error) =>
              logger.error('Could not give the frozen side its writes back after the catch-up failed', { errorName: restoreError.name }),
            );
            throw error;
          }
        },
        connectTimeoutMs,
      );
    },
    async prepareReversePath(startTests) {
      await createReverseTask(clients.dms, config);
      return readReversePath(clients.dms, config, { startTests });
    },
    readReversePath: () => readReversePath(clients.dms, config),
    switchOver: (plan, now) => switchOver(clients, config, plan, now),
    removeReversePath: () => removeReversePath(clients.dms, config),
  };
}

/** Reads everything a live run would act on, changes nothing, and says what it would do. */
function dryRunEffects(clients: CutoverClients, config: MigrationConfig): CutoverEffects {
  return {
    refuse(blockers) {
      logger.info('Dry run: the gate would refuse the cutover', { blockers });
    },
    async freeze(side) {
      const preview = await onSide(clients, config, side, async (connection) => ({
        current: await readReadOnlySettings(connection),
        sessionsHoldingWrites: await listSessionsHoldingWrites(connection),
      }));
      return { side, frozen: false, skipped: 'dry run', preview };
    },
    async proveCatchUp() {
      return { skipped: `dry run: a marker would be written into ${heartbeatSchemaOn(config, 'source')}.${HEARTBEAT_TABLE} and awaited for up to ${config.cutover.writeFreeze.catchUpTimeoutSeconds} s` };
    },
    // Nothing is created or tested: the answer says whether the task would be created, and an endpoint
    // that failed its last test is reported rather than raised.
    prepareReversePath: () => readReversePath(clients.dms, config, { reportFailedTests: true }),
    readReversePath: () => readReversePath(clients.dms, config, { reportFailedTests: true }),
    async switchOver(plan) {
      // The workflow ends a dry run before the switch; this only keeps a stray call from moving anything.
      throw new CutoverPreconditionFailed([`this is a dry run: the endpoint would move to ${plan.endpoint}, but a dry run switches nothing`]);
    },
    async removeReversePath() {
      logger.info(`Dry run: would stop and delete the ${reverseResource(engineOf(config))}`);
      return { removed: false, taskStatus: 'not changed yet' };
    },
  };
}
