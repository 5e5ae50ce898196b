import {
  accessDeniedAnswer,
  assumedRoleArn,
  conventionalPhysicalResources,
  evaluate,
  parsePolicyDocument,
  functionPolicies,
  policyProblems,
  resolveIntrinsic,
  stateMachinePolicies,
  UnknownManagedPolicyError,
  UnresolvableTemplateError,
  principalPolicies,
  type CfnTemplate,
  type PrincipalPolicies,
} from '../../../../local/iam';
import { synthesizedTemplate } from '../../../support/synthesized-workflow';
import { DATABASE_ACCESS, TASK_ARN } from '../../../support/migration';
import { WITH_WAY_BACK } from '../../../support/way-back';

const environment = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const REVERSE_TASK = 'arn:aws:dms:eu-west-1:123456789012:task:REVERSETASKABCDEFGHIJKLMNO';
const MIGRATION_TAG = 'aws:ResourceTag/dms-orchestrator:migration';

function principalsOf(deployment: unknown) {
  const template = synthesizedTemplate(deployment).toJSON() as CfnTemplate;
  const resources = conventionalPhysicalResources(template, environment);
  const functions = functionPolicies(template, environment, resources);
  /** The function whose Description starts with `description`, as the infra tests find them. */
  const fn = (description: string): PrincipalPolicies => {
    const [logicalId] = Object.entries(template.Resources).find(([, resource]) => String(resource.Properties?.Description).startsWith(description)) ?? [];
    if (!logicalId) throw new Error(`No function described "${description}"`);
    return functions[logicalId];
  };
  return { template, resources, functions, fn, stateMachines: stateMachinePolicies(template, environment, resources) };
}

