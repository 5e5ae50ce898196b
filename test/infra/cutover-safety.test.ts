import type { Template } from 'aws-cdk-lib/assertions';
import { REVERSE_SOURCE, REVERSE_TARGET, SOURCE_SECRET, TARGET_SECRET, WITH_WAY_BACK } from '../support/way-back';
import { DEPLOYMENT, synthesizedTemplate } from '../support/synthesized-workflow';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** The statements of the role policy attached to the function whose description starts with `description`. */
function statementsOf(template: Template, description: string): Statement[] {
  const [functionId, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, resource]) => String(resource.Properties.Description).startsWith(description)) ?? [];
  if (!functionId || !fn) throw new Error(`No function described "${description}"`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const grantsFor = (statements: Statement[], action: string) => statements.filter((statement) => [statement.Action].flat().includes(action));

describe('the lossless cutover’s permissions', () => {
  const template = synthesizedTemplate(WITH_WAY_BACK);
  const cutover = statementsOf(template, 'Gate, write freeze');
  const runLock = statementsOf(template, 'One run per migration');

  it('lets the run lock touch only lock# items and read only this state machine’s executions', () => {
    expect(grantsFor(runLock, 'dynamodb:PutItem')).toEqual([
      expect.objectContaining({ Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['lock#*'] } } }),
    ]);
    expect(grantsFor(runLock, 'states:DescribeExecution')).toEqual([
      expect.objectContaining({ Resource: 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:*' }),
    ]);
  });

  it('lets the cutover read exactly the two database secrets and only its cutover# record', () => {
    expect(grantsFor(cutover, 'secretsmanager:GetSecretValue')).toEqual([expect.objectContaining({ Resource: [SOURCE_SECRET, TARGET_SECRET] })]);
    expect(grantsFor(cutover, 'dynamodb:PutItem')).toEqual([
      expect.objectContaining({ Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['cutover#*'] } } }),
    ]);
  });

  it('starts, stops and deletes only tasks tagged with this migration, and creates only from the reverse endpoints', () => {
    for (const action of ['dms:StartReplicationTask', 'dms:DeleteReplicationTask']) {
      expect(grantsFor(cutover, action)).toEqual([
        expect.objectContaining({ Condition: { StringEquals: { 'aws:ResourceTag/dms-orchestrator:migration': 'Orders to Aurora' } } }),
      ]);
    }
    expect(grantsFor(cutover, 'dms:CreateReplicationTask')).toEqual([
      expect.objectContaining({ Resource: expect.arrayContaining([REVERSE_SOURCE, REVERSE_TARGET]) }),
    ]);
    expect(grantsFor(cutover, 'dms:AddTagsToResource')).toEqual([
      expect.objectContaining({ Condition: { StringEquals: { 'aws:RequestTag/dms-orchestrator:migration': 'Orders to Aurora' } } }),
    ]);
  });

  it('without a way back or database access, grants none of it', () => {
    const plain = statementsOf(synthesizedTemplate(DEPLOYMENT), 'Gate, write freeze');
    expect(grantsFor(plain, 'secretsmanager:GetSecretValue')).toEqual([]);
    expect(grantsFor(plain, 'dms:CreateReplicationTask')).toEqual([]);
    expect(grantsFor(plain, 'dms:DeleteReplicationTask')).toEqual([]);
  });
});
