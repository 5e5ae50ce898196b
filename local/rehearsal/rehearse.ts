import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Connection } from 'mysql2/promise';
import { logger } from '../../functions/shared/logger';
import { connectMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import type { MigrationInput } from '../../functions/shared/migration-input';
import type { DmsTaskEvent } from '../emulator/dms/definitions';
import { startAwsEmulator, type AwsEmulator, type EmulatorOptions } from '../emulator/server';
import type { PublishedMessage } from '../emulator/services';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../throwaway-mariadb';
import { executeLocally, invokeAsLambda, loadPhaseHandlers, type Handler, type LocalExecution, type LocalTask } from '../workflow/execute';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../workflow/synthesize';
import { startApprovalDesk, type ApprovalDesk } from './approval-desk';
import type { RehearsalOptions, RehearsedSettings } from './options';
import { ProgressView, type Terminal } from './progress';
import { dropSampleDatabase, seedSampleDatabase, type SeedResult } from './sample-schema';
import { ordersOnSource, placeOrdersOnTarget, rollbackSummary, type RollbackFacts } from './rollback';
import { rehearsalSummary, seconds, switchRecordIn } from './summary';

/**
 * `npm run rehearse`: the whole orchestrator on this machine. A source database seeded with a sample shop,
 * an empty target server, the AWS emulator, and the state machine synthesized from the CDK code executed
 * with the real handlers, whose SDK clients reach the emulator through AWS_ENDPOINT_URL.
 */
export interface RehearsalResult {
  exitCode: number;
  /** Why the rehearsal did not succeed, in one sentence. */
  reason?: string;
  execution?: LocalExecution;
}

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ARN = {
  task: `arn:aws:dms:${REGION}:${ACCOUNT}:task:SHOPREHEARSALTASK`,
  source: `arn:aws:dms:${REGION}:${ACCOUNT}:endpoint:SHOPREHEARSALSOURCE`,
  target: `arn:aws:dms:${REGION}:${ACCOUNT}:endpoint:SHOPREHEARSALTARGET`,
  instance: `arn:aws:dms:${REGION}:${ACCOUNT}:rep:SHOPREHEARSALINSTANCE`,
  /** The operator's endpoints for the way back: the target as a DMS source, the old source as a DMS target. */
  reverseSource: `arn:aws:dms:${REGION}:${ACCOUNT}:endpoint:SHOPREHEARSALREVERSESOURCE`,
  reverseTarget: `arn:aws:dms:${REGION}:${ACCOUNT}:endpoint:SHOPREHEARSALREVERSETARGET`,
  sourceSecret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rehearsal/source-AbCdEf`,
  targetSecret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rehearsal/target-AbCdEf`,
};
const REPLICATION_INSTANCE_IDENTIFIER = 'shop-rehearsal-instance';
/** The DMS resources the rehearsal's input names, whatever an operator's config names. */
export const REHEARSAL_DMS_ARNS = {
  replicationTaskArn: ARN.task,
  sourceEndpointArn: ARN.source,
  targetEndpointArn: ARN.target,
  replicationInstanceArn: ARN.instance,
};
const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:ShopRehearsal-migration:rehearsal-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
/** The periodic progress check (an EventBridge schedule in the stack, every 15 minutes), compressed. */
const PROGRESS_CHECK_MILLIS = 1_000;

/** `synthesize` is replaceable so a test file can synthesize the stack once for several rehearsals. */
export async function rehearse(
  options: RehearsalOptions,
  terminal: Terminal,
  synthesize: (deployment: unknown) => SynthesizedWorkflow = synthesizeWorkflow,
): Promise<RehearsalResult> {
  const startedAt = Date.now();
  const cleanup: Array<() => Promise<void>> = [];
  const say = (line: string) => terminal.write(`${line}\n`);
  const stopEverything = async () => {
    // Last started, first stopped: the watcher schedule before the emulator, the emulator before the databases.
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  // Ctrl-C at the approval prompt, or a CI timeout's SIGTERM, must not leave a mariadbd running (its parent
  // gone, it would keep its port and datadir) or a seeded database behind.
  const onSignal = (signal: NodeJS.Signals) => {
    say(`\nInterrupted (${signal}): stopping the emulator and the rehearsal databases.`);
    void stopEverything().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // 1. Databases: the source (seeded), and the target on its own server so both keep the same schema name.
    const { sourceCredentials, targetCredentials, seed } = await prepareDatabases(options, say, cleanup);

    // 2. The workflow as synthesized, and the deployment it belongs to.
    const input = rehearsalInput(options.sourceDatabase, options.migrationSettings, options.rollback);
    const deployment = {
      stackName: 'ShopRehearsal',
      account: ACCOUNT,
      region: REGION,
      notificationEmails: [],
      monitoring: { replicationInstanceIdentifier: REPLICATION_INSTANCE_IDENTIFIER },
      migration: input,
    };
    const synthesized = synthesize(deployment);

    // 3. The emulator, and the handlers' environment pointing at it.
    mkdirSync(path.dirname(path.resolve(options.outboxFile)), { recursive: true });
    writeFileSync(options.outboxFile, '');
    let view: ProgressView | undefined;
    let watcher: Handler | undefined;
    const signingKeyArn = synthesized.functionEnvironment.APPROVAL_KEY_SECRET_ARN;
    const emulator: AwsEmulator = await startAwsEmulator({
      ...rehearsalAws(options, input, { sourceCredentials, targetCredentials, signingKeyArn }),
      faults: options.faults,
      cdcLatencySeconds: options.cdcLatencySeconds,
      outboxFile: options.outboxFile,
      onPublish: (message) => view?.say(`  ✉ ${message.subject}`),
      onDmsEvent: (event: DmsTaskEvent) => {
        if (watcher) void invokeAsLambda(watcher, event).catch((error: Error) => view?.say(`  ! DMS event watcher failed: ${error.name}`));
      },
    });
    cleanup.push(() => emulator.close());
    pointHandlersAt(emulator.url, synthesized.functionEnvironment, options.verbose);
    const desk: ApprovalDesk = await startApprovalDesk({ autoApprove: options.autoApprove, emulatorUrl: emulator.url, tokenTableName: process.env.TOKEN_TABLE_NAME ?? '', say: (line) => (view ? view.say(line) : say(line)) });
    cleanup.push(() => desk.close());
    // The e-mail's review link leads to the approval page served here, not to the stack's API.
    process.env.APPROVAL_BASE_URL = desk.reviewBaseUrl;

    // 4. Execute, the task-token states parked on tokens the handlers hand back through the emulator.
    const handlers = loadPhaseHandlers(Object.values(synthesized.taskPhases));
    watcher = handlers['full-load-watcher'];
    const schedule = setInterval(() => {
      void invokeAsLambda(handlers['full-load-watcher'], { source: 'aws.events', 'detail-type': 'Scheduled Event' }).catch(() => undefined);
    }, PROGRESS_CHECK_MILLIS);
    cleanup.push(async () => clearInterval(schedule));
    view = new ProgressView(terminal, () => ({ task: emulator.dms.describeTask(), tables: emulator.dms.describeTables() }));
    const redraw = setInterval(() => view?.refresh(), 250);
    cleanup.push(async () => clearInterval(redraw));

    const stateTimings: Array<{ state: string; at: number }> = [];
    let tokenCount = 0;
    const parked = (phase: string, afterInvoke?: (result: unknown) => void): LocalTask => async (taskInput) => {
      const taskToken = `${phase}-${++tokenCount}-${randomBytes(8).toString('hex')}`;
      const handedBack = emulator.tokens.waitFor(taskToken);
      const result = await invokeAsLambda(handlers[phase], { ...taskInput.Payload, taskToken });
      afterInvoke?.(result);
      return handedBack;
    };
    const tasks: Record<string, LocalTask> = {};
    for (const [stateName, phase] of Object.entries(synthesized.taskPhases)) {
      tasks[stateName] =
        phase === 'await-full-load'
          ? parked(phase)
          : phase === 'request-approval'
            ? parked(phase, (result) => desk.requested({ ...(result as { approvalId: string; expiresAt: string }), reviewUrl: reviewLinkIn(emulator.messages) }))
            : (taskInput) => invokeAsLambda(handlers[phase], taskInput);
    }
    say(`AWS emulator at ${emulator.url}; executing the synthesized state machine (${Object.keys(synthesized.definition.States).length} states).`);
    const execution = await executeLocally(synthesized.definition, tasks, input, {
      executionArn: EXECUTION_ARN,
      waitMilliseconds: options.waitMilliseconds,
      retryIntervalMilliseconds: 100,
      onStateEntered: (stateName) => {
        stateTimings.push({ state: stateName, at: Date.now() });
        view?.stateEntered(stateName);
      },
    });
    view.stop();
    clearInterval(redraw);
    // The workflow is over: later DMS events (the task stopping at cutover) have nobody to wake.
    watcher = undefined;

    const outcome = judge(execution);
    say('');
    say(rehearsalSummary({ execution, emulator, seed, startedAt, stateTimings, outboxFile: options.outboxFile, outcome }));
    if (!options.rollback || outcome.exitCode !== 0) return { ...outcome, execution };

    // 5. The way back: once reverse replication runs, the application writes on its new primary, then a second
    // execution rolls back to the source. (The emulated task captures from the rows as they are when it runs,
    // not from the binlog position, so writes made while it is "starting" would not be carried back.)
    const reverseTaskArn = (execution.output?.reverseReplication as { taskArn?: string } | undefined)?.taskArn;
    while (emulator.dms.describeTasks().find((task) => task.ReplicationTaskArn === reverseTaskArn)?.Status === 'starting') await new Promise((resolve) => setTimeout(resolve, 100));
    const placedOnTarget = await placeOrdersOnTarget(targetCredentials, options.sourceDatabase);
    say('');
    say(`Placed orders ${placedOnTarget.join(', ')} on the target (the new primary) as the application would; rolling back to the source.`);
    const rollbackTimings: Array<{ state: string; at: number }> = [];
    const rollback = await executeLocally(synthesized.definition, tasks, { ...input, mode: 'rollback' }, {
      executionArn: `${EXECUTION_ARN}-rollback`,
      waitMilliseconds: options.waitMilliseconds,
      retryIntervalMilliseconds: 100,
      onStateEntered: (stateName) => {
        rollbackTimings.push({ state: stateName, at: Date.now() });
        say(`→ ${stateName}`);
      },
    });
    const switchedBack = switchRecordIn(rollback.output);
    const facts: RollbackFacts = {
      execution: rollback,
      stateTimings: rollbackTimings,
      placedOnTarget,
      foundOnSource: await ordersOnSource(sourceCredentials, options.sourceDatabase, placedOnTarget),
      publishedEndpoint: switchedBack ? emulator.parameters.get(switchedBack.endpointParameterName)?.value : undefined,
      sourceAddress: `${sourceCredentials.host}:${sourceCredentials.port}`,
    };
    const rollbackOutcome = judgeRollback(facts);
    say('');
    say(rollbackSummary(facts, rollbackOutcome));
    return { ...rollbackOutcome, execution: rollback };
  } catch (error) {
    return { exitCode: 2, reason: `The rehearsal could not run: ${(error as Error).message}` };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopEverything();
  }
}

interface RehearsalDatabases {
  sourceCredentials: DatabaseCredentials;
  targetCredentials: DatabaseCredentials;
  seed: SeedResult;
}

/** The seeded source and the empty target server; what they need stopped or dropped goes onto `cleanup`. */
async function prepareDatabases(options: RehearsalOptions, say: (line: string) => void, cleanup: Array<() => Promise<void>>): Promise<RehearsalDatabases> {
  const source = await sourceServer(options, say);
  if ('stop' in source) cleanup.push(() => source.stop());
  // The way back starts at the target's binlog position: with --rollback the target keeps a binlog, as the gate requires.
  const target = await startThrowawayMariadb(options.rollback ? { ...SERVER_TEXT_SETTINGS, ...CDC_SOURCE_SETTINGS, 'server-id': 2 } : SERVER_TEXT_SETTINGS);
  cleanup.push(() => target.stop());
  const sourceCredentials: DatabaseCredentials = { host: source.host, port: source.port, username: source.user, password: source.password };
  const targetCredentials: DatabaseCredentials = { host: target.host, port: target.port, username: target.user, password: target.password };
  const admin = await connectMysql(sourceCredentials, 'source');
  cleanup.push(() => admin.end());
  await dropSampleDatabase(admin, options.sourceDatabase);
  if (!('stop' in source)) {
    cleanup.push(() => dropSampleDatabase(admin, options.sourceDatabase));
    // The cutover's write freeze sets read_only on the source: a running server gets its own value back.
    const [[{ readOnly }]] = (await admin.query('SELECT @@GLOBAL.read_only AS readOnly')) as unknown as [Array<{ readOnly: string | number }>];
    cleanup.push(async () => {
      await admin.query(`SET GLOBAL read_only = ${Number(readOnly) === 1 ? 'ON' : 'OFF'}`);
    });
  }
  const seedStart = Date.now();
  const seed = await seedSampleDatabase(admin, options.sourceDatabase, options.rows);
  say(
    `Seeded ${options.sourceDatabase} on ${source.host}:${source.port}: ${seed.totalRows.toLocaleString('en-US')} rows in ` +
      `${Object.keys(seed.rowsByTable).length} tables (${seconds(Date.now() - seedStart)}); target server ${target.host}:${target.port}, empty.`,
  );
  return { sourceCredentials, targetCredentials, seed };
}

/** The AWS side of the rehearsal: the DMS task, endpoints and instance, the target as RDS sees it, the secrets. */
function rehearsalAws(
  options: RehearsalOptions,
  input: ReturnType<typeof rehearsalInput>,
  { sourceCredentials, targetCredentials, signingKeyArn }: { sourceCredentials: DatabaseCredentials; targetCredentials: DatabaseCredentials; signingKeyArn?: string },
): Pick<EmulatorOptions, 'dms' | 'target' | 'secrets'> {
  return {
    dms: {
      endpoints: [
        { endpointArn: ARN.source, endpointIdentifier: 'shop-source', endpointType: 'source', secretArn: ARN.sourceSecret },
        { endpointArn: ARN.target, endpointIdentifier: 'shop-target', endpointType: 'target', secretArn: ARN.targetSecret },
        { endpointArn: ARN.reverseSource, endpointIdentifier: 'shop-reverse-source', endpointType: 'source', secretArn: ARN.targetSecret },
        { endpointArn: ARN.reverseTarget, endpointIdentifier: 'shop-reverse-target', endpointType: 'target', secretArn: ARN.sourceSecret },
      ],
      task: {
        replicationTaskArn: ARN.task,
        replicationTaskIdentifier: 'shop-rehearsal',
        migrationType: options.migrationType,
        sourceEndpointArn: ARN.source,
        targetEndpointArn: ARN.target,
        replicationInstanceArn: ARN.instance,
        tableMappings: {
          rules: [
            { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'shop', 'object-locator': { 'schema-name': options.sourceDatabase, 'table-name': '%' }, 'rule-action': 'include' },
          ],
        },
        validationEnabled: true,
      },
      instance: { replicationInstanceArn: ARN.instance, replicationInstanceIdentifier: REPLICATION_INSTANCE_IDENTIFIER },
      batchRows: options.batchRows,
    },
    target: { type: input.target.type, identifier: input.target.identifier, host: targetCredentials.host, port: targetCredentials.port, engineVersion: '8.0.mysql_aurora.3.08.0' },
    secrets: {
      [ARN.sourceSecret]: JSON.stringify({ ...secretOf(sourceCredentials), dbname: options.sourceDatabase }),
      [ARN.targetSecret]: JSON.stringify(secretOf(targetCredentials)),
      ...(signingKeyArn ? { [signingKeyArn]: randomBytes(32).toString('base64url') } : {}),
    },
  };
}

/** The review link of the latest approval e-mail. */
function reviewLinkIn(messages: PublishedMessage[]): string | undefined {
  const request = [...messages].reverse().find((message) => message.attributes.kind === 'approval-request');
  return /https?:\/\/\S+/.exec(request?.message ?? '')?.[0];
}

/** Success is a migration that cut over; anything else, even a clean "no", exits non-zero with the reason. */
function judge(execution: LocalExecution): { exitCode: number; reason?: string } {
  if (execution.status === 'FAILED') {
    const cause = causeMessage(execution.error?.Cause);
    return { exitCode: 1, reason: `${execution.error?.Error ?? 'Failed'}: ${cause}` };
  }
  if (!switchRecordIn(execution.output)) {
    const rejected = execution.output?.error as { Error?: string; Cause?: string } | undefined;
    return { exitCode: 1, reason: rejected ? `Ended without cutover (${rejected.Error}): ${causeMessage(rejected.Cause)}` : 'Ended without cutover' };
  }
  return { exitCode: 0 };
}

/** Success is a rollback that switched back, with every order placed on the target on the source and the endpoint on the source. */
export function judgeRollback(facts: RollbackFacts): { exitCode: number; reason?: string } {
  const { execution } = facts;
  if (execution.status === 'FAILED') return { exitCode: 1, reason: `Rollback failed (${execution.error?.Error ?? 'Failed'}): ${causeMessage(execution.error?.Cause)}` };
  if (!switchRecordIn(execution.output)) return { exitCode: 1, reason: 'The rollback ended without switching back' };
  const missing = facts.placedOnTarget.filter((id) => !facts.foundOnSource.includes(id));
  if (missing.length > 0) return { exitCode: 1, reason: `Orders placed on the target after the cutover are missing on the source: ${missing.join(', ')}` };
  if (facts.publishedEndpoint !== facts.sourceAddress) return { exitCode: 1, reason: `The endpoint parameter names ${facts.publishedEndpoint ?? 'nothing'}, not the source at ${facts.sourceAddress}` };
  return { exitCode: 0 };
}

export function causeMessage(cause: unknown): string {
  if (typeof cause !== 'string') return String(cause ?? '');
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

/** The rehearsal's execution input: its own ARNs and database secrets, with the operator's settings when given. */
export function rehearsalInput(sourceDatabase: string, settings?: RehearsedSettings, rollback = false): MigrationInput & { database: NonNullable<MigrationInput['database']> } {
  return {
    migrationName: settings?.migrationName ?? 'Shop rehearsal',
    ...REHEARSAL_DMS_ARNS,
    target: { type: settings?.target.type ?? 'aurora-cluster', identifier: 'shop-target' },
    startPolicy: settings?.startPolicy ?? 'auto',
    confirmReloadTarget: settings?.confirmReloadTarget ?? false,
    // The local servers offer no TLS; a real migration keeps the default, "required".
    database: { sourceSecretArn: ARN.sourceSecret, targetSecretArn: ARN.targetSecret, schemas: [sourceDatabase], tls: 'disabled' },
    validation: settings?.validation ?? { requireDmsValidation: true, maxWaitMinutes: 60 },
    cutover: settings?.cutover ?? { maxCdcLatencySeconds: 10, latencyWindowMinutes: 5, approvalRequired: true, snapshotBeforeCutover: true, endpointParameterName: '/apps/shop/database-endpoint' },
    ...(rollback ? { rollback: { enabled: true, reverseSourceEndpointArn: ARN.reverseSource, reverseTargetEndpointArn: ARN.reverseTarget } } : {}),
  };
}

/** The environment Lambda would give the handlers, plus the SDK's standard variables aimed at the emulator. */
function pointHandlersAt(emulatorUrl: string, functionEnvironment: Record<string, string>, verbose: boolean): void {
  // A per-service variable (AWS_ENDPOINT_URL_DYNAMODB...) would win over AWS_ENDPOINT_URL and reach real AWS.
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_ENDPOINT_URL_')) delete process.env[name];
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const { NODE_OPTIONS: _runtimeOnly, ...variables } = functionEnvironment;
  Object.assign(process.env, variables, {
    AWS_ENDPOINT_URL: emulatorUrl,
    AWS_REGION: REGION,
    // Dummy credentials: the emulator does not check signatures, and no real credentials may be picked up.
    AWS_ACCESS_KEY_ID: 'rehearsal',
    AWS_SECRET_ACCESS_KEY: 'rehearsal',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: verbose ? 'INFO' : 'SILENT',
  });
  // The shared logger may exist already (the approval core the CLI shares loads it): set its level directly.
  logger.setLogLevel(verbose ? 'INFO' : 'SILENT');
}

/** Both servers store text the same way, so comparing them (and the readiness collation check) sees no difference. */
const SERVER_TEXT_SETTINGS = { 'character-set-server': 'utf8mb4', 'collation-server': 'utf8mb4_unicode_ci' };
/**
 * What DMS needs from a MySQL source for change data capture: a row-based binary log with full row images
 * and a server id (the readiness check verifies the same).
 */
const CDC_SOURCE_SETTINGS = { 'log-bin': 'binlog', 'binlog-format': 'ROW', 'binlog-row-image': 'FULL', 'server-id': 1 };

/**
 * The running server at sourceHost:sourcePort when it can serve as a DMS source, otherwise a throwaway one set
 * up like a well-prepared source: the rehearsal never changes a running server's settings.
 */
async function sourceServer(options: RehearsalOptions, say: (line: string) => void): Promise<ThrowawayMariadb | { host: string; port: number; user: string; password: string }> {
  const shared = { host: options.sourceHost, port: options.sourcePort, user: 'root', password: '' };
  const throwaway = () => startThrowawayMariadb({ ...SERVER_TEXT_SETTINGS, ...CDC_SOURCE_SETTINGS });
  if (options.throwaway) return throwaway();
  let problem: string | undefined;
  try {
    const probe: Connection = await connectMysql({ host: shared.host, port: shared.port, username: shared.user, password: shared.password }, 'source');
    try {
      if (options.migrationType === 'full-load-and-cdc') problem = await cdcSourceProblem(probe);
    } finally {
      await probe.end();
    }
  } catch (error) {
    problem = `no usable MySQL server there (${(error as Error).message.split(': ').pop()})`;
  }
  if (!problem) return shared;
  say(`The source cannot be ${shared.host}:${shared.port}: ${problem}. Starting a throwaway MariaDB for it.`);
  return throwaway();
}

/** Why a server could not be the source of a CDC migration, or undefined when it can. */
async function cdcSourceProblem(connection: Connection): Promise<string | undefined> {
  const [[settings]] = (await connection.query('SELECT @@log_bin AS logBin, @@binlog_format AS format, @@binlog_row_image AS rowImage, @@server_id AS serverId')) as unknown as [
    Array<{ logBin: string | number; format: string; rowImage: string; serverId: string | number }>,
  ];
  const missing = [
    Number(settings.logBin) === 1 ? undefined : 'log_bin is OFF',
    settings.format.toUpperCase() === 'ROW' ? undefined : `binlog_format is ${settings.format}`,
    settings.rowImage.toUpperCase() === 'FULL' ? undefined : `binlog_row_image is ${settings.rowImage}`,
    Number(settings.serverId) > 0 ? undefined : 'server_id is 0',
  ].filter(Boolean);
  return missing.length > 0 ? `DMS change data capture needs a row-based binary log (${missing.join(', ')})` : undefined;
}

function secretOf(credentials: DatabaseCredentials) {
  return { engine: 'mysql', host: credentials.host, port: credentials.port, username: credentials.username, password: credentials.password };
}
