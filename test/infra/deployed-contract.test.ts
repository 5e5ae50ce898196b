import { readFileSync } from 'node:fs';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as path from 'node:path';
import { conventionalPhysicalResources, evaluate, functionPolicies, stateMachinePolicies, type CfnTemplate, type PrincipalPolicies } from '../../local/iam';
import { TOKEN_TABLE_TTL_ATTRIBUTE } from '../../functions/shared/token-table';
import { NETWORK_SERVICES_METADATA } from '../../infra/constructs/network-endpoints';
import { DATABASE_CHECK_PHASES, ORCHESTRATOR_PHASES, phaseEntry, type Phase } from '../../infra/phases';
import { allStates } from '../../local/workflow/asl';
import { buildStack, synthesizeWorkflow } from '../support/synthesized-workflow';
import { WITH_WAY_BACK } from '../support/way-back';

/**
 * What a real account checks when the stack deploys or runs, read from the synthesized templates of the
 * examples and of a deployment with a way back: the defects these catch are invisible to the local emulator.
 */
const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const example = (file: string) => JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as Record<string, unknown>;
const DATABASE_NETWORK = { vpcId: 'vpc-0a1b2c3d4e5f67890', subnetIds: ['subnet-0a1b2c3d4e5f67890'], securityGroupIds: ['sg-0a1b2c3d4e5f67890'] };
const DEPLOYMENTS: Record<string, unknown> = {
  'orders-to-aurora.json': example('orders-to-aurora.json'),
  'orders-to-rds-create-dms.json': example('orders-to-rds-create-dms.json'),
  'orders-to-aurora-serverless.json': example('orders-to-aurora-serverless.json'),
  'a way back, in the database network': { ...WITH_WAY_BACK, databaseNetwork: DATABASE_NETWORK },
};
const ENVIRONMENT = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };

interface Deployed {
  template: CfnTemplate;
  /** Each function's logical id and its role's policies. */
  functions: Record<string, PrincipalPolicies>;
  /** The state machine role's policies. */
  stateMachine: PrincipalPolicies;
  /** The bucket names and ARNs a deployment would give the template's resources. */
  physical: ReturnType<typeof conventionalPhysicalResources>;
}

function deploy(deployment: unknown): Deployed {
  const template = buildStack(deployment).template.toJSON() as CfnTemplate;
  const physical = conventionalPhysicalResources(template, ENVIRONMENT);
  const [stateMachine] = Object.values(stateMachinePolicies(template, ENVIRONMENT, physical));
  return { template, functions: functionPolicies(template, ENVIRONMENT, physical), stateMachine, physical };
}

describe.each(Object.keys(DEPLOYMENTS))('the synthesized stack for %s', (name) => {
  const { template, functions, stateMachine, physical } = deploy(DEPLOYMENTS[name]);
  const vpcFunctions = Object.keys(functions).filter((logicalId) => template.Resources[logicalId].Properties?.VpcConfig !== undefined);

  it('lets every function in a VPC manage its network interfaces, which Lambda checks at CreateFunction', () => {
    if (name !== 'orders-to-rds-create-dms.json') expect(vpcFunctions.length).toBeGreaterThan(0);
    for (const logicalId of vpcFunctions) {
      for (const action of ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface']) {
        expect({ logicalId, action, decision: evaluate(functions[logicalId].policies, { action, resources: ['*'], context: {} }) }).toEqual({ logicalId, action, decision: { outcome: 'Allow' } });
      }
    }
  });

  // Without a ResultWriter a Distributed Map returns every child's output inline, against the 256 KiB state
  // limit; CDK writes `resultWriterV2` only under @aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2.
  it('gives every Distributed Map a ResultWriter its state machine role may write to', () => {
    const maps = allStates(synthesizeWorkflow(DEPLOYMENTS[name]).definition).filter(([, state]) => (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode === 'DISTRIBUTED');
    const plansBucket = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::S3::Bucket');
    // Only a deployment with database access compares data, and has the plans bucket the maps read and write.
    expect(maps.length > 0).toBe(plansBucket !== undefined);
    for (const [stateName, state] of maps) {
      const writer = state.ResultWriter as { Resource?: string; Arguments?: { Bucket?: string; Prefix?: string } } | undefined;
      expect({ stateName, writer }).toEqual({ stateName, writer: expect.objectContaining({ Resource: 'arn:aws:states:::s3:putObject' }) });
      const resultObject = `${physical[plansBucket as string].attributes.Arn}/${writer?.Arguments?.Prefix}/run-1/SUCCEEDED_0.json`;
      expect(evaluate(stateMachine.policies, { action: 's3:PutObject', resources: [resultObject], context: {} })).toEqual({ outcome: 'Allow' });
    }
  });

  it('expires token-table items by the attribute the functions write', () => {
    const [table] = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::DynamoDB::Table');
    expect(table.Properties?.TimeToLiveSpecification).toEqual({ AttributeName: TOKEN_TABLE_TTL_ATTRIBUTE, Enabled: true });
  });
});

describe('the state machine, as Step Functions runs it', () => {
  const { definition, template } = synthesizeWorkflow(DEPLOYMENTS['a way back, in the database network']);

  // What CDK's LambdaInvoke retries by default (retryOnServiceExceptions), which the workflow's own retriers replace.
  it('retries every Lambda task on each of Lambda’s own transient errors', () => {
    const lambdaServiceErrors = ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];
    const lambdaTasks = allStates(definition).filter(([, state]) => state.Type === 'Task' && String(state.Resource).includes(':lambda:'));
    expect(lambdaTasks.length).toBeGreaterThan(10);
    for (const [stateName, state] of lambdaTasks) {
      const retried = ((state.Retry ?? []) as Array<{ ErrorEquals: string[] }>).flatMap((retrier) => retrier.ErrorEquals);
      expect({ stateName, missing: lambdaServiceErrors.filter((error) => !retried.includes(error)) }).toEqual({ stateName, missing: [] });
    }
  });

  it('logs to a log group under /aws/vendedlogs/states/, where Step Functions’ log delivery belongs', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[logGroupId].Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\/OrdersMigration-migration/);
  });
});

