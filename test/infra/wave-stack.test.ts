import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WaveStack, waveDeploymentSchema } from '../../infra/wave-stack';
import { synthesisContext } from '../support/synthesized-workflow';

const DEPLOYMENT = waveDeploymentSchema.parse({ stackName: 'ShopWave', account: '123456789012', region: 'eu-west-1', migrationStackNames: ['Orders', 'Billing'] });

function synth(outdir?: string) {
  const app = new App({ context: synthesisContext(), ...(outdir ? { outdir } : {}) });
  const stack = new WaveStack(app, DEPLOYMENT.stackName, { deployment: DEPLOYMENT, env: { account: DEPLOYMENT.account, region: DEPLOYMENT.region } });
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

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dms-wave-nag-'));
    try {
      const { app } = synth(outdir);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      try {
        app.synth();
      } catch {
        // The report names every finding.
      }
      const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
      };
      const violations = report.pluginReports.filter((plugin) => plugin.pluginName === 'AwsSolutions').flatMap((plugin) => plugin.violations);
      expect(violations.map((violation) => `${violation.ruleName}: ${violation.violatingConstructs.map((c) => c.constructPath).join(', ')}`)).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
