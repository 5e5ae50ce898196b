import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import { TRANSIENT_ERRORS } from '../../statemachine/kit';
import { replicationTaskSettings } from '../../infra/constructs/dms-resources';
import { REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, TASK_ARN } from '../support/migration';
import { buildStack, DEPLOYMENT, synthesizeWorkflow, synthesisContext } from '../support/synthesized-workflow';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const CREATE_DMS = JSON.parse(readFileSync(path.join(EXAMPLES, 'orders-to-rds-create-dms.json'), 'utf8')) as Record<string, unknown>;
const SCHEDULED = { ...DEPLOYMENT, schedule: { cron: '0 2 ? * SAT *', timeZone: 'Europe/Paris' } };

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Principal?: unknown; Condition?: unknown };

/** Every statement of every identity policy in the template, with the policy's logical id. */
function policyStatements(template: Template): Array<Statement & { policy: string }> {
  return Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({ ...statement, policy })),
  );
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat();
/** DMS calls that change something: everything but the Describe and List calls. */
const isMutatingDms = (action: string) => action.startsWith('dms:') && !/^dms:(Describe|List)/.test(action);

/** The resources each mutating DMS action is allowed on, across all policies. */
function mutatingDmsGrants(template: Template): Record<string, unknown[]> {
  const grants: Record<string, unknown[]> = {};
  for (const statement of policyStatements(template)) {
    for (const action of actionsOf(statement).filter(isMutatingDms)) grants[action] = [...(grants[action] ?? []), ...resourcesOf(statement)];
  }
  return grants;
}

