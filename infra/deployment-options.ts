import * as z from 'zod/mini';
import { migrationInputSchema, secretArn, wholeNumber, type MigrationConfig } from '../functions/shared/migration-input';
import { KEEP_ISSUE_INPUT, problemMessage } from '../functions/shared/zod-messages';

/**
 * The optional parts of the deployment config: the start schedule, monitoring, and the DMS resources the
 * stack may create. Kept apart from config.ts so that file stays one screen of knobs.
 */

/**
 * EventBridge Scheduler cron: six fields (minutes hours day-of-month month day-of-week year), and exactly one
 * of day-of-month / day-of-week must be `?` (Scheduler rejects the expression otherwise).
 */
const schedulerCron = z.string({ error: 'expected a cron expression (a string)' }).check(
  z.superRefine((expression, context) => {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 6) {
      context.addIssue({
        code: 'custom',
        message: `expected 6 cron fields (minutes hours day-of-month month day-of-week year), got ${fields.length}: e.g. "0 2 ? * SAT *" for 02:00 every Saturday`,
      });
      return;
    }
    if ((fields[2] === '?') === (fields[4] === '?')) {
      context.addIssue({ code: 'custom', message: 'exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?"' });
    }
  }),
);

/** IANA names such as Europe/Paris; Node's ICU knows the same database Scheduler uses. */
const ianaTimeZone = z.string({ error: 'expected an IANA time zone name (a string)' }).check(
  z.refine(
    (name) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: name });
        return name.length > 0;
      } catch {
        return false;
      }
    },
    { error: 'expected an IANA time zone name such as Europe/Paris or UTC' },
  ),
);

export const scheduleSchema = z.strictObject({
  /** When the migration starts, e.g. "0 2 ? * SAT *" (02:00 every Saturday). */
  cron: schedulerCron,
  /** The time zone the cron expression is read in. */
  timeZone: z._default(ianaTimeZone, 'UTC'),
});

/** DMS identifiers: letters, digits and hyphens, starting with a letter, no "--", no trailing "-"; DMS stores them lowercase. */
const dmsIdentifier = (description: string, maxLength: number) =>
  z.string({ error: `expected ${description} (a string)` }).check(
    z.regex(new RegExp(`^[a-z](?!.*--)[a-z0-9-]{0,${maxLength - 1}}$`), {
      error: `expected ${description}: 1-${maxLength} lowercase letters, digits or hyphens, starting with a letter, no "--"`,
    }),
    z.refine((identifier) => !identifier.endsWith('-'), { error: `${description} cannot end with a hyphen` }),
  );

export const monitoringSchema = z.strictObject({
  /** The alarm fires when CDCLatencySource or CDCLatencyTarget stays above this for 5 minutes. */
  cdcLatencyAlarmSeconds: z._default(wholeNumber('the CDC latency alarm threshold in seconds', 1, 86400), 600),
  /**
   * The replication instance's name (not its ARN's resource id): DMS publishes task metrics under it. Required
   * with existing DMS resources; the stack knows it when it creates them.
   */
  replicationInstanceIdentifier: z.optional(dmsIdentifier('the replication instance identifier', 63)),
});

const endpointSettings = (description: string) =>
  z.strictObject({
    /**
     * The secret DMS reads the connection from: JSON with host, port, username and password (the shape DMS
     * documents for SecretsManagerSecretId). Never the credentials themselves.
     */
    secretArn: secretArn(description),
    /** The customer-managed KMS key the secret is encrypted with, if not the Secrets Manager default key. */
    secretKmsKeyArn: z.optional(
      z.string().check(
        z.regex(/^arn:(aws|aws-cn|aws-us-gov):kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[0-9a-f-]{36}$/, {
          error: 'expected a KMS key ARN: arn:aws:kms:<region>:<account-id>:key/<key-id>',
        }),
      ),
    ),
  });

export const MIGRATION_TYPES = ['full-load-and-cdc', 'full-load'] as const;

/** What the full load does to a target table that exists: leave its rows alone, or empty it first. */
export const TARGET_TABLE_PREP_MODES = ['DO_NOTHING', 'TRUNCATE_BEFORE_LOAD'] as const;
export type TargetTablePrepMode = (typeof TARGET_TABLE_PREP_MODES)[number];

/** DMS table-mapping rules, passed to DMS as written: https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.html */
const tableMappings = z.strictObject({
  rules: z
    .array(
      z.looseObject({
        'rule-type': z.string({ error: 'expected a rule-type such as "selection"' }),
        'rule-id': z.string({ error: 'expected a rule-id (a string of digits)' }),
        'rule-name': z.string({ error: 'expected a rule-name' }),
      }),
    )
    .check(z.minLength(1, { error: 'expected at least one table-mapping rule' })),
});

const existingDmsResources = z.strictObject({ mode: z.literal('existing') });

const replicationInstanceSettings = z.strictObject({
  instanceClass: z._default(
    z.string().check(z.regex(/^dms\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'expected a DMS instance class such as dms.r6i.large' })),
    'dms.r6i.large',
  ),
  /** Task logs and changes cached during the full load live on this storage. */
  allocatedStorageGb: z._default(wholeNumber('the replication instance storage in GB', 5, 6144), 100),
  /** A standby in a second Availability Zone takes over if the primary fails, so a days-long load survives it. */
  multiAz: z._default(z.boolean({ error: 'expected multiAz to be true or false' }), true),
});