describe('the way back, as a rollback run uses it', () => {
  const { template, functions } = deploy(DEPLOYMENTS['a way back, in the database network']);
  const cutoverId = Object.keys(functions).find((logicalId) => String(template.Resources[logicalId].Properties?.Description).startsWith('Gate, write freeze')) as string;
  const reverseTask = 'arn:aws:dms:eu-west-1:123456789012:task:REVERSETASKABCDEFGHIJKLMNO';
  const tagged = { 'aws:ResourceTag/dms-orchestrator:migration': 'Orders to Aurora' };

  // The gate in mode "rollback" reads the reverse task's table statistics; the switch starts, stops and deletes it.
  it.each(['dms:DescribeTableStatistics', 'dms:StartReplicationTask', 'dms:StopReplicationTask', 'dms:DeleteReplicationTask'])(
    'lets the cutover call %s on the reverse task it tagged, and on no other migration’s task',
    (action) => {
      expect(evaluate(functions[cutoverId].policies, { action, resources: [reverseTask], context: tagged })).toEqual({ outcome: 'Allow' });
      expect(evaluate(functions[cutoverId].policies, { action, resources: [reverseTask], context: { 'aws:ResourceTag/dms-orchestrator:migration': 'Invoices' } })).toMatchObject({ outcome: 'ImplicitDeny' });
    },
  );
});

describe('a DMS Serverless replication, as its run uses it (examples/orders-to-aurora-serverless.json)', () => {
  const { template, functions } = deploy(DEPLOYMENTS['orders-to-aurora-serverless.json']);
  const functionOf = (description: string) => Object.keys(functions).find((logicalId) => String(template.Resources[logicalId].Properties?.Description).startsWith(description)) as string;
  const config = 'arn:aws:dms:eu-west-1:123456789012:replication-config:ORDERSSERVERLESSABCDEFGH';
  const otherConfig = 'arn:aws:dms:eu-west-1:123456789012:replication-config:INVOICESABCDEFGHIJKLMNOP';
  const allowed = (description: string, action: string, resource: string, context: Record<string, string> = {}) =>
    evaluate(functions[functionOf(description)].policies, { action, resources: [resource], context }).outcome;

  it.each([
    ['Starts or resumes the replication', 'dms:StartReplication'],
    ['Reports full-load progress', 'dms:DescribeReplicationTableStatistics'],
    ['Summarizes DMS data validation', 'dms:DescribeReplicationTableStatistics'],
    ['Gate, write freeze', 'dms:StopReplication'],
  ])('lets "%s" call %s on this migration’s replication config only', (description, action) => {
    expect(allowed(description, action, config)).toBe('Allow');
    expect(allowed(description, action, otherConfig)).toBe('ImplicitDeny');
  });

  it('grants no replication-task action at all: the engine decides the DMS actions', () => {
    for (const logicalId of Object.keys(functions)) {
      for (const action of ['dms:StartReplicationTask', 'dms:StopReplicationTask', 'dms:DescribeTableStatistics', 'dms:TestConnection']) {
        expect({ logicalId, action, outcome: evaluate(functions[logicalId].policies, { action, resources: ['*'], context: {} }).outcome }).toEqual({ logicalId, action, outcome: 'ImplicitDeny' });
      }
    }
  });

  it.each(['dms:DescribeReplicationTableStatistics', 'dms:StartReplication', 'dms:StopReplication', 'dms:DeleteReplicationConfig'])(
    'lets the cutover call %s on the reverse replication config it tagged, and on no other migration’s',
    (action) => {
      const migrationName = 'Orders EC2 MySQL to Aurora Serverless DMS';
      expect(allowed('Gate, write freeze', action, otherConfig, { 'aws:ResourceTag/dms-orchestrator:migration': migrationName })).toBe('Allow');
      expect(allowed('Gate, write freeze', action, otherConfig, { 'aws:ResourceTag/dms-orchestrator:migration': 'Invoices' })).toBe('ImplicitDeny');
    },
  );

  it('lets the cutover create the reverse replication config only on the reverse endpoints, tagged with this migration', () => {
    const reverseSource = 'arn:aws:dms:eu-west-1:123456789012:endpoint:ORDERSREVERSESOURCEABCDEF';
    const tagged = { 'aws:RequestTag/dms-orchestrator:migration': 'Orders EC2 MySQL to Aurora Serverless DMS' };
    expect(allowed('Gate, write freeze', 'dms:CreateReplicationConfig', reverseSource, tagged)).toBe('Allow');
    expect(allowed('Gate, write freeze', 'dms:CreateReplicationConfig', reverseSource)).toBe('ImplicitDeny');
    expect(allowed('Gate, write freeze', 'dms:CreateReplicationConfig', 'arn:aws:dms:eu-west-1:123456789012:endpoint:ORDERSSOURCEABCDEFGHIJKLMN', tagged)).toBe('ImplicitDeny');
    expect(allowed('Gate, write freeze', 'dms:AddTagsToResource', otherConfig, tagged)).toBe('Allow');
  });
});