describe('the stack, from the deployment config', () => {
  const { template } = buildStack(SCHEDULED);

  describe('IAM scoping', () => {
    it('grants no DMS action with a wildcard in the action name', () => {
      const wildcards = policyStatements(template).flatMap(actionsOf).filter((action) => action.startsWith('dms:') && action.includes('*'));
      expect(wildcards).toEqual([]);
    });

    it('scopes every mutating DMS action to this migration’s ARNs, never to "*"', () => {
      const grants = mutatingDmsGrants(template);
      const migrationArns = [TASK_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, REPLICATION_INSTANCE_ARN];
      for (const [action, resources] of Object.entries(grants)) {
        expect({ action, outside: resources.filter((resource) => !migrationArns.includes(resource as string)) }).toEqual({ action, outside: [] });
      }
      expect(Object.keys(grants)).toEqual(expect.arrayContaining(['dms:StartReplicationTask', 'dms:StopReplicationTask', 'dms:TestConnection']));
      expect(grants['dms:StartReplicationTask']).toEqual([TASK_ARN]);
      expect(grants['dms:StopReplicationTask']).toEqual([TASK_ARN]);
      expect(grants['dms:TestConnection']).toEqual([SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, REPLICATION_INSTANCE_ARN]);
    });

    it('lets the notify function read the migration\'s task, whose settings say where a failure e-mail finds its log', () => {
      const [[notifyId, notify]] = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Publishes migration notifications' } }));
      expect(notify.Properties.Environment.Variables.REPLICATION_TASK_ARN).toBe(TASK_ARN);
      const roleId = (notify.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId));
      const actions = policies.flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf));
      expect({ notifyId, actions }).toEqual({ notifyId, actions: expect.arrayContaining(['dms:DescribeReplicationTasks', 'sns:Publish']) });
    });

    it('allows "*" only for actions without resource-level permissions', () => {
      const onAnything = policyStatements(template)
        .filter((statement) => resourcesOf(statement).includes('*'))
        .flatMap(actionsOf);
      expect([...new Set(onAnything)].sort()).toEqual([
        'cloudwatch:GetMetricData',
        'dms:DescribeConnections',
        'dms:DescribeReplicationInstances',
        'dms:DescribeReplicationTasks',
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    });
  });

  describe('the full-load checks', () => {
    it('are one rule, every minute, off until a full-load wait turns it on, that only the wait\'s two functions can turn on and off', () => {
      const rules = Object.values(template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: Match.anyValue() } }));
      expect(rules).toHaveLength(1);
      expect(rules[0].Properties).toMatchObject({ Name: 'OrdersMigration-full-load-checks', ScheduleExpression: 'rate(1 minute)', State: 'DISABLED' });
      const ruleArn = 'arn:aws:events:eu-west-1:123456789012:rule/OrdersMigration-full-load-checks';
      const switching = policyStatements(template).filter((statement) => actionsOf(statement).some((action) => action.startsWith('events:')));
      expect(switching.map((statement) => ({ actions: actionsOf(statement), resources: resourcesOf(statement) }))).toEqual([
        { actions: ['events:DisableRule', 'events:EnableRule'], resources: [ruleArn] },
        { actions: ['events:DisableRule', 'events:EnableRule'], resources: [ruleArn] },
      ]);
      const environments = Object.values(template.findResources('AWS::Lambda::Function'))
        .map((fn) => fn.Properties.Environment?.Variables?.FULL_LOAD_CHECK_RULE_NAME)
        .filter(Boolean);
      expect(environments).toEqual(['OrdersMigration-full-load-checks', 'OrdersMigration-full-load-checks']);
    });
  });

  describe('encryption', () => {
    it('encrypts the topic with the rotating customer-managed key and refuses plain HTTP', () => {
      const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    });

    it('encrypts every log group with the key', () => {
      const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
      const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
      expect(logGroups.length).toBeGreaterThan(10);
      for (const logGroup of logGroups) expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    });

    it('encrypts the token table and keeps point-in-time recovery on', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('lets this stack’s CloudWatch alarms, and only them, use the key and publish to the topic', () => {
      const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
      const fromTheseAlarms = {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:OrdersMigration-*' },
      };
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: fromTheseAlarms },
          ]),
        },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: topicId }, Condition: fromTheseAlarms }),
          ]),
        },
      });
      const alarmNames = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties.AlarmName);
      expect(alarmNames.sort()).toEqual(['OrdersMigration-cdc-latency', 'OrdersMigration-execution-failed']);
    });
  });

  describe('state machine logs and tracing', () => {
    it('logs every event without execution data, traced with X-Ray', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ALL' }),
      });
    });

    it('traces every function with X-Ray', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions.map((fn) => fn.Properties.TracingConfig)).toEqual(functions.map(() => ({ Mode: 'Active' })));
    });
  });

  describe('the schedule', () => {
    it('starts the state machine with the configured migration at the configured time and zone', () => {
      const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
      const [stateMachineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
      expect(schedule.Properties).toMatchObject({
        ScheduleExpression: 'cron(0 2 ? * SAT *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
        State: 'ENABLED',
        Target: { Arn: { Ref: stateMachineId }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } },
      });
      expect(JSON.parse(schedule.Properties.Target.Input)).toMatchObject({ ...DEPLOYMENT.migration, startPolicy: 'auto' });
    });

    it('runs as a role that may only start executions of this state machine', () => {
      const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
      const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
      const [stateMachineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
      expect(template.findResources('AWS::IAM::Role')[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: expect.objectContaining({ StringEquals: expect.objectContaining({ 'aws:SourceAccount': '123456789012' }) }) }),
      ]);
      const statements = policyStatements(template).filter((statement) =>
        JSON.stringify(template.findResources('AWS::IAM::Policy')[statement.policy].Properties.Roles).includes(roleId),
      );
      expect(statements.map(({ Action, Resource, Effect }) => ({ Action, Resource, Effect }))).toEqual([
        { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachineId } },
      ]);
    });

    it('is left out when the config has none', () => {
      buildStack(DEPLOYMENT).template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    });
  });

  describe('dashboard and alarms', () => {
    /** The task metric dimensions: the instance's name and the task ARN's resource id. */
    const TASK_DIMENSIONS = [
      { Name: 'ReplicationInstanceIdentifier', Value: 'orders-replication' },
      { Name: 'ReplicationTaskIdentifier', Value: 'ORDERSTASKABCDEFGHIJKLMNOP' },
    ];

    it('shows execution status, full-load throughput, CDC latency and validation failures', () => {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const metric of [
        'ExecutionsStarted',
        'ExecutionsSucceeded',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
        'FullLoadThroughputRowsSource',
        'FullLoadThroughputRowsTarget',
        'CDCLatencySource',
        'CDCLatencyTarget',
        'ValidationFailedOverallCount',
      ]) {
        expect(body).toContain(`\\"${metric}\\"`);
      }
      expect(body).toContain('\\"ReplicationInstanceIdentifier\\",\\"orders-replication\\",\\"ReplicationTaskIdentifier\\",\\"ORDERSTASKABCDEFGHIJKLMNOP\\"');
    });

    it('alarms on a failed or timed-out execution, notifying the topic', () => {
      const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' }),
          Match.objectLike({ Id: 'failed', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }) }) }),
          Match.objectLike({ Id: 'timedOut', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut', Namespace: 'AWS/States' }) }) }),
        ]),
      });
    });

    it('alarms when CDC latency on either side stays above the configured threshold for 5 minutes', () => {
      const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
      const latency = (id: string, metricName: string) =>
        Match.objectLike({ Id: id, MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName: metricName, Dimensions: TASK_DIMENSIONS }, Period: 60, Stat: 'Maximum' } });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: topicId }],
        Threshold: 600,
        EvaluationPeriods: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([source, target])' }), latency('source', 'CDCLatencySource'), latency('target', 'CDCLatencyTarget')]),
      });
      const threshold = buildStack({ ...DEPLOYMENT, monitoring: { replicationInstanceIdentifier: 'orders-replication', cdcLatencyAlarmSeconds: 120 } }).template;
      threshold.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 120, Metrics: Match.arrayWith([latency('source', 'CDCLatencySource')]) });
    });
  });
});

