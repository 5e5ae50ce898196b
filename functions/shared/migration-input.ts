import * as z from 'zod/mini';
import './zod-messages';

/**
 * The execution input: what an operator pastes into the Step Functions console, what the schedule sends and
 * what the CLI builds. Parsing applies every default, so later phases read one complete `MigrationConfig`.
 * Objects are strict: a misspelt key ("startpolicy") is an error, not a silently ignored setting.
 */

const AWS_PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b)';

/**
 * DMS ARNs name their resource type: `task`, `endpoint`, `rep` (replication instance), `replication-config`
 * (a DMS Serverless replication; Service Authorization Reference, resource type ReplicationConfig).
 */
function dmsArn(resourceType: 'task' | 'endpoint' | 'rep' | 'replication-config', description: string) {
  const pattern = new RegExp(`^arn:${AWS_PARTITION}:dms:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:${resourceType}:[A-Za-z0-9-]{1,255}$`);
  return z
    .string({ error: `expected a DMS ${description} ARN (a string)` })
    .check(z.regex(pattern, { error: `expected a DMS ${description} ARN: arn:aws:dms:<region>:<account-id>:${resourceType}:<id>` }));
}

/** RDS DB cluster / instance identifiers: 1-63 letters, digits and hyphens, starting with a letter, no "--", no trailing "-". */
const rdsIdentifier = z.string({ error: 'expected an RDS identifier (a string)' }).check(
  z.regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/, {
    error: 'expected an RDS identifier: 1-63 letters, digits or hyphens, starting with a letter',
  }),
  z.refine((identifier) => !identifier.endsWith('-'), { error: 'an RDS identifier cannot end with a hyphen' }),
);

/**
 * SSM parameter names: letters, digits and `_.-/`; a hierarchical name starts with `/`; at most 1011
 * characters; names beginning with "aws" or "ssm" are reserved by Systems Manager.
 */
const ssmParameterName = z.string({ error: 'expected an SSM parameter name (a string)' }).check(
  z.maxLength(1011, { error: 'an SSM parameter name has at most 1011 characters' }),
  z.regex(/^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, {
    error: 'expected an SSM parameter name such as /apps/orders/db-endpoint (letters, digits, _ . - and / separators)',
  }),
  z.refine((name) => !/^\/?(aws|ssm)/i.test(name), { error: 'SSM parameter names cannot start with "aws" or "ssm"' }),
);

export const wholeNumber = (description: string, min: number, max: number) => {
  const error = `expected ${description} (a whole number from ${min} to ${max})`;
  return z.int({ error }).check(z.minimum(min, { error }), z.maximum(max, { error }));
};

const flag = (description: string) => z.boolean({ error: `expected ${description} (true or false)` });

export const START_POLICIES = ['auto', 'resume', 'reload'] as const;
export type StartPolicy = (typeof START_POLICIES)[number];

export const TARGET_TYPES = ['aurora-cluster', 'rds-instance'] as const;

const validationSettings = z.strictObject({
  /** Cutover requires every table's DMS validation to be "Validated". Turn off only for tasks without validation. */
  requireDmsValidation: z._default(flag('whether DMS validation must pass before cutover'), true),
  /** How long the workflow waits for DMS validation to finish before it gives up. */
  maxWaitMinutes: z._default(wholeNumber('the validation wait in minutes', 1, 10080), 1440),
});

/** The write freeze and catch-up proof (they need the `database` block; without it the cutover relies on CDC latency alone). */
const writeFreezeSettings = z.strictObject({
  /** false when the application is stopped another way: read_only is left alone, the marker still proves catch-up. */
  enabled: z._default(flag('whether to set read_only on the source during the cutover'), true),
  /**
   * How long the freeze and the catch-up proof together may keep applications from writing, counted from the
   * freeze; when the marker has not reached the target by then, the source is unfrozen (within
   * FREEZE_MARGIN_SECONDS) and the cutover refused.
   */
  catchUpTimeoutSeconds: z._default(wholeNumber('the catch-up wait in seconds', 5, 600), 300),
});

