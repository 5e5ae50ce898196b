/**
 * Readiness as plain decisions over facts read from the servers (server-facts.ts): each check says pass,
 * warn or fail, what it saw, and in one sentence what to do. Requirements are those AWS DMS documents for a
 * MySQL source ("Using a MySQL-compatible database as a source for AWS DMS": binary logging on, ROW format,
 * FULL row image, binary logs kept long enough, REPLICATION CLIENT + REPLICATION SLAVE + SELECT) and for a
 * MySQL target (the DMS user creates and writes the target tables).
 */
import { listed } from '../shared/bounded-text';
import { describeServer, sameServerProblem, type EndpointServer, type SessionServers } from '../shared/server-identity';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface ReadinessCheck {
  id: string;
  side: 'source' | 'target';
  name: string;
  status: CheckStatus;
  seen: string;
  /** What to do, for a warn or a fail. */
  remedy?: string;
}

export interface LobColumn {
  table: string;
  column: string;
  dataType: string;
  /** Largest value in bytes; null when the table is empty. */
  largestBytes: number | null;
  /** True when the largest value comes from a sample (the table is too large to read whole). */
  sampled: boolean;
}

export interface SourceFacts {
  logBin: boolean;
  binlogFormat: string;
  binlogRowImage: string;
  serverId: number;
  /** How long binary logs are kept, in seconds; null when they never expire automatically. */
  binlogRetentionSeconds: number | null;
  /** Which setting the retention comes from, as named on the server. */
  binlogRetentionSetting: string;
  grants: string[];
  tables: Array<{ table: string; estimatedRows: number; dataBytes: number; hasKey: boolean }>;
  lobColumns: LobColumn[];
  /** Default collation per schema, and `schema.table.column` -> collation for character columns. */
  collations: Record<string, string>;
}

export interface TargetFacts {
  readOnly: boolean;
  existingSchemas: string[];
  grants: string[];
  /** The server default, which schemas DMS creates will get. */
  defaultCollation: string;
  /** As on the source, for the schemas and tables that already exist on the target. */
  collations: Record<string, string>;
}

export interface ReadinessSettings {
  schemas: string[];
  /** Binary logs must be kept at least this long. */
  minBinlogRetentionHours: number;
  /** Full-load-only tasks never read the binary log. */
  fullLoadOnly: boolean;
  /** LOBs above this size are truncated by DMS limited LOB mode (LobMaxSize, 32 KB by default). */
  lobWarnBytes: number;
}

const check = (side: ReadinessCheck['side'], id: string, name: string, status: CheckStatus, seen: string, remedy: string): ReadinessCheck =>
  status === 'pass' ? { id, side, name, status, seen } : { id, side, name, status, seen, remedy };

export function sourceChecks(facts: SourceFacts, settings: ReadinessSettings): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  if (!settings.fullLoadOnly) checks.push(...binlogChecks(facts, settings));
  checks.push(privilegeCheck(facts.grants, settings));
  const keyless = facts.tables.filter((table) => !table.hasKey).map((table) => table.table);
  checks.push(
    check(
      'source',
      'primary-keys',
      'Every table has a primary or unique key',
      keyless.length === 0 ? 'pass' : 'warn',
      keyless.length === 0 ? `${facts.tables.length} tables, all keyed` : `${keyless.length} without a key: ${listed(keyless)}`,
      'Add a primary key where you can: DMS validation skips keyless tables and CDC updates on them scan the target table; the independent validation only compares their counts and checksums.',
    ),
  );
  checks.push(lobCheck(facts.lobColumns, settings));
  const totalRows = facts.tables.reduce((sum, table) => sum + table.estimatedRows, 0);
  const totalBytes = facts.tables.reduce((sum, table) => sum + table.dataBytes, 0);
  const largest = [...facts.tables].sort((a, b) => b.dataBytes - a.dataBytes)[0];
  checks.push(
    check(
      'source',
      'table-sizes',
      'Tables, rows and data size (estimates from information_schema)',
      facts.tables.length === 0 ? 'warn' : 'pass',
      facts.tables.length === 0
        ? `no tables in ${settings.schemas.join(', ')}`
        : `${facts.tables.length} tables, about ${totalRows.toLocaleString('en-US')} rows, ${formatBytes(totalBytes)}; largest ${largest.table} (${formatBytes(largest.dataBytes)})`,
      'Check the schema names in the input: there is nothing to migrate.',
    ),
  );
  return checks;
}

