import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadWaveDeployment, waveDeploymentSchema, type WaveDeployment } from '../../infra/wave-config';
import { WaveStack } from '../../infra/wave-stack';
import { synthesisContext } from '../support/synthesized-workflow';

const DEPLOYMENT = waveDeploymentSchema.parse({ stackName: 'ShopWave', account: '123456789012', region: 'eu-west-1', migrationStackNames: ['Orders', 'Billing'] });

function synth(deployment: WaveDeployment = DEPLOYMENT) {
  const app = new App({ context: synthesisContext() });
  const stack = new WaveStack(app, deployment.stackName, { deployment, env: { account: deployment.account, region: deployment.region } });
  return { app, stack };
}

describe('wave stack', () => {
  const { stack } = synth();
  const template = Template.fromStack(stack);
  const statements = () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(stack.orchestrator.stateMachine.role.node.defaultChild as never) }] } }));
    return JSON.stringify(policy.Properties.PolicyDocument.Statement);
  };

  it('lets the wave start only the listed migration stacks’ state machines, and follow their executions', () => {
    const policy = statements();
    expect(policy).toContain(':stateMachine:Orders-migration');
    expect(policy).toContain(':stateMachine:Billing-migration');
    expect(policy).toContain(':execution:Orders-migration:*');
    expect(policy).toContain('rule/StepFunctionsGetEventsForStepFunctionsExecutionRule');
    expect(policy).not.toMatch(/stateMachine:\*/);
  });

  it('links the wave’s approval e-mail to its own approval page, whose role decides only the wave’s approvals', () => {
    const { milestones } = stack.orchestrator.functions;
    const page = stack.orchestrator.approvalPage.pageFunction;
    const variables = (fn: typeof page) => template.findResources('AWS::Lambda::Function')[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
    const secret = { Ref: stack.getLogicalId(stack.orchestrator.approvalSigningKey.node.defaultChild as never) };
    expect(variables(milestones)).toMatchObject({ APPROVAL_KEY_SECRET_ARN: secret, APPROVAL_BASE_URL: { 'Fn::Join': expect.anything() } });
    expect(JSON.stringify(variables(milestones).APPROVAL_BASE_URL)).toContain(stack.getLogicalId(stack.orchestrator.approvalPage.api.node.defaultChild as never));
    expect(variables(page)).toMatchObject({ APPROVAL_KEY_SECRET_ARN: secret, TOKEN_TABLE_NAME: { Ref: stack.getLogicalId(stack.orchestrator.tokenTable.node.defaultChild as never) } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /review' });
    const [pagePolicy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(page.role!.node.defaultChild as never) }] } }));
    const pageStatements = JSON.stringify(pagePolicy.Properties.PolicyDocument.Statement);
    expect(pageStatements).toContain('"dynamodb:LeadingKeys":["approval#*","approval-code#*"]');
    expect(pageStatements).toContain('states:SendTaskSuccess');
    expect(pageStatements).not.toContain('dynamodb:PutItem');
  });

  it('runs each migration as a child execution waited on with startExecution.sync:2', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain('arn:aws:states:::states:startExecution.sync:2');
  });

  it('has a wave dashboard: the wave’s executions and functions, and one widget of runs per migration stack', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.values(dashboards).map((dashboard) => dashboard.Properties.DashboardName)).toEqual(['ShopWave-wave']);
    const body = JSON.stringify(Object.values(dashboards)[0].Properties.DashboardBody);
    for (const title of ['Wave executions', 'Wave functions: errors', 'Orders: runs', 'Billing: runs']) expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    for (const metric of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'Errors']) expect(body).toContain(`\\"${metric}\\"`);
    // Each migration stack's own state machine, by its fixed name, and the wave's three functions.
    expect(body).toContain(':stateMachine:Orders-migration');
    expect(body).toContain(':stateMachine:Billing-migration');
    const functionIds = [stack.orchestrator.functions.wave, stack.orchestrator.functions.milestones, stack.orchestrator.approvalPage.pageFunction].map((fn) => stack.getLogicalId(fn.node.defaultChild as never));
    for (const id of functionIds) expect(body).toContain(`{\"Ref\":\"${id}\"}`);
    expect(body).toContain('`Orders-migration`, `Billing-migration`');
  });

  it('alarms on a failed or timed-out wave execution, to the wave’s topic, which only this stack’s alarms may use', () => {
    const topicId = stack.getLogicalId(stack.orchestrator.topic.node.defaultChild as never);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ShopWave-wave-execution-failed',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' }),
        Match.objectLike({ Id: 'failed', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stack.getLogicalId(stack.orchestrator.stateMachine.node.defaultChild as never) } }] }) }) }),
      ]),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ShopWave-*' } },
          }),
        ]),
      }),
    });
  });
});

describe('a wave stack whose wave starts on a schedule (examples/orders-wave.json)', () => {
  const deployment = loadWaveDeployment(path.join(__dirname, '..', '..', 'examples', 'orders-wave.json'));
  const { stack } = synth(deployment);
  const template = Template.fromStack(stack);
  const stateMachineId = stack.getLogicalId(stack.orchestrator.stateMachine.node.defaultChild as never);
  const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));

  it('starts the wave state machine with the scheduled wave, at the configured time and zone', () => {
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 22 ? * FRI *)',
      ScheduleExpressionTimezone: 'Europe/Dublin',
      State: 'ENABLED',
      Target: { Arn: { Ref: stateMachineId }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } },
    });
    const input = JSON.parse(schedule.Properties.Target.Input);
    // The wave as written, its defaults filled in as its execution would.
    expect(input).toEqual({ ...deployment.schedule?.wave, requireAll: false, cutoverConcurrency: 1, stopOnFirstCutoverFailure: true, dryRun: false, mode: 'migrate' });
    expect(input.migrations.map((migration: { stateMachineArn: string }) => migration.stateMachineArn)).toEqual([
      'arn:aws:states:eu-west-1:123456789012:stateMachine:OrdersMigration-migration',
      'arn:aws:states:eu-west-1:123456789012:stateMachine:CustomersMigration-migration',
    ]);
  });

  it('runs as a role that Scheduler alone may assume, and that may only start executions of the wave state machine', () => {
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(template.findResources('AWS::IAM::Role')[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: expect.objectContaining({ StringEquals: expect.objectContaining({ 'aws:SourceAccount': '123456789012' }) }) }),
    ]);
    const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
    expect(policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement)).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachineId } }]);
  });

  it('has no schedule when the deployment gives none', () => {
    Template.fromStack(synth().stack).resourceCountIs('AWS::Scheduler::Schedule', 0);
  });
});
