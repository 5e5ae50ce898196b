import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { migrationInputSchema, type MigrationConfig } from '../functions/shared/migration-input';
import { KEEP_ISSUE_INPUT, problemMessage } from '../functions/shared/zod-messages';
import { VPC_ENDPOINT_MODES } from './constructs/network-endpoints';
import {
  dmsResourcesSchema,
  monitoringSchema,
  parseMigrationSettings,
  scheduleSchema,
  type CreatedDmsResources,
  type MigrationSettings,
} from './deployment-options';

/** A string of one shape; a number or a missing field gets the same message. */
const patterned = (pattern: RegExp, expected: string) => z.string({ error: expected }).check(z.regex(pattern, { error: expected }));

/** A CloudFormation stack name: the deployed stack's own, or a migration stack a wave may start. */
export const stackName = patterned(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a CloudFormation stack name (letters, digits, hyphens)');

/** What every deployment file (a migration's config, a wave deployment) starts with: its stack, where, who is told. */
export const stackFields = {
  stackName,
  account: patterned(/^\d{12}$/, 'expected a 12-digit AWS account id'),
  region: patterned(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1'),
  notificationEmails: z._default(z.array(z.email({ error: 'expected an email address' })), []),
};

/**
 * The deployment config: one file an operator edits, validated before anything is synthesized. The
 * `migration` block is the same execution input the state machine receives, so IAM can be scoped to the
 * migration's own ARNs and a bad ARN fails `cdk synth` instead of a 2 a.m. execution.
 */
const deploymentFields = z.strictObject({
  ...stackFields,
  /** Where the approval e-mail's review link points, when not at the approval API's own address (a custom domain). */
  approvalPageUrl: z.optional(z.url({ protocol: /^https$/, error: 'expected an https URL for the approval page' })),
  /** Remind the approvers once when nobody has decided the cutover after this many minutes. */
  approvalReminderMinutes: z._default(
    z.int({ error: 'expected the approval reminder delay in minutes (a whole number from 5 to 10080)' }).check(
      z.minimum(5, { error: 'expected at least 5 minutes before the approval reminder' }),
      z.maximum(10080, { error: 'expected at most 10080 minutes (a week) before the approval reminder' }),
    ),
    240,
  ),
  /** Start the migration on a schedule (EventBridge Scheduler). @default none: started by hand */
  schedule: z.optional(scheduleSchema),
  monitoring: z._default(monitoringSchema, () => z.parse(monitoringSchema, {})),
  /** Use existing DMS resources (their ARNs in `migration`) or let the stack create them. */
  dms: z._default(dmsResourcesSchema, { mode: 'existing' as const }),
  /** The execution input; with dms.mode "create", without the four DMS ARNs. Checked below, per mode. */
  migration: z.unknown(),
  /** Subnets and security groups for the functions that connect to the databases (readiness, data comparison). */
  databaseNetwork: z.optional(
    z.strictObject({
      vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'expected a VPC id such as vpc-0abc1234def567890' })),
      subnetIds: z.array(z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'expected a subnet id' }))).check(z.minLength(1)),
      securityGroupIds: z.array(z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, { error: 'expected a security group id' }))).check(z.minLength(1)),
      /**
       * How the functions reach the AWS APIs they call: "existing" endpoints or a NAT gateway (synth lists the
       * services), or "create" exactly the endpoints they need.
       */
      vpcEndpoints: z._default(z.enum(VPC_ENDPOINT_MODES, { error: `expected one of: ${VPC_ENDPOINT_MODES.join(', ')}` }), 'existing'),
      /** The subnets' route tables, where "create" adds the S3 and DynamoDB gateway endpoints' routes. */
      routeTableIds: z.optional(z.array(z.string().check(z.regex(/^rtb-[0-9a-f]{8,17}$/, { error: 'expected a route table id such as rtb-0abc1234' })))),
    }),
  ),
});

type DeploymentFields = Omit<z.output<typeof deploymentFields>, 'dms' | 'migration'>;
export type ExistingDmsDeployment = DeploymentFields & { dms: { mode: 'existing' }; migration: MigrationConfig };
export type CreatedDmsDeployment = DeploymentFields & { dms: CreatedDmsResources; migration: MigrationSettings };
export type DeploymentConfig = ExistingDmsDeployment | CreatedDmsDeployment;

/**
 * The migration block is checked per mode: in full by the execution input schema with existing DMS resources,
 * without its four DMS ARNs when the stack creates them. Checked alongside the other fields, even when one of
 * them failed, so one run reports every problem.
 */
