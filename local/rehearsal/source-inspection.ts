import type { Connection, RowDataPacket } from 'mysql2/promise';
import * as z from 'zod/mini';
import { sourceChecks, targetChecks, type ReadinessCheck } from '../../functions/check-readiness/readiness-checks';
import { readSourceFacts, readTargetFacts } from '../../functions/check-readiness/server-facts';
import { readinessSettings } from '../../functions/shared/migration-input';
import { connectMysql, type DatabaseCredentials } from '../../functions/shared/mysql';

/**
 * The operator's own server, read as the workflow's readiness step would read it (functions/check-readiness),
 * before anything is copied: its binary log settings, the connected user's grants, keyless tables, LOB sizes,
 * table sizes and collations. What would fail there would have blocked the real migration's start; what
 * would warn, warned. The collations are compared with the rehearsal's target server (its server default).
 */
export interface SourceInspection {
  /** `VERSION()` and `CURRENT_USER()` as the server reports them. */
  version: string;
  user: string;
  checks: ReadinessCheck[];
  /** What the copy leaves out (it copies base tables only), by kind. */
  notCopied: { views: string[]; triggers: string[]; routines: string[] };
  /** The collations of the schemas' character columns, most used first, with the columns that use each. */
  collationsInUse: Array<{ collation: string; columns: string[] }>;
}

/**
 * A session that cannot write: `SET SESSION TRANSACTION READ ONLY` makes the server refuse every write in its
 * transactions (ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION), whatever the user may do. Reading needs SELECT on
 * the schemas; the binary log settings come from SHOW GLOBAL VARIABLES, which needs no privilege.
 */
export async function openReadOnlySession(credentials: DatabaseCredentials): Promise<Connection> {
  const connection = await connectMysql(credentials, 'your source');
  await connection.query('SET SESSION TRANSACTION READ ONLY');
  return connection;
}

export async function inspectSource(
  source: Connection,
  target: Connection,
  settings: { schemas: string[]; fullLoadOnly: boolean },
): Promise<SourceInspection> {
  const [[server]] = await source.query<RowDataPacket[]>('SELECT VERSION() AS version, CURRENT_USER() AS user');
  const existing = (await source.query<RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)', [settings.schemas]))[0].map((row) => String(row.name));
  const missing = settings.schemas.filter((schema) => !existing.includes(schema));
  if (missing.length > 0) throw new Error(`${missing.join(', ')}: no such schema on your server, or ${String(server.user)} may not see it (it needs SELECT on it)`);

  const defaults = z.parse(readinessSettings, {});
  const facts = await readSourceFacts(source, { schemas: settings.schemas, lobScanRows: defaults.lobScanRows });
  const checkSettings = { schemas: settings.schemas, minBinlogRetentionHours: defaults.minBinlogRetentionHours, fullLoadOnly: settings.fullLoadOnly, lobWarnBytes: 32 * 1024 };
  const targetFacts = await readTargetFacts(target, { schemas: settings.schemas, lobScanRows: defaults.lobScanRows });
  const collations = targetChecks(targetFacts, facts, checkSettings).filter((check) => check.id === 'collations');
  return {
    version: String(server.version),
    user: String(server.user),
    checks: [...sourceChecks(facts, checkSettings), ...collations],
    notCopied: await objectsNotCopied(source, settings.schemas),
    collationsInUse: collationsInUse(facts.collations, settings.schemas),
  };
}

/** Column collations (`schema.table.column` entries of the facts; the schema entries are defaults), grouped. */
function collationsInUse(collations: Record<string, string>, schemas: string[]): SourceInspection['collationsInUse'] {
  const columns = new Map<string, string[]>();
  for (const [name, collation] of Object.entries(collations)) {
    if (!schemas.includes(name)) columns.set(collation, [...(columns.get(collation) ?? []), name]);
  }
  return [...columns].map(([collation, names]) => ({ collation, columns: names })).sort((a, b) => b.columns.length - a.columns.length);
}

async function objectsNotCopied(source: Connection, schemas: string[]): Promise<SourceInspection['notCopied']> {
  const names = async (sql: string) => (await source.query<RowDataPacket[]>(sql, [schemas]))[0].map((row) => String(row.name));
  return {
    views: await names("SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'VIEW' ORDER BY name"),
    triggers: await names("SELECT CONCAT(TRIGGER_SCHEMA, '.', TRIGGER_NAME) AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (?) ORDER BY name"),
    routines: await names("SELECT CONCAT(ROUTINE_SCHEMA, '.', ROUTINE_NAME) AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (?) ORDER BY name"),
  };
}
