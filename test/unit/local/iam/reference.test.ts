import { accessDeniedAnswer, actionReference, ArnFormatError, fillArnFormat, iamActionForOperation, parsePolicyDocument, policyProblems, UnknownOperationError } from '../../../../local/iam';

describe('the IAM reference data', () => {
  it('maps an SDK operation to the IAM action that authorizes it', async () => {
    expect(await iamActionForOperation('dms', 'DescribeTableStatistics')).toBe('dms:DescribeTableStatistics');
    expect(await iamActionForOperation('monitoring', 'GetMetricData')).toBe('cloudwatch:GetMetricData');
    expect(await iamActionForOperation('s3', 'ListObjectsV2')).toBe('s3:ListBucket');
    expect(await iamActionForOperation('s3', 'HeadObject')).toBe('s3:GetObject');
    await expect(iamActionForOperation('dms', 'DescribeEverything')).rejects.toThrow(UnknownOperationError);
  });

  it('gives an action’s resource types with their ARN formats and condition keys', async () => {
    const start = await actionReference('dms:StartReplicationTask');
    expect(start.resourceTypes).toContainEqual(expect.objectContaining({ name: 'ReplicationTask', required: true, arnFormat: 'arn:${Partition}:dms:${Region}:${Account}:task:*' }));
    expect(start.resourceTypes.find((type) => type.name === 'ReplicationTask')?.conditionKeys).toContain('aws:ResourceTag/${TagKey}');
    expect((await actionReference('dynamodb:PutItem')).conditionKeys).toContain('dynamodb:LeadingKeys');
    expect((await actionReference('dms:DescribeReplicationTasks')).resourceTypes).toEqual([]);
  });

  it('fills an ARN format from the deployment and the request', async () => {
    const [secret] = (await actionReference('secretsmanager:GetSecretValue')).resourceTypes;
    const deployment = { Partition: 'aws', Region: 'eu-west-1', Account: '123456789012' };
    expect(fillArnFormat(secret.arnFormat, { ...deployment, SecretId: 'orders/source-AbCdEf' })).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf');
    expect(fillArnFormat('arn:${Partition}:dms:${Region}:${Account}:task:*', { ...deployment, '*': 'ORDERSTASK' })).toBe('arn:aws:dms:eu-west-1:123456789012:task:ORDERSTASK');
    expect(() => fillArnFormat(secret.arnFormat, deployment)).toThrow(ArnFormatError);
  });

  it('reports every unknown action, empty wildcard and unknown condition key of a policy', async () => {
    const policy = parsePolicyDocument('typos', {
      Statement: [
        { Effect: 'Allow', Action: ['dms:DescribeTableStatistic', 'dms:Describe*', 'dms:Frobnicate*', 'nosuchservice:Get'], Resource: '*' },
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*', Condition: { StringEquals: { 'dynamodb:LeadingKey': 'x' }, IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } },
      ],
    });
    expect((await policyProblems([policy])).map(({ problem }) => problem)).toEqual([
      'unknown action dms:DescribeTableStatistic',
      'action pattern dms:Frobnicate* matches no action',
      'unknown service in action nosuchservice:Get',
      'unknown condition key dynamodb:LeadingKey',
      'Condition operator IpAddress is not supported by the local IAM evaluator',
    ]);
  });
});

describe('the AccessDenied answer', () => {
  const principal = 'arn:aws:sts::123456789012:assumed-role/CutoverRole/cutover';

  it('uses each service’s error code', () => {
    const denied = { outcome: 'ImplicitDeny' as const, deniedResource: 'arn:aws:sns:eu-west-1:123456789012:topic' };
    expect(accessDeniedAnswer(principal, 'sns:Publish', denied)).toMatchObject({ code: 'AuthorizationError', statusCode: 403 });
    expect(accessDeniedAnswer(principal, 'rds:CreateDBSnapshot', denied)).toMatchObject({ code: 'AccessDenied' });
    expect(accessDeniedAnswer(principal, 's3:GetObject', denied)).toMatchObject({ code: 'AccessDenied', statusCode: 403 });
    expect(accessDeniedAnswer(principal, 'secretsmanager:GetSecretValue', denied)).toMatchObject({ code: 'AccessDeniedException', statusCode: 400 });
  });

  it('says whether an explicit deny or the lack of an allow refused the call, and names no resource for *', () => {
    expect(accessDeniedAnswer(principal, 'dms:DeleteReplicationTask', { outcome: 'ExplicitDeny', deniedResource: 'arn:aws:dms:eu-west-1:123456789012:task:X' }).message).toBe(
      `User: ${principal} is not authorized to perform: dms:DeleteReplicationTask on resource: arn:aws:dms:eu-west-1:123456789012:task:X with an explicit deny in an identity-based policy`,
    );
    expect(accessDeniedAnswer(principal, 'dms:DescribeReplicationTasks', { outcome: 'ImplicitDeny', deniedResource: '*' }).message).toBe(
      `User: ${principal} is not authorized to perform: dms:DescribeReplicationTasks because no identity-based policy allows the dms:DescribeReplicationTasks action`,
    );
  });
});
