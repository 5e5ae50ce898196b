import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Connection } from 'mysql2/promise';
import { listed } from '../shared/bounded-text';
import { TABLE_STATES, VALIDATION_STATES, qualifiedTableName } from '../shared/dms';
import { sidesOf, type DatabaseSide, type Direction } from '../shared/cutover-vocabulary';
import type { MigrationConfig } from '../shared/migration-input';
import { ENGINE_FACTS, engineOf, replicationOf, type ReplicationState } from '../shared/replication';
import { compareSessions, endpointProblems, sameServerProblem, type EndpointServer, type SessionServers } from '../shared/server-identity';
import { binlogEnabled } from './binlog';
import { HEARTBEAT_TABLE, heartbeatTableExists } from './catch-up';
import type { CutoverEffects } from './effects';
import { cutoverBlockers, type CutoverFacts } from './preconditions';
import { reversePathBlockers, type ReversePath } from './reverse-replication';
import { readReadOnlySettings, type ReadOnlySettings } from './write-freeze';
import { gatherFacts } from './switch';

/** What the direct database probe found; absent when the input has no `database` block. */
export interface DatabaseProbe {
  heartbeatOnSource: boolean;
  heartbeatOnTarget: boolean;
  /** Reverse replication reads the target's binlog. */
  targetBinlogEnabled: boolean;
  /** Which servers the two sessions reached: they must be two. */
  servers: SessionServers;
  /** Which servers the replicating task's endpoints reach, against the secrets of their sides. */
  endpoints: EndpointServer[];
  /** The read_only settings of the side the run freezes, as they are before anything is frozen. */
  frozenSideSettings: ReadOnlySettings;
}

/** The independent data comparison's summary (`$.dataRecheck` or `$.dataComparison`), when it ran. */
export interface IndependentValidation {
  outcome: string;
  [detail: string]: unknown;
}

export interface GateFacts extends CutoverFacts {
  direction: Direction;
  /** Tables DMS cancelled, or with records validation had to suspend. */
  suspendedTables: string[];
  /** The heartbeat table is selected by the replicating task's table mappings. */
  heartbeatInMappings: boolean;
  database?: DatabaseProbe;
  independentValidation?: IndependentValidation;
  /** Only when rollback is enabled and the direction is to the target. */
  reversePath?: ReversePath;
  writeFreeze: boolean;
}

export interface GateReport {
  direction: Direction;
  passed: boolean;
  blockers: string[];
  checkedAt: string;
  /** How the switch will know nothing was left behind. */
  catchUp: 'marker' | 'CDC latency only (no database access in the input)';
  writeFreeze: 'read_only on the source' | 'read_only on the target' | 'skipped (writeFreeze.enabled is false)';
  reversePath?: ReversePath;
  /** The latest CDC latency datapoints of the window the gate read (none for a full-load task): the cut-over e-mail reports them. */
  cdcLatencySeconds?: { source: number; target: number };
  /**
   * When the run will freeze a side: that side and its settings before the freeze, read here once. Whatever
   * fails after the gate (the freeze itself included, or a retry of it) gives back exactly these.
   */
  beforeFreeze?: { side: DatabaseSide; settings: ReadOnlySettings };
}

/** A comparison that found differences fails its own step (DataMismatch); only a match reaches the gate clean. */
const CLEAN_COMPARISONS: ReadonlySet<string> = new Set(['match']);

/** Every reason the gate refuses, in words an operator can act on. */
export function gateBlockers(facts: GateFacts, config: MigrationConfig): string[] {
  const blockers = cutoverBlockers(facts, { ...config.cutover });
  if (facts.suspendedTables.length > 0) blockers.push(`tables suspended or cancelled: ${listed(facts.suspendedTables)}`);
  if (facts.independentValidation && !CLEAN_COMPARISONS.has(facts.independentValidation.outcome)) {
    blockers.push(`independent validation is "${facts.independentValidation.outcome}", not a match`);
  }
  if (facts.database) {
    const sameServer = sameServerProblem(facts.database.servers);
    if (sameServer) blockers.push(sameServer);
    blockers.push(...endpointProblems(facts.database.endpoints));
  }
  // A full-load task carries no marker: writes stopped before the load, so there is nothing to prove.
  if (facts.database && facts.migrationType !== 'full-load') {
    const schema = config.database?.schemas[0] ?? '?';
    const replication = ENGINE_FACTS[engineOf(config)].resourceNoun;
    if (!facts.database.heartbeatOnSource) blockers.push(`the heartbeat table ${schema}.${HEARTBEAT_TABLE} does not exist on the source (create it, see README)`);
    if (!facts.database.heartbeatOnTarget) blockers.push(`the heartbeat table ${schema}.${HEARTBEAT_TABLE} does not exist on the target: it must be replicated by the ${replication}`);
    if (!facts.heartbeatInMappings) blockers.push(`the ${replication}'s table mappings do not select ${schema}.${HEARTBEAT_TABLE}: the catch-up marker could never arrive`);
    if (facts.direction === 'to-target' && config.rollback.enabled && !facts.database.targetBinlogEnabled) {
      blockers.push('the target has no binary log: reverse replication could not start (enable binlog_format in its parameter group)');
    }
  }
  if (facts.reversePath) blockers.push(...reversePathBlockers(facts.reversePath));
  return blockers;
}

/**
 * Whether DMS selection rules include `schema.table`: some include rule matches and no exclude rule does.
 * `%` is the DMS wildcard; names are compared exactly, as MySQL on Linux does.
 */
