import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import { migrationInput } from '../support/migration';
import { DEPLOYMENT, synthesisContext } from '../support/synthesized-workflow';

const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf';
const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-GhIjKl';
const WITH_DATABASE = {
  ...DEPLOYMENT,
  migration: migrationInput({ database: { sourceSecretArn: SOURCE_SECRET, targetSecretArn: TARGET_SECRET, schemas: ['orders'] } }),
  databaseNetwork: { vpcId: 'vpc-0a1b2c3d4e5f67890', subnetIds: ['subnet-0a1b2c3d4e5f67890'], securityGroupIds: ['sg-0a1b2c3d4e5f67890'] },
};

function synthesize(deployment: unknown, withNag = false) {
  const config = deploymentConfigSchema.parse(deployment);
  const app = new App({ context: synthesisContext() });
  const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: Template.fromStack(stack) };
}

const { stack, template } = synthesize(WITH_DATABASE);
const functionLogicalId = (name: 'checkReadiness' | 'planDataComparison' | 'compareDataChunk' | 'reportDataComparison') =>
  stack.getLogicalId(stack.orchestrator.functions[name]!.node.defaultChild as never);

/** Every IAM statement attached to a function's role. */
function statementsOf(name: Parameters<typeof functionLogicalId>[0]): Array<{ Action: string | string[]; Resource: unknown }> {
  const roleId = template.toJSON().Resources[functionLogicalId(name)].Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('database checks infrastructure', () => {
  it('keeps comparison plans in an encrypted, private, SSL-only bucket whose objects expire', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('lets exactly the database-facing functions read exactly the two database secrets', () => {
    for (const name of ['checkReadiness', 'planDataComparison', 'compareDataChunk'] as const) {
      expect(statementsOf(name).filter((statement) => statement.Action === 'secretsmanager:GetSecretValue')).toEqual([
        expect.objectContaining({ Resource: [SOURCE_SECRET, TARGET_SECRET] }),
      ]);
    }
    const grantingSecrets = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: { Resource: unknown }) => JSON.stringify(statement.Resource).includes(SOURCE_SECRET));
    // The three above and the cutover (write freeze and catch-up marker).
    expect(grantingSecrets).toHaveLength(4);
  });

  it('lets readiness and the cutover describe the DMS endpoints, which takes no resource-level permission, and no other function', () => {
    const describing = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: { Action: string | string[] }) => [statement.Action].flat().includes('dms:DescribeEndpoints'));
    expect(describing.map((statement: { Resource: unknown }) => statement.Resource)).toEqual(['*', '*']);
    // CDK merges statements on `*` into one (with the network interface permissions, for instance).
    const readinessDescribing = statementsOf('checkReadiness').filter((statement: { Action: string | string[] }) => [statement.Action].flat().includes('dms:DescribeEndpoints'));
    expect(readinessDescribing.map((statement: { Resource: unknown }) => statement.Resource)).toEqual(['*']);
  });

  it('runs the database-facing functions in the configured subnets and security groups, with timeouts sized to their work', () => {
    const timeouts = { checkReadiness: 120, planDataComparison: 300, compareDataChunk: 600, reportDataComparison: 300 };
    for (const [name, timeout] of Object.entries(timeouts)) {
      const properties = template.toJSON().Resources[functionLogicalId(name as keyof typeof timeouts)].Properties;
      expect(properties).toMatchObject({ Timeout: timeout, VpcConfig: { SubnetIds: ['subnet-0a1b2c3d4e5f67890'], SecurityGroupIds: ['sg-0a1b2c3d4e5f67890'] } });
    }
  });

  it('fans chunks out with a bounded inline Map, or a Distributed Map reading the chunk list from S3', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('\\"MaxConcurrencyPath\\":\\"$.dataComparison.maxConcurrency\\"');
    expect(definition).toContain('\\"ItemReader\\":{\\"Resource\\":\\"arn:');
    expect(definition).toContain('\\"ReaderConfig\\":{\\"InputType\\":\\"JSON\\"}');
    expect(definition).toContain('\\"Mode\\":\\"DISTRIBUTED\\",\\"ExecutionType\\":\\"STANDARD\\"');
  });

  it('leaves every database step and resource out when the migration has no database block', () => {
    const without = synthesize(DEPLOYMENT).template;
    without.resourceCountIs('AWS::S3::Bucket', 0);
    expect(JSON.stringify(without.toJSON())).not.toContain('readiness');
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    const { app } = synthesize(WITH_DATABASE, true);
    expect(() => app.synth()).not.toThrow();
  });
});