it('refuses to build a dashboard without the replication instance name, for configs built by hand', () => {
  const config = deploymentConfigSchema.parse(DEPLOYMENT);
  const handMade = { ...config, monitoring: { cdcLatencyAlarmSeconds: 600 } };
  expect(() => new MigrationStack(new App({ context: synthesisContext() }), 'HandMade', { config: handMade })).toThrow(
    'monitoring.replicationInstanceIdentifier is required with existing DMS resources: DMS publishes task metrics under the instance name',
  );
});

describe('retry configuration of the state machine', () => {
  const { definition } = synthesizeWorkflow();
  const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
  type Retrier = { ErrorEquals: string[]; IntervalSeconds: number; BackoffRate: number; MaxAttempts: number; MaxDelaySeconds?: number; JitterStrategy?: string };

  it('retries every task on transient errors only, with exponential backoff, full jitter and bounded attempts', () => {
    expect(tasks.length).toBeGreaterThan(10);
    for (const [name, state] of tasks) {
      const retriers = (state.Retry ?? []) as Retrier[];
      expect({ name, coversEveryTransientError: retriers.some((retrier) => TRANSIENT_ERRORS.every((error) => retrier.ErrorEquals.includes(error))) }).toEqual({ name, coversEveryTransientError: true });
      for (const retrier of retriers) {
        expect({ name, ...retrier }).toEqual({
          name,
          ErrorEquals: retrier.ErrorEquals.filter((error) => TRANSIENT_ERRORS.includes(error)),
          IntervalSeconds: expect.any(Number),
          BackoffRate: 2,
          MaxAttempts: 6,
          MaxDelaySeconds: 60,
          JitterStrategy: 'FULL',
        });
      }
    }
  });

  it('never retries a real failure or a catch-all', () => {
    const retried = tasks.flatMap(([, state]) => (state.Retry as Retrier[]).flatMap((retrier) => retrier.ErrorEquals));
    for (const realFailure of ['ConnectionTestFailed', 'CutoverPreconditionFailed', 'TablesErrored', 'ValidationMismatch', 'States.ALL', 'States.TaskFailed', 'States.Timeout']) {
      expect(retried).not.toContain(realFailure);
    }
  });
});

