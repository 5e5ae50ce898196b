import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { sourceChecks } from '../../functions/check-readiness/readiness-checks';
import { readSourceFacts } from '../../functions/check-readiness/server-facts';
import { readinessSettings, type MigrationConfig, type MigrationInput } from '../../functions/shared/migration-input';
import { readReadOnlySettings, restoreWrites } from '../../functions/cutover/write-freeze';
import { connectMysql, withMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import type { ReplicationFields } from '../../functions/shared/migration-input';
import type { ReplicationEngine } from '../../functions/shared/replication';
import type { DmsReplicationDefinition } from '../emulator/dms/definitions';
import type { EmulatorOptions } from '../emulator/server';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../throwaway-mariadb';
import { rehearsedSchemas, type RehearsalOptions, type RehearsedSettings } from './options';
import { SAMPLE_DATABASES, dropSampleDatabase, seedSampleDatabase, type SampleName, type SeedResult } from './sample-schema';
import type { RehearsalShutdown } from './shutdown';
import { seconds } from './summary';

/**
 * What the rehearsal rehearses on: the source server (seeded with a sample shop) and the empty target server,
 * the AWS resources the emulator holds for them (DMS task, endpoints and instance, the target as RDS sees it,
 * the database secrets), and the execution input and deployment that name them.
 */
export const REHEARSAL_ACCOUNT = '123456789012';
export const REHEARSAL_REGION = 'eu-west-1';
/**
 * The AWS resources of one rehearsed migration, named after its sample database (`shop`: SHOPREHEARSALTASK,
 * shop-source, shop-rehearsal-instance...), so that a wave's migrations are told apart in every message.
 */
function rehearsalResources(sample: SampleName) {
  const id = `${sample.toUpperCase()}REHEARSAL`;
  const secretPrefix = sample === 'shop' ? 'rehearsal/' : `rehearsal/${sample}-`;
  return {
    task: `arn:aws:dms:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:task:${id}TASK`,
    config: `arn:aws:dms:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:replication-config:${id}CONFIG`,
    source: `arn:aws:dms:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:endpoint:${id}SOURCE`,
    target: `arn:aws:dms:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:endpoint:${id}TARGET`,
    instance: `arn:aws:dms:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:rep:${id}INSTANCE`,
    /** The operator's endpoints for the way back: the target as a DMS source, the old source as a DMS target. */
    reverseSource: `arn:aws:dms:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:endpoint:${id}REVERSESOURCE`,
    reverseTarget: `arn:aws:dms:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:endpoint:${id}REVERSETARGET`,
    sourceSecret: `arn:aws:secretsmanager:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:secret:${secretPrefix}source-AbCdEf`,
    targetSecret: `arn:aws:secretsmanager:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:secret:${secretPrefix}target-AbCdEf`,
    /** The prefix of its DMS identifiers and of its target's: shop-rehearsal, shop-source, shop-target. */
    identifier: sample,
    instanceIdentifier: `${sample}-rehearsal-instance`,
    title: `${sample.charAt(0).toUpperCase()}${sample.slice(1)}`,
  };
}
/**
 * The DMS resources the rehearsal's input names, whatever an operator's config names: a task on an instance,
 * or a serverless replication config, between the same endpoints.
 */
export function rehearsalDmsArns(engine: ReplicationEngine, sample: SampleName = 'shop'): ReplicationFields & { sourceEndpointArn: string; targetEndpointArn: string } {
  const ARN = rehearsalResources(sample);
  const endpoints = { sourceEndpointArn: ARN.source, targetEndpointArn: ARN.target };
  return engine === 'serverless' ? { replicationConfigArn: ARN.config, ...endpoints } : { replicationTaskArn: ARN.task, replicationInstanceArn: ARN.instance, ...endpoints };
}
export const REHEARSAL_EXECUTION_ARN = `arn:aws:states:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:execution:ShopRehearsal-migration:rehearsal-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;

export type RehearsalInput = MigrationInput & ReplicationFields & { database: NonNullable<MigrationInput['database']>; cutover: Pick<MigrationConfig['cutover'], 'endpointParameterName'> };

/** The rehearsal's execution input: its own ARNs and database secrets, with the operator's settings when given. */
export function rehearsalInput(schemas: string[], settings?: RehearsedSettings, rollback = false, engine: ReplicationEngine = 'task', sample: SampleName = 'shop'): RehearsalInput {
  const ARN = rehearsalResources(sample);
  return {
    migrationName: settings?.migrationName ?? `${ARN.title} rehearsal`,
    ...rehearsalDmsArns(engine, sample),
    target: { type: settings?.target.type ?? 'aurora-cluster', identifier: `${ARN.identifier}-target` },
    startPolicy: settings?.startPolicy ?? 'auto',
    confirmReloadTarget: settings?.confirmReloadTarget ?? false,
    // The local servers offer no TLS; a real migration keeps the default, "required".
    database: { sourceSecretArn: ARN.sourceSecret, targetSecretArn: ARN.targetSecret, schemas, tls: 'disabled' },
    validation: settings?.validation ?? { requireDmsValidation: true, maxWaitMinutes: 60 },
    cutover: settings?.cutover ?? { maxCdcLatencySeconds: 10, latencyWindowMinutes: 5, approvalRequired: true, snapshotBeforeCutover: true, endpointParameterName: `/apps/${sample}/database-endpoint` },
    ...(rollback ? { rollback: { enabled: true, reverseSourceEndpointArn: ARN.reverseSource, reverseTargetEndpointArn: ARN.reverseTarget } } : {}),
    ...(settings?.approval ? { approval: settings.approval } : {}),
  };
}

/** The ARN of the replication the input names: the task's, or the serverless replication config's. */
export function migrationArnOf(input: ReplicationFields): string {
  return input.replicationConfigArn ?? input.replicationTaskArn;
}

/** The migration stack of a rehearsed sample: ShopRehearsal, ClinicRehearsal... */
export function rehearsalStackName(sample: SampleName): string {
  return `${rehearsalResources(sample).title}Rehearsal`;
}

/** The deployment (as `infra/config.ts` reads it) whose state machine the rehearsal executes. */
export function rehearsalDeployment(input: RehearsalInput, sample: SampleName = 'shop') {
  return {
    stackName: rehearsalStackName(sample),
    account: REHEARSAL_ACCOUNT,
    region: REHEARSAL_REGION,
    notificationEmails: [],
    // DMS publishes a task's metrics under its instance's name; a serverless replication runs on no instance.
    monitoring: input.replicationTaskArn ? { replicationInstanceIdentifier: rehearsalResources(sample).instanceIdentifier } : {},
    migration: input,
  };
}

export interface RehearsalDatabases {
  sourceCredentials: DatabaseCredentials;
  targetCredentials: DatabaseCredentials;
  /** The rows the source holds as the workflow starts: seeded, or copied from the operator's database. */
  seed: SeedResult;
}

/** The seeded source and the empty target server; what they need stopped, dropped or restored goes to `shutdown`. */
export async function prepareDatabases(options: RehearsalOptions, say: (line: string) => void, shutdown: RehearsalShutdown): Promise<RehearsalDatabases> {
  const source = await sourceServer(options, say);
  if ('stop' in source) shutdown.onStop(() => source.stop(), () => source.kill());
  const sourceCredentials: DatabaseCredentials = { host: source.host, port: source.port, username: source.user, password: source.password };
  if (!('stop' in source)) {
    // The cutover's write freeze sets read_only on the source: a running server gets its own settings back,
    // before anything else stops, on a fresh session (the admin session may be gone by then).
    const settings = await withMysql(sourceCredentials, 'source', readReadOnlySettings);
    shutdown.restoreFirst(async () => {
      await withMysql(sourceCredentials, 'source', (connection) => restoreWrites(connection, settings));
    });
  }
  // The way back starts at the target's binlog position: with --rollback the target keeps a binlog, as the gate requires.
  const target = await startThrowawayMariadb(options.rollback ? { ...SERVER_TEXT_SETTINGS, ...CDC_SOURCE_SETTINGS, 'server-id': 2 } : SERVER_TEXT_SETTINGS);
  shutdown.onStop(() => target.stop(), () => target.kill());
  const targetCredentials: DatabaseCredentials = { host: target.host, port: target.port, username: target.user, password: target.password };
  const admin = await connectMysql(sourceCredentials, 'source');
  shutdown.onStop(() => admin.end());
  const sample = SAMPLE_DATABASES[options.sample];
  await dropSampleDatabase(admin, options.sourceDatabase, sample);
  if (!('stop' in source)) shutdown.onStop(() => dropSampleDatabase(admin, options.sourceDatabase, sample));
  const seedStart = Date.now();
  const seed = await seedSampleDatabase(admin, options.sourceDatabase, options.rows, sample);
  say(
    `Seeded ${options.sourceDatabase} on ${source.host}:${source.port}: ${seed.totalRows.toLocaleString('en-US')} rows in ` +
      `${Object.keys(seed.rowsByTable).length} tables (${seconds(Date.now() - seedStart)}); target server ${target.host}:${target.port}, empty.`,
  );
  return { sourceCredentials, targetCredentials, seed };
}

/**
 * The AWS side of the rehearsal: the DMS endpoints, the task and its instance or (--serverless) the replication
 * config, moving the same tables with the same settings; the target as RDS sees it, the secrets.
 */
export function rehearsalAws(
  options: RehearsalOptions,
  input: RehearsalInput,
  { sourceCredentials, targetCredentials }: RehearsalDatabases,
  signingKeyArn?: string,
): Pick<EmulatorOptions, 'dms' | 'target' | 'secrets' | 'parameters'> {
  const ARN = rehearsalResources(options.sample);
  const named = (suffix: string) => `${ARN.identifier}-${suffix}`;
  const replication: DmsReplicationDefinition = {
    migrationType: options.migrationType,
    sourceEndpointArn: ARN.source,
    targetEndpointArn: ARN.target,
    tableMappings: {
      rules: rehearsedSchemas(options).map((schema, index) => ({
        'rule-type': 'selection',
        'rule-id': String(index + 1),
        'rule-name': `schema-${index + 1}`,
        'object-locator': { 'schema-name': schema, 'table-name': '%' },
        'rule-action': 'include',
      })),
    },
    validationEnabled: true,
    // As the stack creates tasks (dms.mode "create"): a failure e-mail then names the task's log.
    loggingEnabled: true,
  };
  return {
    dms: {
      endpoints: [
        { endpointArn: ARN.source, endpointIdentifier: named('source'), endpointType: 'source', secretArn: ARN.sourceSecret },
        { endpointArn: ARN.target, endpointIdentifier: named('target'), endpointType: 'target', secretArn: ARN.targetSecret },
        { endpointArn: ARN.reverseSource, endpointIdentifier: named('reverse-source'), endpointType: 'source', secretArn: ARN.targetSecret },
        { endpointArn: ARN.reverseTarget, endpointIdentifier: named('reverse-target'), endpointType: 'target', secretArn: ARN.sourceSecret },
      ],
      task: { ...replication, replicationTaskArn: ARN.task, replicationTaskIdentifier: named('rehearsal'), replicationInstanceArn: ARN.instance },
      instance: { replicationInstanceArn: ARN.instance, replicationInstanceIdentifier: ARN.instanceIdentifier },
      ...(options.engine === 'serverless'
        ? { replicationConfigs: [{ ...replication, replicationConfigArn: ARN.config, replicationConfigIdentifier: named('rehearsal'), computeConfig: { MaxCapacityUnits: 4, MinCapacityUnits: 1 } }] }
        : {}),
      batchRows: options.batchRows,
    },
    target: { type: input.target.type, identifier: input.target.identifier, host: targetCredentials.host, port: targetCredentials.port, engineVersion: '8.0.mysql_aurora.3.08.0' },
    secrets: {
      [ARN.sourceSecret]: JSON.stringify({ ...secretOf(sourceCredentials), dbname: rehearsedSchemas(options)[0] }),
      [ARN.targetSecret]: JSON.stringify(secretOf(targetCredentials)),
      ...(signingKeyArn ? { [signingKeyArn]: randomBytes(32).toString('base64url') } : {}),
    },
    // Where the applications read their database endpoint: the source's, until the cutover publishes the target's.
    parameters: { [input.cutover.endpointParameterName]: `${sourceCredentials.host}:${sourceCredentials.port}` },
  };
}

/** Both servers store text the same way, so comparing them (and the readiness collation check) sees no difference. */
export const SERVER_TEXT_SETTINGS = { 'character-set-server': 'utf8mb4', 'collation-server': 'utf8mb4_unicode_ci' };
/**
 * A throwaway source set up as DMS needs it for change data capture: a row-based binary log with full row
 * images and a server id, so it passes the readiness checks that `sourceReadinessFailures` runs. Full row
 * metadata lets the emulated DMS's binlog reader take column names from the binlog itself, right even when a
 * column was added or dropped since (DMS does not need it).
 */
export const CDC_SOURCE_SETTINGS = { 'log-bin': 'binlog', 'binlog-format': 'ROW', 'binlog-row-image': 'FULL', 'binlog-row-metadata': 'FULL', 'server-id': 1 };

/**
 * The running server at sourceHost:sourcePort when it can serve as a DMS source, otherwise a throwaway one set
 * up like a well-prepared source. A running server's binary log and text settings are never changed; its
 * read_only is, during the cutover's write freeze, and is set back when the rehearsal ends however it ends
 * (shutdown.ts). A server that is read-only already is left alone: it may be a replica, whose writes would
 * break replication, or a source an earlier rehearsal left frozen when it was killed (SIGKILL).
 */
async function sourceServer(options: RehearsalOptions, say: (line: string) => void): Promise<ThrowawayMariadb | { host: string; port: number; user: string; password: string }> {
  const shared = { host: options.sourceHost, port: options.sourcePort, user: 'root', password: '' };
  const throwaway = () => startThrowawayMariadb({ ...SERVER_TEXT_SETTINGS, ...CDC_SOURCE_SETTINGS });
  if (options.throwaway) return throwaway();
  let problem: string | undefined;
  try {
    const credentials = { host: shared.host, port: shared.port, username: shared.user, password: shared.password };
    const { readOnly } = await withMysql(credentials, 'source', readReadOnlySettings);
    const failures = await sourceReadinessFailures(credentials, options);
    if (readOnly.toUpperCase() === 'ON') {
      say(
        `WARNING: ${shared.host}:${shared.port} is read-only (read_only=ON). It may be a replica, or a source an earlier rehearsal left frozen ` +
          'when it was killed. The rehearsal will not write to it. If it is not a replica and should take writes: SET GLOBAL read_only = OFF.',
      );
      problem = 'it is read-only';
    } else if (failures.length > 0) problem = `it would fail the workflow's readiness checks (${failures.join(', ')})`;
  } catch (error) {
    problem = `no usable MySQL server there (${(error as Error).message.split(': ').pop()})`;
  }
  if (!problem) return shared;
  say(`The source cannot be ${shared.host}:${shared.port}: ${problem}. Starting a throwaway MariaDB for it.`);
  return throwaway();
}

/**
 * What the workflow's own readiness step (functions/check-readiness) would fail on this server as the source,
 * each as it saw it (`log_bin=OFF`): binary log settings for a CDC task, and the source-side checks of any task.
 */
async function sourceReadinessFailures(credentials: DatabaseCredentials, options: RehearsalOptions): Promise<string[]> {
  const settings = z.parse(readinessSettings, {});
  const schemas = [options.sourceDatabase];
  const facts = await withMysql(credentials, 'source', (connection) => readSourceFacts(connection, { schemas, lobScanRows: settings.lobScanRows }));
  // Only failures matter here; LOB sizes only ever warn, so no LOB limit applies.
  const checks = sourceChecks(facts, { schemas, minBinlogRetentionHours: settings.minBinlogRetentionHours, fullLoadOnly: options.migrationType === 'full-load', lobWarnBytes: Infinity });
  return checks.filter((check) => check.status === 'fail').map((check) => check.seen);
}

function secretOf(credentials: DatabaseCredentials) {
  return { engine: 'mysql', host: credentials.host, port: credentials.port, username: credentials.username, password: credentials.password };
}