describe('the synthesized stack’s policies, as the local IAM evaluates them', () => {
  const { template, resources, functions, fn, stateMachines } = principalsOf(WITH_WAY_BACK);
  const cutover = fn('Gate, write freeze');
  const runLock = fn('One run per migration');

  it('finds every function’s role and the state machine’s, and every action they name exists', async () => {
    const principals = [...Object.values(functions), ...Object.values(stateMachines)];
    expect(Object.keys(functions).length).toBe(Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function').length);
    expect(Object.keys(stateMachines)).toHaveLength(1);
    for (const principal of principals) expect(principal.policies.length).toBeGreaterThan(0);
    expect(await policyProblems(principals.flatMap((principal) => principal.policies))).toEqual([]);
  });

  it('lets the cutover start, stop and delete only tasks tagged with this migration', () => {
    const start = (tags: Record<string, string>) => evaluate(cutover.policies, { action: 'dms:StartReplicationTask', resources: [REVERSE_TASK], context: tags });
    expect(start({ [MIGRATION_TAG]: 'Orders to Aurora' })).toEqual({ outcome: 'Allow' });
    expect(start({ [MIGRATION_TAG]: 'Invoices to Aurora' })).toEqual({ outcome: 'ImplicitDeny', deniedResource: REVERSE_TASK });
    expect(start({})).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('lets the cutover tag a new task only with this migration’s name', () => {
    const tag = (value: string) => evaluate(cutover.policies, { action: 'dms:AddTagsToResource', resources: [REVERSE_TASK], context: { 'aws:RequestTag/dms-orchestrator:migration': value, 'aws:TagKeys': ['dms-orchestrator:migration'] } });
    expect(tag('Orders to Aurora')).toEqual({ outcome: 'Allow' });
    expect(tag('Something else')).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('lets the cutover read the database secrets by their full ARN only', () => {
    const read = (secret: string) => evaluate(cutover.policies, { action: 'secretsmanager:GetSecretValue', resources: [secret], context: {} });
    expect(read(DATABASE_ACCESS.sourceSecretArn)).toEqual({ outcome: 'Allow' });
    expect(read(DATABASE_ACCESS.sourceSecretArn.replace(/-AbCdEf$/, '-ZyXwVu'))).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('never gets to deploy a secret named by its partial ARN (no 6-character suffix): its policy could match no real secret', () => {
    const partialArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source';
    const realSecret = `${partialArn}-Q1w2E3`;
    const partialGrant = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: partialArn }] }];
    expect(evaluate(partialGrant.map((document) => parsePolicyDocument('partial', document)), { action: 'secretsmanager:GetSecretValue', resources: [realSecret], context: {} })).toMatchObject({ outcome: 'ImplicitDeny' });
    const partial = { ...WITH_WAY_BACK, migration: { ...WITH_WAY_BACK.migration, database: { ...DATABASE_ACCESS, sourceSecretArn: partialArn } } };
    expect(() => principalsOf(partial)).toThrow(/expected the complete source database secret ARN/);
  });

  it('keeps the run lock to lock# items and the cutover to cutover# items of the token table', () => {
    const table = resources[Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::DynamoDB::Table') ?? ''].attributes.Arn;
    const put = (principal: PrincipalPolicies, key: string) => evaluate(principal.policies, { action: 'dynamodb:PutItem', resources: [table], context: { 'dynamodb:LeadingKeys': [key] } });
    expect(put(runLock, 'lock#orders-to-aurora')).toEqual({ outcome: 'Allow' });
    expect(put(runLock, 'cutover#orders-to-aurora')).toMatchObject({ outcome: 'ImplicitDeny' });
    expect(put(cutover, 'cutover#orders-to-aurora')).toEqual({ outcome: 'Allow' });
    expect(put(cutover, 'lock#orders-to-aurora')).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('lets the state machine invoke its functions and their versions, and describe its own executions', () => {
    const [machine] = Object.values(stateMachines);
    const someFunction = resources[Object.keys(functions)[0]].attributes.Arn;
    expect(evaluate(machine.policies, { action: 'lambda:InvokeFunction', resources: [someFunction, `${someFunction}:1`], context: {} })).toEqual({ outcome: 'Allow' });
    const machineArn = resources[Object.keys(stateMachines)[0]].ref;
    const execution = `${machineArn.replace(':stateMachine:', ':execution:')}:run-1`;
    expect(evaluate(machine.policies, { action: 'states:DescribeExecution', resources: [execution], context: {} })).toEqual({ outcome: 'Allow' });
  });

  it('answers a denied call the way AWS words it', () => {
    const decision = evaluate(cutover.policies, { action: 'dms:StartReplicationTask', resources: [REVERSE_TASK], context: {} });
    if (decision.outcome === 'Allow') throw new Error('expected a denial');
    const principal = assumedRoleArn('aws', '123456789012', cutover.roleName, 'OrdersMigration-cutover');
    expect(accessDeniedAnswer(principal, 'dms:StartReplicationTask', decision)).toEqual({
      code: 'AccessDeniedException',
      statusCode: 400,
      message: `User: arn:aws:sts::123456789012:assumed-role/${cutover.roleName}/OrdersMigration-cutover is not authorized to perform: dms:StartReplicationTask on resource: ${REVERSE_TASK} because no identity-based policy allows the dms:StartReplicationTask action`,
    });
    expect(evaluate(cutover.policies, { action: 'dms:DescribeTableStatistics', resources: [TASK_ARN], context: {} })).toEqual({ outcome: 'Allow' });
  });
});

describe('resolving a template’s intrinsic functions', () => {
  const resources = { Machine: { ref: 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders', attributes: {} }, Fn: { ref: 'fn', attributes: { Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn' } } };
  const resolve = (value: unknown) => resolveIntrinsic(value, environment, resources);

  it('resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub and the pseudo parameters', () => {
    expect(resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:', { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] }, ':*']] })).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:orders:*',
    );
    expect(resolve({ 'Fn::GetAtt': 'Fn.Arn' })).toBe('arn:aws:lambda:eu-west-1:123456789012:function:fn');
    expect(resolve({ 'Fn::Sub': '${Fn.Arn}:*' })).toBe('arn:aws:lambda:eu-west-1:123456789012:function:fn:*');
    expect(resolve({ 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}/${!literal}', { Bucket: 'plans' }] })).toBe('arn:aws:s3:::plans/${literal}');
  });

  it('refuses what it cannot resolve', () => {
    expect(() => resolve({ Ref: 'Missing' })).toThrow(UnresolvableTemplateError);
    expect(() => resolve({ 'Fn::GetAtt': ['Fn', 'Version'] })).toThrow(UnresolvableTemplateError);
    expect(() => resolve({ 'Fn::ImportValue': 'shared-vpc' })).toThrow(/unsupported intrinsic Fn::ImportValue/);
  });

  it('takes the documented statements of the AWS managed Lambda policies, and refuses an unknown managed policy', () => {
    const template: CfnTemplate = {
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: { ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] }] } },
        Other: { Type: 'AWS::IAM::Role', Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] } },
      },
    };
    const physical = conventionalPhysicalResources(template, environment);
    const { policies } = principalPolicies(template, 'Role', environment, physical);
    expect(evaluate(policies, { action: 'ec2:CreateNetworkInterface', resources: ['*'], context: {} })).toEqual({ outcome: 'Allow' });
    expect(() => principalPolicies(template, 'Other', environment, physical)).toThrow(UnknownManagedPolicyError);
  });
});