describe('the stack creating the DMS resources', () => {
  const { template } = buildStack(CREATE_DMS);
  const refTo = (type: string) => ({ Ref: Object.keys(template.findResources(type)).find(() => true) });
  const [taskId] = Object.keys(template.findResources('AWS::DMS::ReplicationTask'));
  const [instanceId] = Object.keys(template.findResources('AWS::DMS::ReplicationInstance'));
  const endpoints = template.findResources('AWS::DMS::Endpoint');
  const endpointId = (type: string) => Object.keys(endpoints).find((id) => endpoints[id].Properties.EndpointType === type) as string;

  it('keeps the replication instance private, in its own subnet group', () => {
    template.hasResourceProperties('AWS::DMS::ReplicationSubnetGroup', { SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'] });
    template.hasResourceProperties('AWS::DMS::ReplicationInstance', {
      ReplicationInstanceIdentifier: 'orders-to-rds',
      PubliclyAccessible: false,
      MultiAZ: true,
      ReplicationSubnetGroupIdentifier: refTo('AWS::DMS::ReplicationSubnetGroup'),
      VpcSecurityGroupIds: ['sg-0123456789abcdef0'],
    });
  });

  it('gives the endpoints their credentials through Secrets Manager only, over TLS', () => {
    const [roleId] = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'dms.eu-west-1.amazonaws.com' } })] } } }));
    const expectations = [
      ['source', 'mysql', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-mysql-AbCdEf'],
      ['target', 'mysql', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-rds-GhIjKl'],
    ];
    for (const [type, engine, secretArn] of expectations) {
      const properties = endpoints[endpointId(type)].Properties;
      expect(properties).toEqual({
        EndpointIdentifier: `orders-to-rds-${type}`,
        EndpointType: type,
        EngineName: engine,
        SslMode: 'require',
        MySqlSettings: { SecretsManagerSecretId: secretArn, SecretsManagerAccessRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
      });
    }
    const secretReads = policyStatements(template).filter((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')) && statement.policy.startsWith('DmsSecretsAccess'));
    expect(secretReads.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: [expectations[0][2], expectations[1][2]],
      },
    ]);
  });

  it('lets DMS decrypt a secret under a customer-managed key, through Secrets Manager only', () => {
    const dms = CREATE_DMS.dms as Record<string, { secretArn: string }>;
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const withKey = buildStack({ ...CREATE_DMS, dms: { ...dms, source: { ...dms.source, secretKmsKeyArn: key } } }).template;
    const decrypts = policyStatements(withKey).filter((statement) => actionsOf(statement).includes('kms:Decrypt') && statement.policy.startsWith('DmsSecretsAccess'));
    expect(decrypts.map(({ Resource, Condition }) => ({ Resource, Condition }))).toEqual([
      { Resource: key, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } } },
    ]);
    expect(policyStatements(template).filter((statement) => actionsOf(statement).includes('kms:Decrypt') && statement.policy.startsWith('DmsSecretsAccess'))).toEqual([]);
  });

  it('uses the Aurora engine for an Aurora target', () => {
    const migration = CREATE_DMS.migration as Record<string, unknown>;
    const aurora = buildStack({ ...CREATE_DMS, migration: { ...migration, target: { type: 'aurora-cluster', identifier: 'orders-aurora' } } }).template;
    aurora.hasResourceProperties('AWS::DMS::Endpoint', { EndpointType: 'target', EngineName: 'aurora' });
  });

  it('creates the task with the configured table mappings and DMS data validation on', () => {
    const [task] = Object.values(template.findResources('AWS::DMS::ReplicationTask'));
    expect(task.Properties).toMatchObject({
      MigrationType: 'full-load-and-cdc',
      ReplicationInstanceArn: { Ref: instanceId },
      SourceEndpointArn: { Ref: endpointId('source') },
      TargetEndpointArn: { Ref: endpointId('target') },
    });
    expect(JSON.parse(task.Properties.TableMappings)).toEqual((CREATE_DMS.dms as { tableMappings: unknown }).tableMappings);
    const settings = JSON.parse(task.Properties.ReplicationTaskSettings);
    expect(settings).toEqual(replicationTaskSettings('DO_NOTHING'));
    expect(settings.ValidationSettings.EnableValidation).toBe(true);
    // Never empties a target table unless the config says so.
    expect(settings.FullLoadSettings.TargetTablePrepMode).toBe('DO_NOTHING');
  });

  it('scopes the functions to the created resources through CloudFormation references', () => {
    const grants = mutatingDmsGrants(template);
    expect(grants['dms:StartReplicationTask']).toEqual([{ Ref: taskId }]);
    expect(grants['dms:StopReplicationTask']).toEqual([{ Ref: taskId }]);
    expect(grants['dms:TestConnection']).toEqual(expect.arrayContaining([{ Ref: endpointId('source') }, { Ref: endpointId('target') }, { Ref: instanceId }]));
    expect(grants['dms:TestConnection']).toHaveLength(3);
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.dms'], resources: [{ Ref: taskId }] } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ REPLICATION_TASK_ARN: { Ref: taskId } }) } });
  });

  it('starts scheduled runs with the created resources’ ARNs in the input', () => {
    const scheduled = buildStack({ ...CREATE_DMS, schedule: { cron: '0 2 ? * SAT *' } }).template;
    const [schedule] = Object.values(scheduled.findResources('AWS::Scheduler::Schedule'));
    const input = JSON.stringify(schedule.Properties.Target.Input);
    for (const id of [taskId, instanceId, endpointId('source'), endpointId('target')]) expect(input).toContain(JSON.stringify({ Ref: id }));
  });

  it('builds the RDS and SSM ARNs from the stack’s account and region', () => {
    const cutoverGrants = policyStatements(template).filter((statement) => actionsOf(statement).includes('rds:CreateDBSnapshot'));
    expect(cutoverGrants.map((statement) => statement.Resource)).toEqual([
      ['arn:aws:rds:eu-west-1:123456789012:db:orders-rds', 'arn:aws:rds:eu-west-1:123456789012:snapshot:dms-orch-orders-ec2-mysql-to-rds-*'],
    ]);
  });

  it('reads CDC latency under the created instance’s name and the task’s resource id', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 300,
      Metrics: Match.arrayWith([
        Match.objectLike({
          Id: 'source',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              Dimensions: [
                { Name: 'ReplicationInstanceIdentifier', Value: 'orders-to-rds' },
                { Name: 'ReplicationTaskIdentifier', Value: { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: taskId }] }] } },
              ],
            }),
          }),
        }),
      ]),
    });
  });
});

