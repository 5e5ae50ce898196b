import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import type { ChunkComparison } from './compare-chunk';
import type { KeyValues, Salt } from './row-sql';
import type { TableShape } from './table-shape';

/**
 * One comparison run in the plans bucket, under `runs/<runId>/`:
 *   tables/<n>.json    what is compared for table n (shape, target schema, or why it cannot be compared)
 *   chunks.json        every chunk, the Distributed Map's item list
 *   results/<n>-<c>.json  one chunk's result, written by the worker that compared it
 *   report.json        the per-table report
 * Workers read and write S3 rather than pass results through the state machine, so no payload ever nears the
 * 256 KB Step Functions limit, whatever the number of tables or chunks.
 */
export interface ComparedTable {
  index: number;
  schema: string;
  targetSchema: string;
  table: string;
  /** How the table is compared; `null` shape when it cannot be (the reason says why). */
  method: 'key-ranges' | 'whole-table-by-key' | 'whole-table-without-key' | 'not-compared';
  shape: TableShape | null;
  keyColumns: string[];
  /** Why the table is compared the weaker way, or why not at all; column types that differ between the sides. */
  note?: string;
  problem?: 'missing-on-target' | 'only-on-target' | 'columns-differ' | 'key-missing-on-target';
  /** The run's row salt (row-sql.ts): every chunk of every table is hashed with it on both sides. */
  salt: Salt;
  chunkCount: number;
}

export interface ChunkItem {
  runId: string;
  tableIndex: number;
  chunkIndex: number;
  lower: KeyValues | null;
  upper: KeyValues | null;
}

export interface ChunkResult extends ChunkComparison {
  tableIndex: number;
  chunkIndex: number;
}

/** Names one comparison in the plans bucket: the execution name and when in the runbook it runs. */
export const runIdSchema = z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,200}$/, { error: 'expected a run id of 1-200 letters, digits, _ . or -' }));

export const chunkItemSchema = z.object({
  runId: runIdSchema,
  tableIndex: z.int().check(z.minimum(0)),
  chunkIndex: z.int().check(z.minimum(0)),
  lower: z.nullable(z.array(z.string())),
  upper: z.nullable(z.array(z.string())),
});

const runPrefix = (runId: string) => `runs/${runId}/`;
export const tableKey = (runId: string, index: number) => `${runPrefix(runId)}tables/${index}.json`;
export const chunksKey = (runId: string) => `${runPrefix(runId)}chunks.json`;
export const resultsPrefix = (runId: string) => `${runPrefix(runId)}results/`;
export const resultKey = (runId: string, tableIndex: number, chunkIndex: number) => `${resultsPrefix(runId)}${tableIndex}-${chunkIndex}.json`;
export const reportKey = (runId: string) => `${runPrefix(runId)}report.json`;

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
}

export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString()) as T;
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key as string));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}
