import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Connection } from 'mysql2/promise';
import { tlsModeOf, type MigrationConfig } from '../migration-input';
import { readDatabaseCredentials, withMysql } from '../mysql';

export type DatabaseAccess = NonNullable<MigrationConfig['database']>;

/**
 * Runs `work` with a read-only session on the source and one on the target (both UTC/utf8mb4), closing both.
 * READ ONLY makes any write an error: the comparison must never change either database.
 */
export async function withBothDatabases<T>(
  secretsManager: SecretsManagerClient,
  database: DatabaseAccess,
  work: (source: Connection, target: Connection) => Promise<T>,
): Promise<T> {
  const [sourceCredentials, targetCredentials] = await Promise.all([
    readDatabaseCredentials(secretsManager, database.sourceSecretArn, tlsModeOf(database, 'source')),
    readDatabaseCredentials(secretsManager, database.targetSecretArn, tlsModeOf(database, 'target')),
  ]);
  return withMysql(sourceCredentials, 'source', (source) =>
    withMysql(targetCredentials, 'target', async (target) => {
      await Promise.all([source.query('SET SESSION TRANSACTION READ ONLY'), target.query('SET SESSION TRANSACTION READ ONLY')]);
      return work(source, target);
    }),
  );
}