const cutoverSettings = z.strictObject({
  /** Runs every check and reports what would happen, changing nothing. */
  dryRun: z._default(flag('whether this is a dry run'), false),
  writeFreeze: z._default(writeFreezeSettings, () => z.parse(writeFreezeSettings, {})),
  /** DMS validation may still have this many pending records (and none failed) at the gate. */
  maxPendingValidationRecords: z._default(wholeNumber('the pending validation records allowed at cutover', 0, 1_000_000), 0),
  /** Both CDCLatencySource and CDCLatencyTarget must stay at or under this for the whole window. */
  maxCdcLatencySeconds: z._default(wholeNumber('the maximum CDC latency in seconds', 0, 3600), 30),
  latencyWindowMinutes: z._default(wholeNumber('the CDC latency window in minutes', 1, 60), 5),
  approvalRequired: z._default(flag('whether cutover needs a human approval'), true),
  snapshotBeforeCutover: z._default(flag('whether to snapshot the target before cutover'), true),
  /** Where applications read the database endpoint; defaults to /dms-orchestrator/<migration-slug>/endpoint. */
  endpointParameterName: z.optional(ssmParameterName),
});

/**
 * Secrets Manager secret ARNs: `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`.
 * Only the complete ARN: a partial one (without the suffix) works as a SecretId, but never matches an IAM
 * policy's Resource, so every call the stack's roles make with it would be denied on AWS.
 */
export const secretArn = (description: string) =>
  z.string({ error: `expected the ${description} secret ARN (a string)` }).check(
    z.regex(new RegExp(`^arn:${AWS_PARTITION}:secretsmanager:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`), {
      error:
        `expected the complete ${description} secret ARN, ending in "-" and the 6 characters Secrets Manager adds: ` +
        'arn:aws:secretsmanager:<region>:<account-id>:secret:<name>-AbCdEf (copy "Secret ARN" from the console, or run ' +
        'aws secretsmanager describe-secret --secret-id <name> --query ARN)',
    }),
  );

const schemaName = z.string({ error: 'expected a schema name (a string)' }).check(
  z.regex(/^[A-Za-z0-9_$]{1,64}$/, { error: 'expected a MySQL schema name of 1-64 letters, digits, _ or $' }),
);

/**
 * How our own sessions protect the connection, like MySQL's --ssl-mode: `required` encrypts without checking
 * the server's certificate (self-managed MySQL 8 generates a self-signed one at first start; RDS and Aurora
 * accept TLS on every instance); `verify-rds-ca` also checks the certificate against the Amazon RDS CA
 * bundle and the host name against the secret's host (an RDS endpoint name, not a CNAME or IP); `disabled`
 * sends queries and rows in the clear.
 */
export const TLS_MODES = ['verify-rds-ca', 'required', 'disabled'] as const;
export type TlsMode = (typeof TLS_MODES)[number];
const tlsMode = z.enum(TLS_MODES, { error: `expected one of: ${TLS_MODES.join(', ')}` });

/**
 * Direct database access for the checks DMS cannot make: readiness, independent validation, the write
 * freeze. Only secret ARNs: the credentials stay in Secrets Manager and never enter the execution.
 */
const databaseAccess = z.strictObject({
  sourceSecretArn: secretArn('source database'),
  targetSecretArn: secretArn('target database'),
  /** The schemas the task migrates, as named on the source (and, unchanged, on the target). */
  schemas: z.array(schemaName).check(z.minLength(1, { error: 'expected at least one schema name' })),
  /** Target schema names for source schemas the task's table mappings rename: `{ "orders": "orders_v2" }`. */
  targetSchemas: z.optional(z.record(schemaName, schemaName)),
  /** One mode for both sides, or `{ "source": ..., "target": ... }` (an omitted side is `required`). */
  tls: z._default(
    z.union([tlsMode, z.strictObject({ source: z._default(tlsMode, 'required'), target: z._default(tlsMode, 'required') })], {
      error: `expected one of: ${TLS_MODES.join(', ')}, or { "source": ..., "target": ... } with those values`,
    }),
    'required',
  ),
});

/** Readiness checks before the task starts (functions/check-readiness); they need the `database` block. */
export const readinessSettings = z.strictObject({
  /** Binary logs must be kept at least this long, so DMS can resume after an interruption. */
  minBinlogRetentionHours: z._default(wholeNumber('the minimum binary log retention in hours', 1, 8760), 24),
  /** LOB sizes are read exactly up to this many rows per table, from a sample beyond it. */
  lobScanRows: z._default(wholeNumber('the LOB scan limit in rows', 1, 10_000_000), 100_000),
});