describe('the database network’s way to the AWS APIs', () => {
  const withNetwork = (network: Record<string, unknown>) => ({ ...WITH_WAY_BACK, databaseNetwork: { ...DATABASE_NETWORK, ...network } });
  const metadataOf = (resource: unknown) => (resource as { Metadata?: Record<string, unknown> }).Metadata?.[NETWORK_SERVICES_METADATA];
  const servicesOf = (template: CfnTemplate, description: string) =>
    metadataOf(Object.values(template.Resources).find((resource) => String(resource.Properties?.Description).startsWith(description)));

  it('marks every VPC function with the services its role lets it call: the cutover calls six', () => {
    const { template } = deploy(DEPLOYMENTS['a way back, in the database network']);
    expect(servicesOf(template, 'Gate, write freeze')).toEqual(['dms', 'dynamodb', 'monitoring', 'rds', 'secretsmanager', 'ssm']);
    expect(servicesOf(template, 'Compares one chunk')).toEqual(['s3', 'secretsmanager']);
    for (const resource of Object.values(template.Resources).filter((candidate) => candidate.Type === 'AWS::Lambda::Function')) {
      expect(metadataOf(resource) !== undefined).toBe(resource.Properties?.VpcConfig !== undefined);
    }
  });

  it('creates exactly those endpoints with vpcEndpoints "create": interface endpoints with private DNS, S3 and DynamoDB as gateways', () => {
    const { stack, template } = buildStack(withNetwork({ vpcEndpoints: 'create', routeTableIds: ['rtb-0a1b2c3d4e5f67890'] }));
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((endpoint) => endpoint.Properties);
    const called = stack.orchestrator.networkEndpoints?.services.map((name) => `com.amazonaws.eu-west-1.${name}`);
    expect(endpoints.map((endpoint) => endpoint.ServiceName).sort()).toEqual(called);
    expect(called).toEqual(expect.arrayContaining(['com.amazonaws.eu-west-1.dms', 'com.amazonaws.eu-west-1.monitoring', 'com.amazonaws.eu-west-1.ssm']));
    for (const endpoint of endpoints) {
      if (['com.amazonaws.eu-west-1.s3', 'com.amazonaws.eu-west-1.dynamodb'].includes(endpoint.ServiceName)) {
        expect(endpoint).toMatchObject({ VpcEndpointType: 'Gateway', RouteTableIds: ['rtb-0a1b2c3d4e5f67890'] });
      } else {
        expect(endpoint).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true, SubnetIds: DATABASE_NETWORK.subnetIds });
      }
    }
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: DATABASE_NETWORK.securityGroupIds[0] })],
    });
  });

  it('with "existing" (the default) creates none and says in the synth output which the network must provide', () => {
    const { stack, template } = buildStack(withNetwork({}));
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    Annotations.fromStack(stack).hasInfo('*', Match.stringLikeRegexp('must reach dms, dynamodb, monitoring, rds, s3, secretsmanager, ssm through VPC endpoints or a NAT gateway'));
  });

  it('asks for the route tables when "create" needs gateway endpoints', () => {
    expect(() => buildStack(withNetwork({ vpcEndpoints: 'create' }))).toThrow('databaseNetwork.routeTableIds is required with vpcEndpoints "create"');
  });

  it('builds every SDK client of a VPC function with the network timeouts', () => {
    const phases = { ...ORCHESTRATOR_PHASES, ...DATABASE_CHECK_PHASES } as Record<Phase, { network?: boolean }>;
    const inNetwork = (Object.keys(phases) as Phase[]).filter((phase) => phases[phase].network);
    expect(inNetwork.length).toBeGreaterThanOrEqual(5);
    for (const phase of inNetwork) {
      const source = readFileSync(path.join(__dirname, '..', '..', 'functions', `${phaseEntry(phase)}.ts`), 'utf8');
      expect({ phase, plainClients: source.match(/new \w+Client\(/g) ?? [] }).toEqual({ phase, plainClients: [] });
      expect(source).toContain('databaseNetworkClient(');
    }
  });
});
