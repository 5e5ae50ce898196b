import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DatabaseMigrationServiceClient,
  DescribeConnectionsCommand,
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  StopReplicationTaskCommand,
  TestConnectionCommand,
} from '@aws-sdk/client-database-migration-service';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateDBClusterSnapshotCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { startAwsEmulator, type AwsEmulator } from '../../../../local/emulator/server';
import { filterPolicyAccepts } from '../../../../local/emulator/services';
import { executeLocally } from '../../../../local/workflow/execute';
import type { AslDefinition } from '../../../../local/workflow/asl';
import { emulatedDms, emulatedEndpoints, pointClientsAt } from '../../../support/emulated-task';
import { REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TASK_ARN } from '../../../support/migration';

const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:source-AbCdEf';
const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:target-AbCdEf';
const CODES_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:codes';
const unreachable = JSON.stringify({ host: '127.0.0.1', port: 1, username: 'nobody', password: 'x' });
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:topic';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Shop-migration';
/** A Lambda task that fails once and is retried, a Choice, and the end. */
const WORKFLOW: AslDefinition = {
  StartAt: 'Check',
  States: {
    Check: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:check',
      Retry: [{ ErrorEquals: ['AwsServiceUnavailable'], MaxAttempts: 2 }],
      Next: 'Done?',
    },
    'Done?': { Type: 'Choice', Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Done' }], Default: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

let emulator: AwsEmulator;
let restoreEndpoint: () => void;

beforeAll(async () => {
  emulator = await startAwsEmulator({
    dms: emulatedDms('shop', emulatedEndpoints('shop', { source: SOURCE_SECRET, target: TARGET_SECRET })),
    target: { type: 'aurora-cluster', identifier: 'shop-aurora', host: '127.0.0.1', port: 3307, engineVersion: '8.0.mysql_aurora.3.08.0' },
    secrets: { [SOURCE_SECRET]: unreachable, [TARGET_SECRET]: unreachable, 'approval-key': 'signing-key' },
    faults: { throttle: { DescribeReplicationInstances: 5, ListTopics: 1 } },
    dynamoDbTables: ['tokens'],
    eventRules: ['orders-full-load-checks'],
    snsTopicArns: [TOPIC_ARN, CODES_TOPIC],
    stateMachines: [{ stateMachineArn: STATE_MACHINE_ARN, definition: WORKFLOW }],
    cdcLatencySeconds: 2,
    subscriptions: [
      { topicArn: CODES_TOPIC, protocol: 'email', endpoint: 'ana@example.com', filterPolicy: { approver: ['ana@example.com'] } },
      { topicArn: CODES_TOPIC, protocol: 'email', endpoint: 'ben@example.com', filterPolicy: { approver: ['ben@example.com'] } },
      { topicArn: 'arn:aws:sns:eu-west-1:123456789012:topic', protocol: 'email', endpoint: 'dba@example.com' },
    ],
  });
  restoreEndpoint = pointClientsAt(emulator.url);
});

afterAll(async () => {
  restoreEndpoint();
  await emulator.close();
});

/** A client as the handlers build it, retrying quickly so throttling tests stay fast. */
const client = <T>(Client: new (config: object) => T): T => new Client({ maxAttempts: 1 });

describe('AWS emulator wire protocols, spoken to by the real SDK v3 clients', () => {
  it('answers DMS (awsJson1_1) with the task, timestamps decoded as dates', async () => {
    const response = await client(DatabaseMigrationServiceClient).send(
      new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }], WithoutSettings: true }),
    );
    expect(response.ReplicationTasks?.[0]).toMatchObject({ ReplicationTaskArn: TASK_ARN, Status: 'ready', MigrationType: 'full-load-and-cdc' });
    expect(response.ReplicationTasks?.[0].ReplicationTaskCreationDate).toBeInstanceOf(Date);
  });

  it('reports DMS faults under their modeled names', async () => {
    const dms = client(DatabaseMigrationServiceClient);
    await expect(dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: TASK_ARN }))).rejects.toMatchObject({
      name: 'InvalidResourceStateFault',
      message: 'Replication Task cannot be stopped, invalid state: ready',
    });
    await expect(
      dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [`${TASK_ARN}X`] }] })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundFault' });
  });

  it('really tests an endpoint connection and quotes the failure, refusing a second test while one runs', async () => {
    const dms = client(DatabaseMigrationServiceClient);
    const started = await dms.send(new TestConnectionCommand({ ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, EndpointArn: SOURCE_ENDPOINT_ARN }));
    expect(started.Connection?.Status).toBe('testing');
    await expect(dms.send(new TestConnectionCommand({ ReplicationInstanceArn: REPLICATION_INSTANCE_ARN, EndpointArn: SOURCE_ENDPOINT_ARN }))).rejects.toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    let connection;
    do {
      connection = (await dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [SOURCE_ENDPOINT_ARN] }] }))).Connections?.[0];
    } while (connection?.Status === 'testing');
    expect(connection).toMatchObject({ Status: 'failed', EndpointIdentifier: 'shop-source', LastFailureMessage: expect.stringContaining('ECONNREFUSED') });
  });

  it('throttles the next N calls of an operation with ThrottlingException, then answers', async () => {
    const dms = client(DatabaseMigrationServiceClient);
    const describe = () => dms.send(new DescribeReplicationInstancesCommand({}));
    for (let call = 0; call < 5; call += 1) await expect(describe()).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect((await describe()).ReplicationInstances?.[0].ReplicationInstanceIdentifier).toBe('shop-replication');
  });

  it('throttles SNS with its modelled error (code Throttled, HTTP 429), which the SDK raises as ThrottledException', async () => {
    const sns = client(SNSClient);
    await expect(sns.send(new ListTopicsCommand({}))).rejects.toMatchObject({ name: 'ThrottledException', $metadata: { httpStatusCode: 429 } });
    expect((await sns.send(new ListTopicsCommand({}))).Topics?.length).toBeGreaterThan(0);
  });

  it('answers RDS (awsQuery) in XML, lists under their member names, and its not-found fault', async () => {
    const rds = client(RDSClient);
    const clusters = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'shop-aurora' }));
    expect(clusters.DBClusters).toEqual([
      expect.objectContaining({ DBClusterIdentifier: 'shop-aurora', Status: 'available', Engine: 'aurora-mysql', Endpoint: '127.0.0.1', Port: 3307 }),
    ]);
    await expect(rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'other' }))).rejects.toMatchObject({ name: 'DBClusterNotFoundFault' });
    await expect(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'shop-aurora' }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    const snapshot = await rds.send(new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'before-cutover', DBClusterIdentifier: 'shop-aurora' }));
    expect(snapshot.DBClusterSnapshot).toMatchObject({ DBClusterSnapshotIdentifier: 'before-cutover', Status: 'creating' });
  });

  it('keeps SNS messages with their attributes, lists the stack\'s topics, and answers NotFound for any other topic', async () => {
    const sns = client(SNSClient);
    expect((await sns.send(new ListTopicsCommand({}))).Topics).toEqual([{ TopicArn: TOPIC_ARN }, { TopicArn: CODES_TOPIC }]);
    await expect(sns.send(new PublishCommand({ TopicArn: `${TOPIC_ARN}-other`, Message: 'lost' }))).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
    const published = await sns.send(
      new PublishCommand({
        TopicArn: TOPIC_ARN,
        Subject: 'Migration started',
        Message: 'Line one\nline two & more',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'started' }, migration: { DataType: 'String', StringValue: 'Shop' } },
      }),
    );
    expect(published.MessageId).toBeDefined();
    expect(emulator.messages.at(-1)).toMatchObject({
      subject: 'Migration started',
      message: 'Line one\nline two & more',
      attributes: { kind: 'started', migration: 'Shop' },
      // A subscription without a filter policy gets every message of its topic.
      deliveredTo: ['dba@example.com'],
    });
  });

  it('delivers an SNS message only to the subscriptions whose filter policy accepts its attributes, exactly and case-sensitively', async () => {
    const publish = (attributes: Record<string, string>) =>
      client(SNSClient).send(
        new PublishCommand({
          TopicArn: CODES_TOPIC,
          Message: 'code',
          MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
        }),
      );
    const deliveredTo = async (attributes: Record<string, string>) => {
      await publish(attributes);
      return emulator.messages.at(-1)?.deliveredTo;
    };
    await expect(deliveredTo({ kind: 'approval-code', approver: 'ben@example.com' })).resolves.toEqual(['ben@example.com']);
    await expect(deliveredTo({ kind: 'approval-code', approver: 'Ben@example.com' })).resolves.toEqual([]);
    await expect(deliveredTo({ kind: 'approval-code' })).resolves.toEqual([]);
    await expect(deliveredTo({ kind: 'approval-code', approver: 'eve@example.com' })).resolves.toEqual([]);
    // Filter operators it does not evaluate are refused, not guessed.
    expect(() => filterPolicyAccepts({ approver: [{ prefix: 'ana' }] }, { approver: 'ana@example.com' })).toThrow(/exact strings only/);
  });

  it('routes a form post by the service its signature names, refusing an action of another query service', async () => {
    const formPost = (signingName: string, body: string) =>
      fetch(emulator.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          authorization: `AWS4-HMAC-SHA256 Credential=rehearsal/20261125/eu-west-1/${signingName}/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body,
      });
    const rdsActionSignedForSns = await formPost('sns', 'Action=DescribeDBClusters&Version=2014-10-31');
    expect(rdsActionSignedForSns.status).toBe(400);
    expect(await rdsActionSignedForSns.text()).toContain('<Code>InvalidAction</Code>');
    const topics = await formPost('sns', 'Action=ListTopics&Version=2010-03-31');
    expect(await topics.text()).toContain(`<TopicArn>${TOPIC_ARN}</TopicArn>`);
  });

  it('stores SSM parameters and answers ParameterNotFound for a missing one', async () => {
    const ssm = client(SSMClient);
    await expect(ssm.send(new GetParameterCommand({ Name: '/apps/shop/endpoint' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    await ssm.send(new PutParameterCommand({ Name: '/apps/shop/endpoint', Value: '127.0.0.1:3307', Type: 'String', Overwrite: true }));
    expect((await ssm.send(new GetParameterCommand({ Name: '/apps/shop/endpoint' }))).Parameter).toMatchObject({ Value: '127.0.0.1:3307', Version: 1 });
  });

  it('evaluates DynamoDB condition and update expressions, failing with ConditionalCheckFailedException', async () => {
    const dynamoDb = client(DynamoDBClient);
    const Key = marshall({ pk: 'approval#1' });
    await dynamoDb.send(new PutItemCommand({ TableName: 'tokens', Item: marshall({ pk: 'approval#1', status: 'pending' }), ConditionExpression: 'attribute_not_exists(pk)' }));
    await expect(
      dynamoDb.send(new PutItemCommand({ TableName: 'tokens', Item: marshall({ pk: 'approval#1' }), ConditionExpression: 'attribute_not_exists(pk)' })),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await dynamoDb.send(
      new UpdateItemCommand({
        TableName: 'tokens',
        Key,
        UpdateExpression: 'SET #status = :approved, decidedBy = if_not_exists(decidedBy, :who)',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':approved': 'approved', ':pending': 'pending', ':who': 'dba' }),
      }),
    );
    expect(unmarshall((await dynamoDb.send(new GetItemCommand({ TableName: 'tokens', Key }))).Item ?? {})).toEqual({ pk: 'approval#1', status: 'approved', decidedBy: 'dba' });
    await expect(
      dynamoDb.send(new DeleteItemCommand({ TableName: 'tokens', Key, ConditionExpression: '#status = :pending', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: marshall({ ':pending': 'pending' }) })),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    // ReturnValuesOnConditionCheckFailure: the failure carries the item as it stands.
    await expect(
      dynamoDb.send(
        new UpdateItemCommand({
          TableName: 'tokens',
          Key,
          UpdateExpression: 'SET decidedBy = :who',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: marshall({ ':who': 'late' }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', Item: marshall({ pk: 'approval#1', status: 'approved', decidedBy: 'dba' }) });
  });

  it('answers a mistyped table name with ResourceNotFoundException, as DynamoDB does, and creates no table', async () => {
    const dynamoDb = client(DynamoDBClient);
    const Key = marshall({ pk: 'approval#1' });
    await expect(dynamoDb.send(new GetItemCommand({ TableName: 'tokns', Key }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(dynamoDb.send(new PutItemCommand({ TableName: 'tokns', Item: Key }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(dynamoDb.send(new GetItemCommand({ TableName: 'tokns', Key }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('relays SendTaskSuccess and SendTaskFailure to the waiting state, and answers TaskTimedOut for unknown tokens', async () => {
    const sfn = client(SFNClient);
    const succeeded = expect(emulator.tokens.waitFor('token-1')).resolves.toEqual({ decision: 'approved' });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-1', output: '{"decision":"approved"}' }));
    await succeeded;
    const failed = expect(emulator.tokens.waitFor('token-2')).rejects.toMatchObject({ name: 'ApprovalRejected', message: 'Not tonight' });
    await sfn.send(new SendTaskFailureCommand({ taskToken: 'token-2', error: 'ApprovalRejected', cause: 'Not tonight' }));
    await failed;
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-1', output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('turns the stack\'s EventBridge rules on and off (awsJson1_1), and refuses a rule it does not have with ResourceNotFoundException', async () => {
    const events = client(EventBridgeClient);
    expect(emulator.eventRules.get('orders-full-load-checks')).toBe('DISABLED');
    await events.send(new EnableRuleCommand({ Name: 'orders-full-load-checks' }));
    expect(emulator.eventRules.get('orders-full-load-checks')).toBe('ENABLED');
    await events.send(new DisableRuleCommand({ Name: 'orders-full-load-checks' }));
    expect(emulator.eventRules.get('orders-full-load-checks')).toBe('DISABLED');
    await expect(events.send(new EnableRuleCommand({ Name: 'orders-full-load-check' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Rule orders-full-load-check does not exist on EventBus default.',
    });
    await expect(events.send(new EnableRuleCommand({ Name: 'orders-full-load-checks', EventBusName: 'orders' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect([...emulator.eventRules.keys()]).toEqual(['orders-full-load-checks']);
  });

  it('records the executions the local runner runs, as DescribeExecution, GetExecutionHistory and ListExecutions answer them', async () => {
    const sfn = client(SFNClient);
    const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:night-run`;
    let attempts = 0;
    const check = async () => {
      attempts += 1;
      if (attempts === 1) throw Object.assign(new Error('DMS answered 503'), { name: 'AwsServiceUnavailable' });
      return { done: true };
    };
    await executeLocally(WORKFLOW, { Check: check }, { migrationName: 'Shop' }, {
      executionArn,
      waitMilliseconds: 0,
      retryIntervalMilliseconds: 0,
      onEvent: emulator.executions.begin(STATE_MACHINE_ARN, executionArn, { migrationName: 'Shop' }),
    });

    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      executionArn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'night-run',
      status: 'SUCCEEDED',
      input: '{"migrationName":"Shop"}',
      output: '{"done":true}',
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
    });
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[4].lambdaFunctionFailedEventDetails).toMatchObject({ error: 'AwsServiceUnavailable' });
    expect(events[2].lambdaFunctionScheduledEventDetails).toMatchObject({ resource: 'arn:aws:lambda:eu-west-1:123456789012:function:check' });

    // Newest first, a page at a time, as `dms-orchestrator status` and the console read it.
    const firstPage = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 3, includeExecutionData: false }));
    expect(firstPage.events?.map((event) => event.type)).toEqual(['ExecutionSucceeded', 'SucceedStateExited', 'SucceedStateEntered']);
    expect(firstPage.events?.[1].stateExitedEventDetails).toEqual({ name: 'Done' });
    const secondPage = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 3, nextToken: firstPage.nextToken }));
    expect(secondPage.events?.map((event) => event.type)).toEqual(['ChoiceStateExited', 'ChoiceStateEntered', 'TaskStateExited']);

    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN }))).executions).toEqual([
      expect.objectContaining({ executionArn, name: 'night-run', status: 'SUCCEEDED' }),
    ]);
    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' }))).executions).toEqual([]);
    await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn: `${STATE_MACHINE_ARN}-other` }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${executionArn}-other` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: 'night-run' }))).rejects.toMatchObject({ name: 'InvalidArn' });
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'forged' }))).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('keeps EventBridge Scheduler schedules (restJson1) and refuses a duplicate name with ConflictException', async () => {
    const scheduler = client(SchedulerClient);
    const schedule = {
      Name: 'approval-reminder-1',
      GroupName: 'reminders',
      ScheduleExpression: 'at(2026-11-25T06:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Target: { Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:reminder', RoleArn: 'arn:aws:iam::123456789012:role/scheduler', Input: '{"approvalId":"1"}' },
    };
    expect((await scheduler.send(new CreateScheduleCommand(schedule))).ScheduleArn).toBe('arn:aws:scheduler:eu-west-1:123456789012:schedule/reminders/approval-reminder-1');
    expect(emulator.schedules).toEqual([{ name: 'approval-reminder-1', groupName: 'reminders', expression: 'at(2026-11-25T06:00:00)', input: '{"approvalId":"1"}' }]);
    await expect(scheduler.send(new CreateScheduleCommand(schedule))).rejects.toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
  });

  it('stores S3 objects (restXml, path style), lists them by prefix, and answers NoSuchKey for a missing one', async () => {
    const s3 = client(S3Client);
    await s3.send(new PutObjectCommand({ Bucket: 'plans', Key: 'run-1/table-0.json', Body: '{"chunks":3}', ContentType: 'application/json' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plans', Key: 'run-1/results/0-0.json', Body: '{"match":true}' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plans', Key: 'run-2/table-0.json', Body: '{}' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: 'plans', Key: 'run-1/table-0.json' }));
    expect(await object.Body?.transformToString()).toBe('{"chunks":3}');
    expect(object.ContentType).toBe('application/json');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'plans', Prefix: 'run-1/' }));
    expect(listed.Contents?.map((entry) => entry.Key)).toEqual(['run-1/results/0-0.json', 'run-1/table-0.json']);
    const firstPage = await s3.send(new ListObjectsV2Command({ Bucket: 'plans', Prefix: 'run-', MaxKeys: 2 }));
    expect(firstPage).toMatchObject({ IsTruncated: true, KeyCount: 2 });
    const secondPage = await s3.send(new ListObjectsV2Command({ Bucket: 'plans', Prefix: 'run-', ContinuationToken: firstPage.NextContinuationToken }));
    expect(secondPage.Contents?.map((entry) => entry.Key)).toEqual(['run-2/table-0.json']);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'plans', Key: 'run-9/none.json' }))).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  });

  it('serves no CDC latency while no task captures changes (DMS publishes it only during CDC), and Secrets Manager secrets', async () => {
    const end = new Date('2026-11-25T03:00:00Z');
    const metrics = await client(CloudWatchClient).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - 5 * 60_000),
        EndTime: end,
        MetricDataQueries: [{ Id: 'source', MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName: 'CDCLatencySource' }, Period: 60, Stat: 'Maximum' } }],
      }),
    );
    expect(metrics.MetricDataResults?.[0]).toMatchObject({ Id: 'source', Values: [], StatusCode: 'Complete' });
    const secrets = client(SecretsManagerClient);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'approval-key' }))).SecretString).toBe('signing-key');
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'missing' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