function checkPerDmsMode(fields: z.output<typeof deploymentFields>): { problems: Array<{ path: PropertyKey[]; message: string }>; config?: DeploymentConfig } {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  // Fields that failed their own schema arrive as they were written: anything at all.
  const monitoring = (typeof fields.monitoring === 'object' && fields.monitoring !== null ? fields.monitoring : undefined) as z.output<typeof monitoringSchema> | undefined;
  const dms = fields.dms as z.output<typeof dmsResourcesSchema> | undefined;
  // An unknown mode is reported on dms.mode; which migration fields it would need is anyone's guess.
  if (dms?.mode !== 'create' && dms?.mode !== 'existing') return { problems };
  if (dms.mode === 'create') {
    if (monitoring?.replicationInstanceIdentifier !== undefined) {
      problems.push({ path: ['monitoring', 'replicationInstanceIdentifier'], message: 'leave this out: the stack names the replication instance it creates' });
    }
    const settings = parseMigrationSettings(fields.migration);
    if (!settings.success) problems.push(...settings.issues.map((issue) => ({ ...issue, path: ['migration', ...issue.path] })));
    return { problems, config: settings.success ? { ...fields, dms, migration: settings.data } : undefined };
  }
  // A serverless replication has no instance: its metrics are named by the replication config (migration-dashboard.ts).
  const serverless = typeof fields.migration === 'object' && fields.migration !== null && 'replicationConfigArn' in fields.migration;
  if (serverless && monitoring?.replicationInstanceIdentifier !== undefined) {
    problems.push({ path: ['monitoring', 'replicationInstanceIdentifier'], message: 'leave this out: a DMS Serverless replication (replicationConfigArn) runs on no replication instance' });
  }
  if (!serverless && monitoring && monitoring.replicationInstanceIdentifier === undefined) {
    problems.push({
      path: ['monitoring', 'replicationInstanceIdentifier'],
      message: 'expected the replication instance identifier: DMS publishes task metrics under the instance name, which its ARN does not contain',
    });
  }
  const migration = migrationInputSchema.safeParse(fields.migration, KEEP_ISSUE_INPUT);
  if (!migration.success) problems.push(...migration.error.issues.map((issue) => ({ path: ['migration', ...issue.path], message: problemMessage(issue) })));
  return { problems, config: migration.success ? { ...fields, dms: { mode: 'existing' }, migration: migration.data } : undefined };
}

export const deploymentConfigSchema = z.pipe(
  deploymentFields.check(
    z.superRefine(
      (fields, context) => {
        for (const { path, message } of checkPerDmsMode(fields).problems) context.addIssue({ code: 'custom', path, message });
      },
      // zod skips an object's checks once a field has the wrong type (or is missing) unless told otherwise.
      { when: () => true },
    ),
  ),
  // Reached only when every check passed, so the per-mode result is complete.
  z.transform((fields) => checkPerDmsMode(fields).config as DeploymentConfig),
);

/** The stack creates the DMS resources: the migration's ARNs are filled in from them. */
export function createsDmsResources(config: DeploymentConfig): config is CreatedDmsDeployment {
  return config.dms.mode === 'create';
}

/**
 * A config file that cannot be deployed: the message names the file and each field to fix (or the line and
 * column of a JSON syntax error), and is all `cdk synth` should print.
 */
export class DeploymentConfigError extends Error {
  override readonly name = 'DeploymentConfigError';
}

export function loadDeploymentConfig(path: string): DeploymentConfig {
  return loadDeploymentFile(path, 'deployment config', deploymentConfigSchema);
}

/**
 * Reads and validates one deployment file (the migration's config, or a wave deployment): every way it can fail
 * is a DeploymentConfigError naming the file, `what` it is, and each field to fix.
 */
export function loadDeploymentFile<Schema extends z.ZodMiniType>(path: string, what: string, schema: Schema): z.output<Schema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new DeploymentConfigError(`Cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeploymentConfigError(`${what[0].toUpperCase()}${what.slice(1)} ${path} is not valid JSON: ${jsonErrorWithLocation((error as Error).message, text)}`);
  }
  const result = schema.safeParse(raw, KEEP_ISSUE_INPUT);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || `(${what})`}: ${problemMessage(issue)}`);
    throw new DeploymentConfigError(`Invalid ${what} ${path}:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** Node 20 says only "at position 97"; an editor wants the line and column (Node 22 adds them itself). */
function jsonErrorWithLocation(message: string, text: string): string {
  const position = /at position (\d+)/.exec(message);
  if (!position || /\(line \d+ column \d+\)/.test(message)) return message;
  const before = text.slice(0, Number(position[1])).split('\n');
  return `${message} (line ${before.length} column ${before[before.length - 1].length + 1})`;
}