export function tableMappingsSelect(tableMappings: string | undefined, schema: string, table: string): boolean {
  const rules = ((JSON.parse(tableMappings ?? '{}') as { rules?: Array<Record<string, unknown>> }).rules ?? []).filter((rule) => rule['rule-type'] === 'selection');
  const matches = (rule: Record<string, unknown>) => {
    const locator = (rule['object-locator'] ?? {}) as Record<string, string>;
    return likePattern(locator['schema-name']).test(schema) && likePattern(locator['table-name'] ?? '%').test(table);
  };
  const included = rules.some((rule) => (rule['rule-action'] === 'include' || rule['rule-action'] === 'explicit') && matches(rule));
  return included && !rules.some((rule) => rule['rule-action'] === 'exclude' && matches(rule));
}

function likePattern(pattern: string | undefined): RegExp {
  if (pattern === undefined) return /^(?!)/;
  return new RegExp(`^${pattern.split('%').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * The heartbeat tables, the target's binlog and which servers the sessions reach, read directly (source and
 * target sessions from the handler); `endpoints` is compared by the caller, which holds the secrets.
 */
export async function probeDatabases(
  source: Connection,
  target: Connection,
  endpoints: EndpointServer[],
  frozenSide: DatabaseSide,
  sourceSchema: string,
  targetSchema = sourceSchema,
): Promise<DatabaseProbe> {
  return {
    servers: await compareSessions(source, target),
    endpoints,
    heartbeatOnSource: await heartbeatTableExists(source, sourceSchema),
    heartbeatOnTarget: await heartbeatTableExists(target, targetSchema),
    targetBinlogEnabled: await binlogEnabled(target),
    frozenSideSettings: await readReadOnlySettings(frozenSide === 'source' ? source : target),
  };
}

export interface GateOptions {
  direction: Direction;
  /** The replication in this direction (task or serverless config ARN): the forward one, or the way back's for a rollback. */
  taskArn: string;
  /** What a refusal does (a dry run reports it) and how the way back is read. */
  effects: Pick<CutoverEffects, 'refuse' | 'readReversePath'>;
  /** Reads the databases; given the replicating task, whose endpoints must reach the secrets' servers. */
  probe?: (replication: Pick<ReplicationState, 'sourceEndpointArn' | 'targetEndpointArn'>) => Promise<DatabaseProbe>;
  independentValidation?: IndependentValidation;
}

/**
 * The gate before the freeze: every precondition, all reasons at once. Refuses with
 * CutoverPreconditionFailed; in a dry run the effects report the refusal instead, so the operator sees it all.
 */
export async function checkGate(
  clients: { dms: DatabaseMigrationServiceClient; cloudWatch: CloudWatchClient },
  config: MigrationConfig,
  options: GateOptions,
  now: () => Date = () => new Date(),
): Promise<GateReport> {
  const at = now();
  const replication = replicationOf(clients.dms, config).byArn(options.taskArn);
  const state = await replication.describe();
  const forward = options.direction === 'to-target';
  const tables = await replication.tableStatistics();
  const base = await gatherFacts(clients, config, replication, state, tables, at, forward && config.validation.requireDmsValidation);
  const tableMappings = await replication.tableMappings();
  const schema = config.database?.schemas[0];
  const facts: GateFacts = {
    ...base,
    direction: options.direction,
    suspendedTables: tables
      .filter((table) => table.TableState === TABLE_STATES.cancelled || table.ValidationState === VALIDATION_STATES.suspendedRecords || (table.ValidationSuspendedRecords ?? 0) > 0)
      .map(qualifiedTableName),
    heartbeatInMappings: schema !== undefined && tableMappingsSelect(tableMappings, schema, HEARTBEAT_TABLE),
    writeFreeze: config.cutover.writeFreeze.enabled,
    ...(options.probe ? { database: await options.probe(state) } : {}),
    ...(forward && options.independentValidation ? { independentValidation: options.independentValidation } : {}),
    ...(forward && config.rollback.enabled ? { reversePath: await options.effects.readReversePath() } : {}),
  };
  const blockers = gateBlockers(facts, config);
  if (blockers.length > 0) options.effects.refuse(blockers);
  // What the freeze will change, and so what every failure after it gives back; a dry run changes nothing.
  const freezes = facts.database && facts.writeFreeze && facts.migrationType !== 'full-load' && !config.cutover.dryRun;
  return {
    direction: options.direction,
    passed: blockers.length === 0,
    blockers,
    checkedAt: at.toISOString(),
    catchUp: facts.database ? 'marker' : 'CDC latency only (no database access in the input)',
    writeFreeze: !facts.writeFreeze ? 'skipped (writeFreeze.enabled is false)' : forward ? 'read_only on the source' : 'read_only on the target',
    ...(facts.reversePath ? { reversePath: facts.reversePath } : {}),
    ...latestLatency(facts.latencySeconds),
    ...(freezes && facts.database ? { beforeFreeze: { side: sidesOf(options.direction).from, settings: facts.database.frozenSideSettings } } : {}),
  };
}

function latestLatency(samples: GateFacts['latencySeconds']): Pick<GateReport, 'cdcLatencySeconds'> {
  const source = samples.source.at(-1);
  const target = samples.target.at(-1);
  return source === undefined || target === undefined ? {} : { cdcLatencySeconds: { source, target } };
}
