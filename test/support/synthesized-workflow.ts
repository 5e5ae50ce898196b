import type { Template } from 'aws-cdk-lib/assertions';
import { buildStack as build, synthesizeWorkflow as synthesize, type SynthesizedWorkflow } from '../../local/workflow/synthesize';

export { synthesisContext } from '../../local/workflow/synthesize';
import { migrationInput } from './migration';
import { synthesizedOncePerRun } from './synthesis-memo';

export type { AslDefinition, AslState, SynthesizedWorkflow } from '../../local/workflow/synthesize';

export const DEPLOYMENT = {
  stackName: 'OrdersMigration',
  account: '123456789012',
  region: 'eu-west-1',
  notificationEmails: ['dba@example.com'],
  approvalPageUrl: 'https://approvals.example.com/review',
  monitoring: { replicationInstanceIdentifier: 'orders-replication' },
  // The parameter the default run input (run-workflow) publishes to: the cutover's role is granted it.
  migration: migrationInput({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' } }),
};

/** The test deployment's state machine, as `cdk synth` writes it (once per jest run: synthesis-memo.ts). */
export function synthesizeWorkflow(deployment: unknown = DEPLOYMENT): SynthesizedWorkflow {
  return synthesizedOncePerRun(deployment, synthesize);
}

/** The test deployment's template, as `cdk synth` writes it (once per jest run, with its workflow). */
export function synthesizedTemplate(deployment: unknown = DEPLOYMENT): Template {
  return synthesizeWorkflow(deployment).template;
}

/** The test deployment's stack, as `cdk synth` builds it. */
export function buildStack(deployment: unknown = DEPLOYMENT): ReturnType<typeof build> {
  return build(deployment);
}
