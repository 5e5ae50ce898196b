import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import { DEPLOYMENT, synthesisContext } from '../support/synthesized-workflow';


function synthesize(overrides: Record<string, unknown> = {}) {
  const config = deploymentConfigSchema.parse({ ...DEPLOYMENT, approvalPageUrl: undefined, ...overrides });
  const app = new App({ context: synthesisContext() });
  const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
  const logicalId = (element: unknown) => Stack.of(stack).getLogicalId((element as { node: { defaultChild: CfnElement } }).node.defaultChild);
  return { stack, template: Template.fromStack(stack), logicalId };
}

/** The statements of the policy attached to a role. */
function statementsOf(template: Template, roleLogicalId: string): unknown[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('approval API', () => {
  const { stack, template, logicalId } = synthesize();
  const api = stack.orchestrator.approvalApi;

  it('serves /review from an HTTP API stage with throttling and KMS-encrypted access logs that leave out the query string', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /review', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApprovalApiAccessLogs'), 'Arn'] }, Format: Match.stringLikeRegexp('"path":"\\$context.path"') },
    });
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const accessLogsId = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[accessLogsId].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalId(stack.orchestrator.key), 'Arn'] });
    expect(JSON.stringify(template.findResources('AWS::ApiGatewayV2::Stage'))).not.toContain('querystring');
  });

  it('lets the page hand task tokens back (SendTask* take no resource-level permissions), read and update its table items and read its key', () => {
    const pageRole = logicalId(api.pageFunction.role);
    // CDK (with the recommended flags) sorts actions and merges the statements on `*`.
    const statements = statementsOf(template, pageRole) as Array<{ Action: string | string[]; Resource: unknown }>;
    const resourceOf = (action: string) => statements.filter((statement) => [statement.Action].flat().includes(action)).map((statement) => statement.Resource);
    expect(resourceOf('dynamodb:GetItem')).toEqual([{ 'Fn::GetAtt': [logicalId(stack.orchestrator.tokenTable), 'Arn'] }]);
    expect(resourceOf('dynamodb:UpdateItem')).toEqual([{ 'Fn::GetAtt': [logicalId(stack.orchestrator.tokenTable), 'Arn'] }]);
    expect(resourceOf('states:SendTaskSuccess')).toEqual(['*']);
    expect(resourceOf('states:SendTaskFailure')).toEqual(['*']);
    expect(resourceOf('secretsmanager:GetSecretValue')).toEqual([{ Ref: logicalId(stack.orchestrator.approvalSigningKey) }]);
    const actions = statementsOf(template, pageRole).flatMap((statement) => (statement as { Action: string | string[] }).Action);
    expect([...new Set(actions)].sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'states:SendTaskFailure', 'states:SendTaskSuccess', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort(),
    );
    // Its items only: the approval requests and the approvers' codes, never the run lock or the cutover record.
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Resource: { 'Fn::GetAtt': [logicalId(stack.orchestrator.tokenTable), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['approval#*', 'approval-code#*'] } },
    });
    expect(api.approverCodesTopic).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('links the approval e-mail to the API, and lets request-approval schedule reminders only in its own group, passing only the scheduler role', () => {
    const requester = stack.orchestrator.functions.requestApproval;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          APPROVAL_BASE_URL: { 'Fn::Join': ['', ['https://', { Ref: logicalId(api.api) }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/review']] },
          APPROVAL_REMINDER_AFTER_SECONDS: '14400',
          APPROVAL_REMINDER_SCHEDULE_GROUP: 'OrdersMigration-approval-reminders',
        }),
      },
    });
    const requesterRole = logicalId(requester.role);
    expect(statementsOf(template, requesterRole)).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'scheduler:CreateSchedule', Resource: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/OrdersMigration-approval-reminders/approval-reminder-*' },
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/ApprovalApiSchedulerRole/), 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]),
    );
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }],
      },
    });
  });

  it('with approvers: a code topic of their own, encrypted, one e-mail subscription each accepting only their own address; only the page publishes there', () => {
    const approvers = ['dba.lead@example.com', 'orders.owner@example.com'];
    const withApprovers = synthesize({ migration: { ...DEPLOYMENT.migration, approval: { approvers, approvals: 2 } } });
    const codes = withApprovers.stack.orchestrator.approvalApi.approverCodesTopic;
    const codesId = withApprovers.logicalId(codes);
    withApprovers.template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'DMS migration approval codes',
      KmsMasterKeyId: { 'Fn::GetAtt': [withApprovers.logicalId(withApprovers.stack.orchestrator.key), 'Arn'] },
    });
    const subscriptions = Object.values(withApprovers.template.findResources('AWS::SNS::Subscription', { Properties: { TopicArn: { Ref: codesId } } }));
    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual(
      approvers.map((approver) => ({ Protocol: 'email', Endpoint: approver, TopicArn: { Ref: codesId }, FilterPolicy: { approver: [approver] } })),
    );
    // The notification list gets no code: its subscriptions are on the other topic.
    expect(Object.values(withApprovers.template.findResources('AWS::SNS::Subscription')).filter((subscription) => subscription.Properties.Endpoint === 'dba@example.com')).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ TopicArn: { Ref: withApprovers.logicalId(withApprovers.stack.orchestrator.topic) } }) }),
    ]);
    const page = withApprovers.stack.orchestrator.approvalApi.pageFunction;
    withApprovers.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Cutover approval page: review, then approve or reject once',
      Environment: { Variables: Match.objectLike({ APPROVER_CODES_TOPIC_ARN: { Ref: codesId } }) },
    });
    withApprovers.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SUBSCRIBED_APPROVERS: approvers.join(',') }) },
    });
    const publishers = Object.entries(withApprovers.template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument.Statement).includes(`{"Ref":"${codesId}"}`))
      .map(([, policy]) => policy.Properties.Roles);
    expect(publishers).toEqual([[{ Ref: withApprovers.logicalId(page.role) }]]);
    expect(statementsOf(withApprovers.template, withApprovers.logicalId(page.role))).toContainEqual({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: codesId } });
  });

  it('takes the reminder delay and a custom page address from the deployment config', () => {
    const custom = synthesize({ approvalPageUrl: 'https://approvals.example.com/review', approvalReminderMinutes: 90 }).template;
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ APPROVAL_BASE_URL: 'https://approvals.example.com/review', APPROVAL_REMINDER_AFTER_SECONDS: '5400' }) },
    });
    expect(() => deploymentConfigSchema.parse({ ...DEPLOYMENT, approvalReminderMinutes: 2 })).toThrow('expected at least 5 minutes before the approval reminder');
  });
});
