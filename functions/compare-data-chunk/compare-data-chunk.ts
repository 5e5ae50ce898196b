import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { compareChunk, targetSide } from '../shared/data-comparison/compare-chunk';
import { getJson, putJson, resultKey, tableKey, type ChunkItem, type ChunkResult, type ComparedTable } from '../shared/data-comparison/comparison-run';
import { withBothDatabases, type DatabaseAccess } from '../shared/data-comparison/sessions';
import type { TableShape } from '../shared/data-comparison/table-shape';
import { independentValidationSettings, type MigrationConfig } from '../shared/migration-input';

export interface CompareClients {
  secretsManager: SecretsManagerClient;
  s3: S3Client;
}

/**
 * One Map item: compares one chunk on both databases, locates its differing rows, and stores the result
 * next to the plan. Writing the same result again is harmless, so a retried or re-driven item is idempotent.
 */
export async function compareDataChunk(
  clients: CompareClients,
  bucket: string,
  config: MigrationConfig & { database: DatabaseAccess },
  chunk: ChunkItem,
): Promise<{ tableIndex: number; chunkIndex: number; match: boolean }> {
  const settings = z.parse(independentValidationSettings, config.independentValidation ?? {});
  const table = await getJson<ComparedTable>(clients.s3, bucket, tableKey(chunk.runId, chunk.tableIndex));
  const shape = table.shape as TableShape;
  const comparison = await withBothDatabases(clients.secretsManager, config.database, (source, target) =>
    compareChunk({ connection: source, shape }, targetSide(target, shape, table.targetSchema), chunk, {
      maxKeys: settings.maxReportedKeys,
      confirmAfterMs: settings.confirmAfterSeconds * 1000,
      salt: table.salt,
      keyOrderMatches: table.method === 'key-ranges',
    }),
  );
  await putJson(clients.s3, bucket, resultKey(chunk.runId, chunk.tableIndex, chunk.chunkIndex), {
    ...comparison,
    tableIndex: chunk.tableIndex,
    chunkIndex: chunk.chunkIndex,
  } satisfies ChunkResult);
  return { tableIndex: chunk.tableIndex, chunkIndex: chunk.chunkIndex, match: comparison.match };
}