function binlogChecks(facts: SourceFacts, settings: ReadinessSettings): ReadinessCheck[] {
  const minimumSeconds = settings.minBinlogRetentionHours * 3600;
  const retention = facts.binlogRetentionSeconds;
  return [
    check('source', 'binlog', 'Binary logging is on', facts.logBin ? 'pass' : 'fail', `log_bin=${facts.logBin ? 'ON' : 'OFF'}`, 'Start the source with log-bin (and a server-id), then restart MySQL: DMS reads changes from the binary log.'),
    check('source', 'binlog-format', 'binlog_format is ROW', facts.binlogFormat.toUpperCase() === 'ROW' ? 'pass' : 'fail', `binlog_format=${facts.binlogFormat}`, 'Set binlog_format=ROW (SET GLOBAL and in the config file): DMS CDC needs row-based events.'),
    check('source', 'binlog-row-image', 'binlog_row_image is FULL', facts.binlogRowImage.toUpperCase() === 'FULL' ? 'pass' : 'fail', `binlog_row_image=${facts.binlogRowImage}`, 'Set binlog_row_image=FULL: with MINIMAL or NOBLOB images DMS cannot apply updates to every column.'),
    check(
      'source',
      'binlog-retention',
      `Binary logs are kept at least ${settings.minBinlogRetentionHours} h`,
      retention === null || retention >= minimumSeconds ? 'pass' : 'fail',
      retention === null ? `${facts.binlogRetentionSetting}: never purged automatically` : `${facts.binlogRetentionSetting}: ${formatHours(retention)}`,
      `Keep binary logs at least ${settings.minBinlogRetentionHours} h (binlog_expire_logs_seconds, expire_logs_days, or on RDS CALL mysql.rds_set_configuration('binlog retention hours', ${settings.minBinlogRetentionHours})) so DMS can resume after an interruption.`,
    ),
    check('source', 'server-id', 'server_id is set', facts.serverId > 0 ? 'pass' : 'fail', `server_id=${facts.serverId}`, 'Set a non-zero server-id in the source configuration and restart MySQL: replication clients need it.'),
  ];
}

/** A privilege grant, parsed from one SHOW GRANTS line. */
interface Grant {
  privileges: string[];
  /** `*` for every schema, otherwise the schema (or LIKE pattern); null for table-level grants. */
  schema: string | null;
}

export function parseGrant(line: string): Grant | null {
  const match = /^GRANT (.+?) ON (?:(?:TABLE|FUNCTION|PROCEDURE) )?(\S+) TO /i.exec(line);
  if (!match) return null;
  // Column privileges ("SELECT (id, name)") carry a column list; only the privilege name matters here.
  const privileges = match[1].replace(/\s*\([^)]*\)/g, '').split(/,\s*/).map((privilege) => privilege.trim().toUpperCase());
  const [schemaPart, tablePart] = match[2].split('.');
  if (tablePart !== '*') return { privileges, schema: null };
  return { privileges, schema: schemaPart === '*' ? '*' : schemaPart.replace(/`/g, '').replace(/\\([_%])/g, '$1') };
}

function grantsOn(grants: Grant[], schema: string | '*'): Set<string> {
  const found = new Set<string>();
  for (const grant of grants) {
    const applies = grant.schema === '*' || (schema !== '*' && grant.schema !== null && likeMatches(grant.schema, schema));
    if (applies) grant.privileges.forEach((privilege) => found.add(privilege));
  }
  return found;
}

function likeMatches(pattern: string, schema: string): boolean {
  if (!/[%_]/.test(pattern)) return pattern === schema;
  const expression = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${expression}$`).test(schema);
}

const has = (privileges: Set<string>, ...names: string[]) => privileges.has('ALL PRIVILEGES') || privileges.has('ALL') || names.some((name) => privileges.has(name));

export function privilegeCheck(grantLines: string[], settings: ReadinessSettings): ReadinessCheck {
  const grants = grantLines.map(parseGrant).filter((grant): grant is Grant => grant !== null);
  const global = grantsOn(grants, '*');
  const missing: string[] = [];
  if (!settings.fullLoadOnly) {
    // MariaDB 10.5+ shows REPLICATION CLIENT as BINLOG MONITOR.
    if (!has(global, 'REPLICATION CLIENT', 'BINLOG MONITOR', 'SUPER')) missing.push('REPLICATION CLIENT ON *.*');
    if (!has(global, 'REPLICATION SLAVE', 'REPLICATION REPLICA')) missing.push('REPLICATION SLAVE ON *.*');
  }
  for (const schema of settings.schemas) if (!has(grantsOn(grants, schema), 'SELECT')) missing.push(`SELECT ON \`${schema}\`.*`);
  return check(
    'source',
    'privileges',
    'The DMS user has the privileges DMS needs',
    missing.length === 0 ? 'pass' : 'fail',
    missing.length === 0 ? 'all granted' : `missing: ${missing.join(', ')}`,
    `Grant the source secret's user ${missing.join(', ') || 'these privileges'} (privileges through roles are not seen here).`,
  );
}

