import { evaluate, matchesArn, parsePolicyDocument, InvalidPolicyError, type AuthorizationRequest } from '../../../../local/iam';

const request = (action: string, resource: string, context: AuthorizationRequest['context'] = {}): AuthorizationRequest => ({ action, resources: [resource], context });

describe('IAM policy evaluation', () => {
  // IAM User Guide, "Policy evaluation for requests within a single account": the carlossalazar example.
  const carlos = parsePolicyDocument('carlossalazar', {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowS3ListRead',
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:GetAccountPublicAccessBlock', 's3:ListAccessPoints', 's3:ListAllMyBuckets'],
        Resource: 'arn:aws:s3:::*',
      },
      { Sid: 'AllowS3Self', Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*', 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar'] },
      { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
    ],
  });

  it('lets Carlos save to his own bucket', () => {
    expect(evaluate([carlos], request('s3:PutObject', 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/report.csv'))).toEqual({ outcome: 'Allow' });
  });

  it('denies Carlos his -logs bucket explicitly, although s3:* on it would otherwise be allowed by name', () => {
    expect(evaluate([carlos], request('s3:PutObject', 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/app.log'))).toEqual({
      outcome: 'ExplicitDeny',
      deniedResource: 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/app.log',
      denyingPolicy: 'carlossalazar',
    });
  });

  it('denies implicitly what no statement allows', () => {
    expect(evaluate([carlos], request('s3:PutObject', 'arn:aws:s3:::someone-elses-bucket/file'))).toMatchObject({ outcome: 'ImplicitDeny' });
    expect(evaluate([], request('sns:Publish', 'arn:aws:sns:eu-west-1:123456789012:topic'))).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('lets an explicit deny in one policy override an allow in another', () => {
    const allowAll = parsePolicyDocument('allow-all', { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } });
    const denyDeletes = parsePolicyDocument('deny-deletes', { Statement: { Effect: 'Deny', Action: 'dynamodb:Delete*', Resource: '*' } });
    const table = 'arn:aws:dynamodb:eu-west-1:123456789012:table/Tokens';
    expect(evaluate([allowAll, denyDeletes], request('dynamodb:DeleteItem', table))).toMatchObject({ outcome: 'ExplicitDeny', denyingPolicy: 'deny-deletes' });
    expect(evaluate([allowAll, denyDeletes], request('dynamodb:GetItem', table))).toEqual({ outcome: 'Allow' });
  });

  it('matches actions case-insensitively, with * and ?', () => {
    const policy = parsePolicyDocument('p', { Statement: { Effect: 'Allow', Action: ['S3:get*', 'dms:Describe?ableStatistics'], Resource: '*' } });
    expect(evaluate([policy], request('s3:GetObject', '*'))).toEqual({ outcome: 'Allow' });
    expect(evaluate([policy], request('dms:DescribeTableStatistics', '*'))).toEqual({ outcome: 'Allow' });
    expect(evaluate([policy], request('s3:PutObject', '*'))).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('reads NotAction as "every action but these" (the IAM User Guide’s NotAction with Allow example)', () => {
    const policy = parsePolicyDocument('p', { Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' } });
    expect(evaluate([policy], request('dms:StartReplicationTask', 'arn:aws:dms:eu-west-1:123456789012:task:X'))).toEqual({ outcome: 'Allow' });
    expect(evaluate([policy], request('iam:CreateUser', 'arn:aws:iam::123456789012:user/Bob'))).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('reads NotResource as "every resource but these"', () => {
    const policy = parsePolicyDocument('p', { Statement: { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::HRBucket/Payroll', 'arn:aws:s3:::HRBucket/Payroll/*'] } });
    const allowAll = parsePolicyDocument('all', { Statement: { Effect: 'Allow', Action: 's3:*', Resource: '*' } });
    expect(evaluate([policy, allowAll], request('s3:GetObject', 'arn:aws:s3:::HRBucket/Payroll/june.csv'))).toEqual({ outcome: 'Allow' });
    expect(evaluate([policy, allowAll], request('s3:GetObject', 'arn:aws:s3:::HRBucket/Other'))).toMatchObject({ outcome: 'ExplicitDeny' });
  });

  it('allows a call on several resources only when each of them is allowed, naming the first that is not', () => {
    const policy = parsePolicyDocument('p', { Statement: { Effect: 'Allow', Action: 'dms:CreateReplicationTask', Resource: 'arn:aws:dms:eu-west-1:123456789012:endpoint:*' } });
    const resources = ['arn:aws:dms:eu-west-1:123456789012:endpoint:SRC', 'arn:aws:dms:eu-west-1:123456789012:rep:INSTANCE'];
    expect(evaluate([policy], { action: 'dms:CreateReplicationTask', resources, context: {} })).toEqual({ outcome: 'ImplicitDeny', deniedResource: resources[1] });
  });

  it('gives an action without a resource type only to a statement whose Resource is *', () => {
    const scoped = parsePolicyDocument('p', { Statement: { Effect: 'Allow', Action: 'dms:DescribeReplicationTasks', Resource: 'arn:aws:dms:*:*:task:*' } });
    expect(evaluate([scoped], request('dms:DescribeReplicationTasks', '*'))).toMatchObject({ outcome: 'ImplicitDeny', deniedResource: '*' });
  });

  it('refuses a document it cannot evaluate faithfully', () => {
    expect(() => parsePolicyDocument('p', { Statement: { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::${aws:username}/*' } })).toThrow(InvalidPolicyError);
    expect(() => parsePolicyDocument('p', { Statement: { Effect: 'Allow', Action: 's3:*', NotAction: 'iam:*', Resource: '*' } })).toThrow(/exactly one of Action and NotAction/);
    expect(() => parsePolicyDocument('p', { Statement: { Effect: 'Allow', Action: 's3:*', Resource: { Ref: 'Bucket' } } })).toThrow(/unresolved intrinsic/);
    expect(() => parsePolicyDocument('p', { Statement: { Effect: 'Maybe', Action: 's3:*', Resource: '*' } })).toThrow(/not Allow or Deny/);
  });
});

describe('resource ARN matching', () => {
  const secret = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:MySecret-a1b2c3';

  it('matches a Secrets Manager secret through the -?????? suffix wildcard the Secrets Manager guide recommends', () => {
    expect(matchesArn('arn:aws:secretsmanager:us-east-2:123456789012:secret:MySecret-??????', secret)).toBe(true);
    expect(matchesArn('arn:aws:secretsmanager:us-east-2:123456789012:secret:MySecret-??????', 'arn:aws:secretsmanager:us-east-2:123456789012:secret:MySecret-Other-a1b2c3')).toBe(false);
  });

  it('never matches a secret by its partial ARN: the policy must name the 6-character suffix or a wildcard', () => {
    expect(matchesArn('arn:aws:secretsmanager:us-east-2:123456789012:secret:MySecret', secret)).toBe(false);
  });

  it('is case-sensitive and compares each ARN component on its own', () => {
    expect(matchesArn('arn:aws:dms:eu-west-1:123456789012:task:orders', 'arn:aws:dms:eu-west-1:123456789012:task:ORDERS')).toBe(false);
    expect(matchesArn('arn:aws:dms:*:*:task:*', 'arn:aws:dms:us-east-1:111122223333:task:ABC')).toBe(true);
    expect(matchesArn('arn:aws:dms:*:*:task:*', 'arn:aws:dms:us-east-1:111122223333:endpoint:ABC')).toBe(false);
    expect(matchesArn('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:*', 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:log-stream:2026/11/24')).toBe(true);
  });
});