describe('the stack creating a DMS Serverless replication config (dms.serverless)', () => {
  const created = CREATE_DMS as { dms: Record<string, unknown> };
  const { template } = buildStack({ ...created, dms: { ...created.dms, serverless: { maxCapacityUnits: 16, minCapacityUnits: 2, multiAz: true } } });
  const [configId] = Object.keys(template.findResources('AWS::DMS::ReplicationConfig'));
  const configArn = { 'Fn::GetAtt': [configId, 'ReplicationConfigArn'] };

  it('creates a replication config in the subnet group, and no replication instance or task', () => {
    expect(Object.keys(template.findResources('AWS::DMS::ReplicationInstance'))).toEqual([]);
    expect(Object.keys(template.findResources('AWS::DMS::ReplicationTask'))).toEqual([]);
    const [subnetGroupId] = Object.keys(template.findResources('AWS::DMS::ReplicationSubnetGroup'));
    const [config] = Object.values(template.findResources('AWS::DMS::ReplicationConfig'));
    expect(config.Properties).toMatchObject({
      ReplicationConfigIdentifier: 'orders-to-rds-replication',
      ReplicationType: 'full-load-and-cdc',
      ComputeConfig: { MaxCapacityUnits: 16, MinCapacityUnits: 2, MultiAZ: true, ReplicationSubnetGroupId: { Ref: subnetGroupId }, VpcSecurityGroupIds: ['sg-0123456789abcdef0'] },
      TableMappings: created.dms.tableMappings,
      ReplicationSettings: replicationTaskSettings('DO_NOTHING'),
    });
  });

  it('scopes start and stop to the created config, and follows its DMS Replication State Change events', () => {
    const grants = mutatingDmsGrants(template);
    expect(grants['dms:StartReplication']).toEqual([configArn]);
    expect(grants['dms:StopReplication']).toEqual([configArn]);
    expect(grants['dms:StartReplicationTask']).toBeUndefined();
    expect(grants['dms:TestConnection']).toBeUndefined();
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.dms'], 'detail-type': ['DMS Replication State Change'], resources: [configArn] } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ REPLICATION_CONFIG_ARN: configArn }) } });
  });

  it('alarms on CDC latency under the serverless dimension, named by the config ARN’s resource id', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          Id: 'source',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Dimensions: [{ Name: 'ReplicationConfigIdentifier', Value: { 'Fn::Select': [6, { 'Fn::Split': [':', configArn] }] } }] }),
          }),
        }),
      ]),
    });
  });
});