function lobCheck(columns: LobColumn[], settings: ReadinessSettings): ReadinessCheck {
  const large = columns.filter((column) => (column.largestBytes ?? 0) > settings.lobWarnBytes);
  const describe = (column: LobColumn) =>
    `${column.table}.${column.column} ${column.dataType} ${column.largestBytes === null ? 'empty' : `${column.sampled ? 'largest in a sample ' : 'largest '}${formatBytes(column.largestBytes)}`}`;
  return check(
    'source',
    'lob-columns',
    'LOB columns and their largest values',
    large.length > 0 ? 'warn' : 'pass',
    columns.length === 0 ? 'no LOB columns' : listed((large.length > 0 ? large : columns).map(describe)),
    `Use full LOB mode, or set LobMaxSize above ${formatBytes(Math.max(...large.map((column) => column.largestBytes ?? 0)))} in the task settings: limited LOB mode truncates larger values.`,
  );
}

export function targetChecks(target: TargetFacts, source: SourceFacts, settings: ReadinessSettings): ReadinessCheck[] {
  const missingSchemas = settings.schemas.filter((schema) => !target.existingSchemas.includes(schema));
  const grants = target.grants.map(parseGrant).filter((grant): grant is Grant => grant !== null);
  const uncreatable = missingSchemas.filter((schema) => !has(grantsOn(grants, schema), 'CREATE'));
  // Columns are compared where the target already has them; a schema DMS will create gets the server default.
  const differing = Object.entries(source.collations)
    .map(([name, collation]) => ({ name, collation, targetCollation: target.collations[name] ?? (settings.schemas.includes(name) ? target.defaultCollation : undefined) }))
    .filter((entry) => entry.targetCollation !== undefined && entry.targetCollation !== entry.collation);
  return [
    check('target', 'writable', 'The target is writable', target.readOnly ? 'fail' : 'pass', `read_only=${target.readOnly ? 'ON' : 'OFF'}`, 'Point the target secret at the writer (not a reader or replica) and turn read_only off.'),
    check(
      'target',
      'schemas',
      'The target schemas exist or can be created',
      uncreatable.length > 0 ? 'fail' : 'pass',
      missingSchemas.length === 0 ? `all ${settings.schemas.length} exist` : `missing ${missingSchemas.join(', ')}${uncreatable.length > 0 ? `; no CREATE privilege for ${uncreatable.join(', ')}` : ' (the user may create them)'}`,
      `Create ${uncreatable.join(', ')} on the target, or grant the target secret's user CREATE on them.`,
    ),
    check(
      'target',
      'collations',
      'Character sets and collations match the source',
      differing.length === 0 ? 'pass' : 'warn',
      differing.length === 0 ? 'same collations' : `${differing.length} differ: ${listed(differing.map((entry) => `${entry.name} ${entry.collation} -> ${entry.targetCollation}`))}`,
      'Create the target tables with the source collations first (or accept the change knowingly): a different collation changes sorting, uniqueness and comparisons.',
    ),
  ];
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * The two sessions reach two servers, and each DMS endpoint the task uses reaches the server its side's
 * secret names (see shared/server-identity.ts); an endpoint that cannot be compared is a warning.
 */
export function serverIdentityChecks(sessions: SessionServers, endpoints: EndpointServer[]): ReadinessCheck[] {
  const sameServer = sameServerProblem(sessions);
  const checks = [
    check(
      'target',
      'distinct-servers',
      'The source and target sessions reach two different servers',
      sameServer ? 'fail' : 'pass',
      sameServer ? `one server: ${describeServer(sessions.source)}` : `source ${describeServer(sessions.source)}; target ${describeServer(sessions.target)}`,
      'Point the target secret at the target server: reading the source twice would prove nothing about the target.',
    ),
  ];
  for (const endpoint of endpoints) {
    checks.push(
      check(
        endpoint.side,
        `dms-${endpoint.role}-endpoint-server`,
        `The DMS ${endpoint.role} endpoint reaches the ${endpoint.side} secret's server`,
        endpoint.verdict === 'same' ? 'pass' : endpoint.verdict === 'unknown' ? 'warn' : 'fail',
        `${endpoint.endpointIdentifier} ${endpoint.seen}`,
        endpoint.verdict === 'different'
          ? `Point the endpoint and the ${endpoint.side} secret at the same server: DMS would ${endpoint.role === 'source' ? 'read' : 'write'} another server than the checks read.`
          : `Make sure the endpoint's connection names the same server as the ${endpoint.side} secret; the checks cannot compare them.`,
      ),
    );
  }
  return checks;
}

function formatHours(seconds: number): string {
  return seconds === 0 ? '0 h (purged as soon as possible)' : `${+(seconds / 3600).toFixed(1)} h`;
}