/** Our own row-by-row comparison of source and target (functions/plan-data-comparison and siblings); needs `database`. */
export const independentValidationSettings = z.strictObject({
  /** Rows per compared chunk: about 2-5 s of work on a current server, far inside the Lambda limit. */
  chunkRows: z._default(wholeNumber('the rows per chunk', 1000, 5_000_000), 100_000),
  /** Chunks compared at once: each holds one session on the source and one on the target. */
  maxConcurrency: z._default(wholeNumber('the comparison concurrency', 1, 64), 4),
  /** Differing keys listed per table and category (missing, extra, different); the count is always exact. */
  maxReportedKeys: z._default(wholeNumber('the reported keys per table', 1, 1000), 20),
  /** A chunk that differs is compared again after this pause before it counts: CDC may still be applying a change. */
  confirmAfterSeconds: z._default(wholeNumber('the pause before a differing chunk is compared again, in seconds', 0, 300), 5),
  /** Compare again right before the cutover (after approval), not only after DMS validation. */
  recheckBeforeCutover: z._default(flag('whether to compare again before cutover'), false),
});

/** At most this many approvers: each is an e-mail subscription on the stack's approver-code topic. */
export const MAX_APPROVERS = 20;

/**
 * Who may decide this run's approvals (the cutover's, and the end of the way back's), and how many must agree.
 * Without `approvers` whoever holds the e-mailed link decides, under the name they type (README "Cutover
 * approval"). With it, a decision on the review page needs a one-time code the page sends to the approver's
 * own address, through the stack's approver-code topic: the deployment config's `migration.approval.approvers`
 * are the addresses the stack subscribes there.
 */
const approvalSettings = z.strictObject({
  approvers: z.optional(
    z.array(z.email({ error: 'expected an e-mail address' })).check(
      z.minLength(1, { error: 'expected at least one approver, or leave approvers out' }),
      z.maxLength(MAX_APPROVERS, { error: `expected at most ${MAX_APPROVERS} approvers` }),
    ),
  ),
  /** 2: two different approvers must approve (a reject by either rejects). Needs at least two approvers. */
  approvals: z._default(z.union([z.literal(1), z.literal(2)], { error: 'expected 1 or 2 (the approvals a decision needs)' }), 1),
});

export const MODES = ['migrate', 'rollback', 'complete'] as const;
export type Mode = (typeof MODES)[number];

/**
 * The way back: a reverse DMS task (target -> source, CDC only) prepared before the freeze and started at the
 * switch. Its endpoints are created by the operator, like the forward ones: the reverse source endpoint
 * points at the target database, the reverse target endpoint at the old source.
 */
const rollbackSettings = z.strictObject({
  enabled: z._default(flag('whether to keep a way back (reverse replication)'), false),
  reverseSourceEndpointArn: z.optional(dmsArn('endpoint', 'reverse source endpoint (the target database as a DMS source)')),
  reverseTargetEndpointArn: z.optional(dmsArn('endpoint', 'reverse target endpoint (the old source as a DMS target)')),
  /** How long the reverse replication runs after the cutover before `complete` may remove it. */
  soakMinutes: z._default(wholeNumber('the soak time in minutes', 0, 43200), 1440),
  /**
   * A rollback freezes the database the applications use now, so it waits for a person's approval whatever
   * `cutover.approvalRequired` says (a drill's config left at "rollback" must not freeze production when
   * started). true skips that approval, for an emergency only, and only with mode "rollback": the skip is
   * recorded in the execution's output and said in the rollback e-mail.
   */
  emergencySkipApproval: z._default(flag('whether a rollback skips its approval in an emergency'), false),
});