/** DMS capacity units a serverless replication may use: the values the ComputeConfig documentation lists. */
export const CAPACITY_UNITS = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384] as const;
const capacityUnits = (description: string) =>
  z.number({ error: `expected ${description}: one of ${CAPACITY_UNITS.join(', ')}` }).check(
    z.refine((value) => (CAPACITY_UNITS as readonly number[]).includes(value), { error: `expected ${description}: one of ${CAPACITY_UNITS.join(', ')}` }),
  );

/**
 * A DMS Serverless replication (AWS::DMS::ReplicationConfig) instead of a replication instance and task: DMS
 * provisions capacity between the bounds, in the config's subnets and security groups.
 */
const serverlessSettings = z.strictObject({
  maxCapacityUnits: capacityUnits('the maximum DMS capacity units'),
  /** DMS scales down to this when the source is idle; DMS's own default is 1. */
  minCapacityUnits: z.optional(capacityUnits('the minimum DMS capacity units')),
  /** A standby in a second Availability Zone, as for a replication instance. */
  multiAz: z._default(z.boolean({ error: 'expected multiAz to be true or false' }), true),
});

export const createdDmsResourcesSchema = z.strictObject({
  mode: z.literal('create'),
  /** Names the subnet group, instance, endpoints and task: `<identifier>`, `<identifier>-source`, ... */
  identifier: dmsIdentifier('the DMS resource identifier', 48),
  /** Private subnets the replication instance may use; DMS requires subnets in at least two Availability Zones. */
  subnetIds: z
    .array(z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'expected a subnet id such as subnet-0abc1234' })))
    .check(z.minLength(2, { error: 'expected at least two subnet ids, in different Availability Zones' })),
  securityGroupIds: z
    .array(z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, { error: 'expected a security group id such as sg-0abc1234' })))
    .check(z.minLength(1, { error: 'expected at least one security group id' })),
  replicationInstance: z._default(replicationInstanceSettings, () => z.parse(replicationInstanceSettings, {})),
  /** Given: the stack creates a DMS Serverless replication config, and no replication instance or task. */
  serverless: z.optional(serverlessSettings),
  source: endpointSettings('source database'),
  target: endpointSettings('target database'),
  migrationType: z._default(z.enum(MIGRATION_TYPES, { error: `expected one of: ${MIGRATION_TYPES.join(', ')}` }), 'full-load-and-cdc'),
  /** TRUNCATE_BEFORE_LOAD empties every mapped target table when the load starts: only when written here. */
  targetTablePrepMode: z._default(
    z.enum(TARGET_TABLE_PREP_MODES, { error: `expected one of: ${TARGET_TABLE_PREP_MODES.join(', ')}` }),
    'DO_NOTHING',
  ),
  tableMappings,
});

export type CreatedDmsResources = z.output<typeof createdDmsResourcesSchema>;

export const dmsResourcesSchema = z.discriminatedUnion('mode', [existingDmsResources, createdDmsResourcesSchema], {
  error: 'expected mode "existing" (the migration names the DMS resources) or "create" (the stack creates them)',
});

/** The execution-input fields that name DMS resources: given in the config, or filled in by the stack. */
export const DMS_ARN_FIELDS = ['replicationTaskArn', 'sourceEndpointArn', 'targetEndpointArn', 'replicationInstanceArn', 'replicationConfigArn'] as const;
type DmsArnField = (typeof DMS_ARN_FIELDS)[number];

/** A migration whose DMS resources the stack creates: everything but their ARNs. */
export type MigrationSettings = Omit<MigrationConfig, DmsArnField>;

/**
 * Validates a migration block whose DMS resources do not exist yet. The block goes through the one execution
 * input schema, with stand-in ARNs of the right shape for the four resources, so every rule and default
 * applies exactly as at run time; the stand-ins are dropped again and the stack supplies the real ARNs.
 */
export function parseMigrationSettings(
  block: unknown,
): { success: true; data: MigrationSettings } | { success: false; issues: Array<{ path: PropertyKey[]; message: string }> } {
  const given = typeof block === 'object' && block !== null ? (block as Record<string, unknown>) : {};
  const stray = DMS_ARN_FIELDS.filter((field) => field in given);
  if (stray.length > 0) {
    return {
      success: false,
      issues: stray.map((field) => ({ path: [field], message: 'leave this out: the stack creates the DMS resources (dms.mode "create") and fills in their ARNs' })),
    };
  }
  // Any well-formed ARNs will do: they only have to agree with each other, and are never used.
  const standIn = (type: string, id: string) => `arn:aws:dms:eu-west-1:123456789012:${type}:${id}`;
  const result = migrationInputSchema.safeParse({
    ...given,
    replicationTaskArn: standIn('task', 'STANDINTASK'),
    sourceEndpointArn: standIn('endpoint', 'STANDINSOURCE'),
    targetEndpointArn: standIn('endpoint', 'STANDINTARGET'),
    replicationInstanceArn: standIn('rep', 'STANDININSTANCE'),
  }, KEEP_ISSUE_INPUT);
  if (!result.success) return { success: false, issues: result.error.issues.map((issue) => ({ path: issue.path, message: problemMessage(issue) })) };
  const { replicationTaskArn, sourceEndpointArn, targetEndpointArn, replicationInstanceArn, replicationConfigArn, ...settings } = result.data;
  return { success: true, data: settings };
}
