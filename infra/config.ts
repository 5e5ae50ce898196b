import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { migrationInputSchema } from '../functions/shared/migration-input';

/**
 * The deployment config: one file an operator edits, validated before anything is synthesized. The
 * `migration` block is the same execution input the state machine receives, so IAM can be scoped to the
 * migration's own ARNs and a bad ARN fails `cdk synth` instead of a 2 a.m. execution.
 */
export const deploymentConfigSchema = z.strictObject({
  stackName: z
    .string()
    .check(z.regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, { error: 'expected a CloudFormation stack name (letters, digits, hyphens)' })),
  account: z.string().check(z.regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id' })),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region such as eu-west-1' })),
  notificationEmails: z._default(z.array(z.email({ error: 'expected an email address' })), []),
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
  migration: migrationInputSchema,
});

export type DeploymentConfig = z.output<typeof deploymentConfigSchema>;

export function loadDeploymentConfig(path: string): DeploymentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read deployment config ${path}: ${(error as Error).message}`);
  }
  const result = deploymentConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new Error(`Invalid deployment config ${path}:\n${problems.join('\n')}`);
  }
  return result.data;
}