const migrationInputShape = z.strictObject({
  migrationName: z.string({ error: 'expected a migration name (a string)' }).check(
    z.regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, {
      error: 'expected a migration name of 1-64 letters, digits, spaces, dots, underscores or hyphens',
    }),
  ),
  /** A replication task on a replication instance: give it with replicationInstanceArn (ENGINE_COMBINATIONS). */
  replicationTaskArn: z.optional(dmsArn('task', 'replication task')),
  /** A DMS Serverless replication: give it instead of replicationTaskArn and replicationInstanceArn. */
  replicationConfigArn: z.optional(dmsArn('replication-config', 'replication config')),
  /** The endpoints the task or the replication config uses. */
  sourceEndpointArn: dmsArn('endpoint', 'source endpoint'),
  targetEndpointArn: dmsArn('endpoint', 'target endpoint'),
  replicationInstanceArn: z.optional(dmsArn('rep', 'replication instance')),
  target: z.strictObject({
    type: z.enum(TARGET_TYPES, { error: `expected one of: ${TARGET_TYPES.join(', ')}` }),
    identifier: rdsIdentifier,
  }),
  startPolicy: z._default(z.enum(START_POLICIES, { error: `expected one of: ${START_POLICIES.join(', ')}` }), 'auto'),
  /** `reload` truncates and reloads every target table; the operator must say so explicitly. */
  confirmReloadTarget: z._default(flag('the reload confirmation'), false),
  database: z.optional(databaseAccess),
  readiness: z.optional(readinessSettings),
  independentValidation: z.optional(independentValidationSettings),
  validation: z._default(validationSettings, () => z.parse(validationSettings, {})),
  cutover: z._default(cutoverSettings, () => z.parse(cutoverSettings, {})),
  rollback: z._default(rollbackSettings, () => z.parse(rollbackSettings, {})),
  approval: z.optional(approvalSettings),
  /** migrate: the whole runbook; rollback: switch back to the source; complete: end the way back after the soak. */
  mode: z._default(z.enum(MODES, { error: `expected one of: ${MODES.join(', ')}` }), 'migrate'),
});

const migrationInputFields = migrationInputShape
  // zod runs this even when fields failed, so every problem is reported in one go; fields that failed are
  // skipped here rather than reported twice.
  .check(z.superRefine((input, context) => {
    if (input.startPolicy === 'reload' && input.confirmReloadTarget !== true) {
      context.addIssue({
        code: 'custom',
        path: ['confirmReloadTarget'],
        message: 'startPolicy "reload" truncates every target table: set confirmReloadTarget to true to allow it',
      });
    }
    if (typeof input.sourceEndpointArn === 'string' && input.sourceEndpointArn === input.targetEndpointArn) {
      context.addIssue({ code: 'custom', path: ['targetEndpointArn'], message: 'the target endpoint must differ from the source endpoint' });
    }
    if (input.rollback?.enabled === true) {
      for (const field of ['reverseSourceEndpointArn', 'reverseTargetEndpointArn'] as const) {
        if (!input.rollback[field]) context.addIssue({ code: 'custom', path: ['rollback', field], message: 'required when rollback.enabled is true' });
      }
      if (!input.database) {
        context.addIssue({ code: 'custom', path: ['database'], message: "rollback needs database access: the reverse task starts at the target's binlog position, read at the switch" });
      }
    } else if (input.mode === 'rollback' || input.mode === 'complete') {
      context.addIssue({ code: 'custom', path: ['mode'], message: `mode "${input.mode}" needs rollback.enabled: true and the reverse endpoints` });
    }
    if (input.rollback?.emergencySkipApproval === true && input.mode !== 'rollback') {
      context.addIssue({
        code: 'custom',
        path: ['rollback', 'emergencySkipApproval'],
        message: `skips a rollback's approval, so it is allowed only with mode "rollback" (this input's mode is "${String(input.mode)}"): remove it`,
      });
    }
    checkWayBackEndpoints(input, context);
    checkDatabaseSecrets(input, context);
    checkApprovers(input, context);
    const anchor = replicationAnchor(input);
    if (!anchor) return;
    for (const field of ['sourceEndpointArn', 'targetEndpointArn', 'replicationInstanceArn'] as const) {
      const scope = arnScope(input[field], 'dms');
      if (scope && scope !== anchor.scope) {
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `expected the same partition, region and account as the ${anchor.name} (${anchor.scope})`,
        });
      }
    }
    for (const field of ['reverseSourceEndpointArn', 'reverseTargetEndpointArn'] as const) {
      const scope = arnScope(input.rollback?.[field], 'dms');
      if (scope && scope !== anchor.scope) {
        context.addIssue({ code: 'custom', path: ['rollback', field], message: `expected the same partition, region and account as the ${anchor.name} (${anchor.scope})` });
      }
    }
  }))
  // Which engine is asked for decides what else is required, so it is said even when other fields failed
  // (the check above is skipped once a field's own type check aborted).
  .check(z.superRefine((input, context) => checkEngineFields(input, context), { when: (payload) => typeof payload.value === 'object' && payload.value !== null }));

