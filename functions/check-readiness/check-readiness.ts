import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { replicationOf } from '../shared/replication';
import { ReadinessCheckFailed } from '../shared/errors';
import { readinessSettings, targetSchemaName, tlsModeOf, type MigrationConfig } from '../shared/migration-input';
import { readDatabaseCredentials, withMysql } from '../shared/mysql';
import { compareEndpoints, compareSessions } from '../shared/server-identity';
import { serverIdentityChecks, sourceChecks, targetChecks, type ReadinessCheck } from './readiness-checks';
import { readSourceFacts, readTargetFacts } from './server-facts';

export interface ReadinessReport {
  outcome: 'ready' | 'ready-with-warnings';
  migrationType: string;
  counts: Record<ReadinessCheck['status'], number>;
  checks: ReadinessCheck[];
}

export interface ReadinessClients {
  secretsManager: SecretsManagerClient;
  dms: DatabaseMigrationServiceClient;
}

type DatabaseConfig = MigrationConfig & { database: NonNullable<MigrationConfig['database']> };

/**
 * Reads both servers and decides whether the migration can start. The migration type comes from the task
 * itself (DescribeReplicationTasks), so a full-load-only task skips the binary log checks whatever the input
 * says. The checks first prove the two sessions reach two servers, the ones the task's endpoints reach: every
 * other check is worthless if the target secret points at the source. Any failed check stops the workflow with every failure named; warnings are reported and go on.
 */
export async function checkReadiness(clients: ReadinessClients, config: DatabaseConfig): Promise<ReadinessReport> {
  const { database } = config;
  const settings = z.parse(readinessSettings, config.readiness ?? {});
  const task = await replicationOf(clients.dms, config).forward.describe();
  // An unknown type is checked as the strictest one, which needs the binary log.
  const migrationType = task.migrationType === 'unknown' ? 'full-load-and-cdc' : task.migrationType;
  const [sourceCredentials, targetCredentials] = await Promise.all([
    readDatabaseCredentials(clients.secretsManager, database.sourceSecretArn, tlsModeOf(database, 'source')),
    readDatabaseCredentials(clients.secretsManager, database.targetSecretArn, tlsModeOf(database, 'target')),
  ]);
  const targetSchemas = database.schemas.map((schema) => targetSchemaName(database, schema));
  // Both sessions stay open together: proving they reach two servers needs one to watch the other's lock.
  const { source, target, sessions } = await withMysql(sourceCredentials, 'source', (sourceConnection) =>
    withMysql(targetCredentials, 'target', async (targetConnection) => {
      const [sourceFacts, targetFacts] = await Promise.all([
        readSourceFacts(sourceConnection, { schemas: database.schemas, lobScanRows: settings.lobScanRows }),
        readTargetFacts(targetConnection, { schemas: targetSchemas, lobScanRows: settings.lobScanRows }),
      ]);
      return { source: sourceFacts, target: targetFacts, sessions: await compareSessions(sourceConnection, targetConnection) };
    }),
  );
  const endpoints = await compareEndpoints(
    clients.dms,
    [
      { endpointArn: task.sourceEndpointArn ?? config.sourceEndpointArn, role: 'source', side: 'source' },
      { endpointArn: task.targetEndpointArn ?? config.targetEndpointArn, role: 'target', side: 'target' },
    ],
    { source: { secretArn: database.sourceSecretArn, credentials: sourceCredentials }, target: { secretArn: database.targetSecretArn, credentials: targetCredentials } },
  );
  // Target facts are named by target schema; the checks compare them under the source names.
  const sourceNameOf = new Map(database.schemas.map((schema) => [targetSchemaName(database, schema), schema]));
  const renamed = (name: string) => {
    const [schema, ...rest] = name.split('.');
    return [sourceNameOf.get(schema) ?? schema, ...rest].join('.');
  };
  const targetFacts = {
    ...target,
    existingSchemas: target.existingSchemas.map(renamed),
    collations: Object.fromEntries(Object.entries(target.collations).map(([name, collation]) => [renamed(name), collation])),
  };
  const checkSettings = { schemas: database.schemas, minBinlogRetentionHours: settings.minBinlogRetentionHours, fullLoadOnly: migrationType === 'full-load', lobWarnBytes: 32 * 1024 };
  const checks = [...serverIdentityChecks(sessions, endpoints), ...sourceChecks(source, checkSettings), ...targetChecks(targetFacts, source, checkSettings)];
  const failed = checks.filter((check) => check.status === 'fail');
  if (failed.length > 0) throw new ReadinessCheckFailed(failed.map((check) => `${check.side} ${check.name}: ${check.seen}. ${check.remedy}`));
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const check of checks) counts[check.status] += 1;
  return { outcome: counts.warn > 0 ? 'ready-with-warnings' : 'ready', migrationType, counts, checks };
}
