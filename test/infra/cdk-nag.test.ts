import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import { DEPLOYMENT, synthesisContext } from '../support/synthesized-workflow';
import { WITH_WAY_BACK } from '../support/way-back';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const example = (file: string) => JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as unknown;

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{ ruleName: string; severity: string; violatingConstructs: Array<{ constructPath: string }> }>;
    suppressedViolations: Array<{ ruleName: string; acknowledgedId: string; reason?: string }>;
  }>;
}

/**
 * Synthesizes the stack the way `cdk synth` does (infra/app.ts): cdk-nag 3 is a validation plugin, so its
 * findings land in the synthesis validation report, errors and warnings alike, next to the acknowledged ones
 * with their reasons. Synthesis fails on an unacknowledged error; the report is written either way.
 */
function awsSolutionsReport(deployment: unknown, addToStack?: (stack: MigrationStack) => void): ValidationReport['pluginReports'][number] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dms-nag-'));
  try {
    const config = deploymentConfigSchema.parse(deployment);
    const app = new App({ outdir, context: synthesisContext() });
    const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
    addToStack?.(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch {
      // Read from the report below, which names every finding.
    }
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    const [awsSolutions] = report.pluginReports.filter((plugin) => plugin.pluginName === 'AwsSolutions');
    return awsSolutions;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe.each([
  ['existing DMS resources, started by hand', DEPLOYMENT],
  ['existing DMS resources on a schedule (examples/orders-to-aurora.json)', example('orders-to-aurora.json')],
  ['DMS resources created by the stack (examples/orders-to-rds-create-dms.json)', example('orders-to-rds-create-dms.json')],
  ['a DMS Serverless replication with a way back (examples/orders-to-aurora-serverless.json)', example('orders-to-aurora-serverless.json')],
  [
    'a DMS Serverless replication config created by the stack',
    (() => {
      const created = example('orders-to-rds-create-dms.json') as { dms: Record<string, unknown> };
      return { ...created, dms: { ...created.dms, serverless: { maxCapacityUnits: 16, minCapacityUnits: 2 } } };
    })(),
  ],
  ['direct database access and a way back (reverse replication)', WITH_WAY_BACK],
  [
    'approvers confirming with one-time codes, two of them needed',
    { ...DEPLOYMENT, migration: { ...DEPLOYMENT.migration, approval: { approvers: ['dba.lead@example.com', 'orders.owner@example.com'], approvals: 2 } } },
  ],
  [
    'a way back, in the database network, with the VPC endpoints it needs',
    {
      ...WITH_WAY_BACK,
      databaseNetwork: {
        vpcId: 'vpc-0a1b2c3d4e5f67890',
        subnetIds: ['subnet-0a1b2c3d4e5f67890'],
        securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
        vpcEndpoints: 'create',
        routeTableIds: ['rtb-0a1b2c3d4e5f67890'],
      },
    },
  ],
])('cdk-nag AwsSolutions on the stack: %s', (_, deployment) => {
  const report = awsSolutionsReport(deployment);

  it('has no unacknowledged error or warning', () => {
    const findings = report.violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingConstructs.map((construct) => construct.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('gives a reason for every acknowledged finding', () => {
    expect(report.suppressedViolations.length).toBeGreaterThan(0);
    const unexplained = report.suppressedViolations.filter((suppressed) => (suppressed.reason ?? '').trim().length < 20);
    expect(unexplained.map((suppressed) => suppressed.acknowledgedId)).toEqual([]);
  });
});

it('the check sees a finding nobody acknowledged', () => {
  const report = awsSolutionsReport(DEPLOYMENT, (stack) => new Topic(stack, 'TopicWithoutSslPolicy'));
  expect(report.violations.map((violation) => violation.ruleName)).toEqual(['AwsSolutions-SNS3']);
});