type CheckedInput = z.output<typeof migrationInputShape>;
type IssueSink = { addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void };

/** The fields each engine needs, and the other refuses (checkEngineFields; the JSON Schema's oneOf). */
export const ENGINE_FIELDS = { task: ['replicationTaskArn', 'replicationInstanceArn'], serverless: ['replicationConfigArn'] } as const;

/** The two ways to name the replication, as the validation messages and docs/execution-input.md spell them. */
export const ENGINE_COMBINATIONS =
  'either replicationTaskArn with replicationInstanceArn (a replication task on a replication instance), or replicationConfigArn ' +
  'without them (a DMS Serverless replication), each with the sourceEndpointArn and targetEndpointArn it uses';

/**
 * Exactly one engine: a task needs the instance it runs on (connection tests and CDC latency metrics are the
 * instance's); a serverless replication provisions its own capacity, so an instance beside it would be unused
 * and is refused rather than silently ignored.
 */
function checkEngineFields(input: Partial<CheckedInput>, context: IssueSink): void {
  const given = (value: unknown) => value !== undefined;
  const task = given(input.replicationTaskArn);
  const config = given(input.replicationConfigArn);
  const instance = given(input.replicationInstanceArn);
  if (task && config) {
    context.addIssue({ code: 'custom', path: ['replicationConfigArn'], message: `give one replication, not both: ${ENGINE_COMBINATIONS}` });
  } else if (!task && !config) {
    context.addIssue({ code: 'custom', path: ['replicationTaskArn'], message: `required: expected a DMS replication task ARN (a string), or a replication config ARN: ${ENGINE_COMBINATIONS}` });
  } else if (task && !instance) {
    context.addIssue({ code: 'custom', path: ['replicationInstanceArn'], message: `required: expected a DMS replication instance ARN (a string) with replicationTaskArn: ${ENGINE_COMBINATIONS}` });
  } else if (config && instance) {
    context.addIssue({ code: 'custom', path: ['replicationInstanceArn'], message: `not used with replicationConfigArn (DMS Serverless provisions its own capacity): remove it; ${ENGINE_COMBINATIONS}` });
  }
}

/** The ARN every other ARN must share partition, region and account with, and what to call it in messages. */
function replicationAnchor(input: Partial<CheckedInput>): { scope: string; name: string } | undefined {
  const taskScope = arnScope(input.replicationTaskArn, 'dms');
  if (taskScope) return { scope: taskScope, name: 'replication task' };
  const configScope = arnScope(input.replicationConfigArn, 'dms');
  return configScope ? { scope: configScope, name: 'replication config' } : undefined;
}

/**
 * A way back needs two endpoints of its own: DMS endpoints have a direction (source or target), and the reverse
 * source reads the new target while the reverse target writes to the old source. Reusing a forward endpoint, or
 * one endpoint for both ends, would replicate the wrong way or into itself.
 */
function checkWayBackEndpoints(input: Partial<CheckedInput>, context: IssueSink): void {
  const { reverseSourceEndpointArn, reverseTargetEndpointArn } = input.rollback ?? {};
  if (reverseSourceEndpointArn && reverseSourceEndpointArn === reverseTargetEndpointArn) {
    context.addIssue({
      code: 'custom',
      path: ['rollback', 'reverseTargetEndpointArn'],
      message: 'the reverse target endpoint (the old source as a DMS target) must differ from the reverse source endpoint (the target database as a DMS source)',
    });
  }
  const forward = { sourceEndpointArn: input.sourceEndpointArn, targetEndpointArn: input.targetEndpointArn };
  for (const reverseField of ['reverseSourceEndpointArn', 'reverseTargetEndpointArn'] as const) {
    for (const [forwardField, forwardArn] of Object.entries(forward)) {
      if (forwardArn && input.rollback?.[reverseField] === forwardArn) {
        context.addIssue({
          code: 'custom',
          path: ['rollback', reverseField],
          message: `the way back needs endpoints of its own: ${reverseField} is the forward ${forwardField}, which replicates the other way`,
        });
      }
    }
  }
}

/**
 * The source and target sessions must reach two databases. One secret for both would make readiness, the
 * independent comparison and the catch-up proof all read the source and "prove" a migration that never
 * happened. The secrets must also live where the task runs: the stack grants access to secrets in its own
 * account and region, and DMS endpoints read their secrets there too.
 */
