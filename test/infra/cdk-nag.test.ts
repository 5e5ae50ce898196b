import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import { waveDeploymentSchema } from '../../infra/wave-config';
import { WaveStack } from '../../infra/wave-stack';
import { awsSolutionsReport, unacknowledgedFindings, type AwsSolutionsReport } from '../support/aws-solutions-report';
import { DEPLOYMENT } from '../support/synthesized-workflow';
import { WITH_WAY_BACK } from '../support/way-back';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const example = (file: string) => JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as unknown;

/** The migration stack of one deployment config, checked as `cdk synth` checks it. */
function migrationStackReport(deployment: unknown, addToStack?: (stack: MigrationStack) => void): AwsSolutionsReport {
  return awsSolutionsReport((app) => {
    const config = deploymentConfigSchema.parse(deployment);
    const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
    addToStack?.(stack);
  });
}

/** What every stack's report must show. */
function itIsCleanOfFindings(report: AwsSolutionsReport): void {
  it('has no unacknowledged error or warning', () => {
    expect(unacknowledgedFindings(report)).toEqual([]);
  });

  it('gives a reason for every acknowledged finding', () => {
    expect(report.suppressedViolations.length).toBeGreaterThan(0);
    const unexplained = report.suppressedViolations.filter((suppressed) => (suppressed.reason ?? '').trim().length < 20);
    expect(unexplained.map((suppressed) => suppressed.acknowledgedId)).toEqual([]);
  });
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
  itIsCleanOfFindings(migrationStackReport(deployment));
});

describe.each([
  ['started by hand', { stackName: 'ShopWave', account: '123456789012', region: 'eu-west-1', migrationStackNames: ['Orders', 'Billing'] }],
  ['a wave on a schedule (examples/orders-wave.json)', example('orders-wave.json')],
])('cdk-nag AwsSolutions on the wave stack: %s', (_, deployment) => {
  itIsCleanOfFindings(
    awsSolutionsReport((app) => {
      const wave = waveDeploymentSchema.parse(deployment);
      new WaveStack(app, wave.stackName, { deployment: wave, env: { account: wave.account, region: wave.region } });
    }),
  );
});

it('the check sees a finding nobody acknowledged', () => {
  const report = migrationStackReport(DEPLOYMENT, (stack) => new Topic(stack, 'TopicWithoutSslPolicy'));
  expect(report.violations.map((violation) => violation.ruleName)).toEqual(['AwsSolutions-SNS3']);
});
