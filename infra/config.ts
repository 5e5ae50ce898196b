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
  /** Where the approval e-mail's review link points. */
  approvalPageUrl: z.url({ protocol: /^https$/, error: 'expected an https URL for the approval page' }),
  migration: migrationInputSchema,
  /** Subnets and security groups for the functions that connect to the databases (readiness, data comparison). */
  databaseNetwork: z.optional(
    z.strictObject({
      vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'expected a VPC id such as vpc-0abc1234def567890' })),
      subnetIds: z.array(z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'expected a subnet id' }))).check(z.minLength(1)),
      securityGroupIds: z.array(z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, { error: 'expected a security group id' }))).check(z.minLength(1)),
    }),
  ),
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