function checkDatabaseSecrets(input: Partial<CheckedInput>, context: IssueSink): void {
  const database = input.database;
  if (!database || typeof database.sourceSecretArn !== 'string' || typeof database.targetSecretArn !== 'string') return;
  if (database.sourceSecretArn === database.targetSecretArn) {
    context.addIssue({
      code: 'custom',
      path: ['database', 'targetSecretArn'],
      message: 'the target secret is the source secret: the checks would compare the source with itself; give the target database its own secret',
    });
  }
  const anchor = replicationAnchor(input);
  if (!anchor) return;
  for (const field of ['sourceSecretArn', 'targetSecretArn'] as const) {
    const scope = arnScope(database[field], 'secretsmanager');
    if (scope && scope !== anchor.scope) {
      context.addIssue({
        code: 'custom',
        path: ['database', field],
        message: `expected a secret in the ${anchor.name}'s partition, region and account (${anchor.scope}), not ${scope}`,
      });
    }
  }
}

/** One address once (addresses compare without regard to case), and enough of them for the approvals asked. */
function checkApprovers(input: Partial<CheckedInput>, context: IssueSink): void {
  const approval = input.approval;
  if (!approval || !Array.isArray(approval.approvers)) {
    if (approval?.approvals === 2) context.addIssue({ code: 'custom', path: ['approval', 'approvers'], message: 'approvals 2 needs at least two approvers: two people each confirm with a one-time code' });
    return;
  }
  const seen = new Set<string>();
  approval.approvers.forEach((address, index) => {
    const key = approverKey(address);
    if (seen.has(key)) context.addIssue({ code: 'custom', path: ['approval', 'approvers', index], message: `${address} is listed twice` });
    seen.add(key);
  });
  if (approval.approvals === 2 && seen.size < 2) {
    context.addIssue({ code: 'custom', path: ['approval', 'approvers'], message: 'approvals 2 needs at least two different approvers' });
  }
}

/** How an approver's address is compared: e-mail domains ignore case, and so, in practice, do mailboxes. */
export function approverKey(address: string): string {
  return address.trim().toLowerCase();
}

/** The replication fields once validated: one engine's, never a mix (checkEngineFields). */
export type ReplicationFields =
  | { replicationTaskArn: string; replicationInstanceArn: string; replicationConfigArn?: undefined }
  | { replicationConfigArn: string; replicationTaskArn?: undefined; replicationInstanceArn?: undefined };

type WithReplication<Parsed> = Omit<Parsed, keyof ReplicationFields> & ReplicationFields;

export const migrationInputSchema = z.pipe(
  migrationInputFields,
  // The cast states what checkEngineFields has just enforced: the transform runs only on an input without issues.
  z.transform((input) => ({
    ...input,
    cutover: {
      ...input.cutover,
      endpointParameterName: input.cutover.endpointParameterName ?? defaultEndpointParameterName(input.migrationName),
    },
  }) as WithReplication<typeof input & { cutover: { endpointParameterName: string } }>),
);

export type MigrationInput = z.input<typeof migrationInputSchema>;
export type MigrationConfig = z.output<typeof migrationInputSchema>;

/** A handler event that carries the validated config, as the state machine passes it to every phase. */
export const configEventSchema = z.object({ config: migrationInputSchema });

/** The target's name for a source schema. */
export function targetSchemaName(database: NonNullable<MigrationConfig['database']>, sourceSchema: string): string {
  return database.targetSchemas?.[sourceSchema] ?? sourceSchema;
}

/** The TLS mode of one side's sessions. */
export function tlsModeOf(database: NonNullable<MigrationConfig['database']>, side: 'source' | 'target'): TlsMode {
  return typeof database.tls === 'string' ? database.tls : database.tls[side];
}

export function defaultEndpointParameterName(migrationName: string): string {
  return `/dms-orchestrator/${migrationSlug(migrationName)}/endpoint`;
}

export function migrationSlug(migrationName: string): string {
  return migrationName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'migration';
}

/** `arn:partition:<service>:region:account:...` -> `partition:region:account`, or undefined for anything else. */
function arnScope(arn: unknown, service: 'dms' | 'secretsmanager'): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = new RegExp(`^arn:([^:]+):${service}:([^:]+):(\\d{12}):`).exec(arn);
  return match ? `${match[1]}:${match[2]}:${match[3]}` : undefined;
}
