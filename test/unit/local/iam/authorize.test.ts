import { StackAuthorizer, type CfnTemplate, type ResourceFacts } from '../../../../local/iam';
import { synthesizedTemplate } from '../../../support/synthesized-workflow';
import { DATABASE_ACCESS, TASK_ARN } from '../../../support/migration';
import { WITH_WAY_BACK } from '../../../support/way-back';

const environment = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const REVERSE_TASK = 'arn:aws:dms:eu-west-1:123456789012:task:REVERSETASKABCDEFGHIJKLMNO';
const MIGRATION_TAG = 'dms-orchestrator:migration';

describe('authorizing a local run’s AWS calls as the synthesized roles', () => {
  const template = synthesizedTemplate(WITH_WAY_BACK).toJSON() as CfnTemplate;
  /** The function whose Description starts with `description`, as the infra tests find them. */
  const functionNamed = (description: string): string => {
    const [logicalId] = Object.entries(template.Resources).find(([, resource]) => String(resource.Properties?.Description).startsWith(description)) ?? [];
    if (!logicalId) throw new Error(`No function described "${description}"`);
    return logicalId;
  };
  const cutover = functionNamed('Gate, write freeze');
  const runLock = functionNamed('One run per migration');
  const requestApproval = functionNamed('Asks a person to approve the cutover');
  const facts = (tags: Record<string, Record<string, string>> = {}, secrets: string[] = []): ResourceFacts => ({
    tagsOf: (arn) => tags[arn] ?? {},
    secretArn: (secretId) => secrets.find((arn) => arn === secretId || arn.startsWith(`${secretId}-`)),
  });
  let authorizer: StackAuthorizer;
  beforeEach(() => {
    authorizer = new StackAuthorizer(template, environment);
  });

  it('finds the task a DMS call names and reads its tags: the cutover starts only a task tagged with this migration', async () => {
    const start = { service: 'dms', operation: 'StartReplicationTask', input: { ReplicationTaskArn: REVERSE_TASK, StartReplicationTaskType: 'start-replication' } };
    expect((await authorizer.authorize(cutover, start, facts({ [REVERSE_TASK]: { [MIGRATION_TAG]: 'Orders to Aurora' } }))).decision).toEqual({ outcome: 'Allow' });
    const untagged = await authorizer.authorize(cutover, start, facts());
    expect(untagged).toMatchObject({ action: 'dms:StartReplicationTask', resources: [REVERSE_TASK], decision: { outcome: 'ImplicitDeny' } });
    expect(untagged.denial).toEqual({
      code: 'AccessDeniedException',
      statusCode: 400,
      message: expect.stringMatching(
        /^User: arn:aws:sts::123456789012:assumed-role\/\w+\/\w+ is not authorized to perform: dms:StartReplicationTask on resource: arn:aws:dms:eu-west-1:123456789012:task:REVERSETASKABCDEFGHIJKLMNO because no identity-based policy allows the dms:StartReplicationTask action$/,
      ),
    });
    expect(authorizer.evaluatedCalls).toBe(2);
    expect(authorizer.deniedCalls).toEqual([untagged]);
  });

  it('reads the tags a create request sets (aws:RequestTag, aws:TagKeys) in JSON and query protocols', async () => {
    const snapshot = (tagValue: string) =>
      authorizer.authorize(cutover, {
        service: 'rds',
        operation: 'CreateDBClusterSnapshot',
        input: { DBClusterIdentifier: 'orders-aurora', DBClusterSnapshotIdentifier: 'dms-orch-orders-to-aurora-1', 'Tags.Tag.1.Key': MIGRATION_TAG, 'Tags.Tag.1.Value': tagValue },
      });
    expect(await snapshot('Orders to Aurora')).toMatchObject({
      resources: ['arn:aws:rds:eu-west-1:123456789012:cluster:orders-aurora', 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:dms-orch-orders-to-aurora-1'],
      decision: { outcome: 'Allow' },
    });
  });

  it('matches a secret named by its partial ARN as IAM does, by the full ARN Secrets Manager resolves it to', async () => {
    const partial = DATABASE_ACCESS.sourceSecretArn.replace(/-\w{6}$/, '');
    const read = (secretId: string, known: string[]) => authorizer.authorize(cutover, { service: 'secretsmanager', operation: 'GetSecretValue', input: { SecretId: secretId } }, facts({}, known));
    expect(await read(partial, [DATABASE_ACCESS.sourceSecretArn])).toMatchObject({ resources: [DATABASE_ACCESS.sourceSecretArn], decision: { outcome: 'Allow' } });
    const otherSecret = `${partial}-ZyXwVu`;
    expect(await read(partial, [otherSecret])).toMatchObject({ resources: [otherSecret], decision: { outcome: 'ImplicitDeny' } });
  });

  it('reads dynamodb:LeadingKeys from the item’s partition key: the run lock writes only lock# items', async () => {
    const tokenTable = Object.entries(template.Resources).find(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')?.[0] ?? '';
    const put = (pk: string) => authorizer.authorize(runLock, { service: 'dynamodb', operation: 'PutItem', input: { TableName: tokenTable, Item: { pk: { S: pk } } } });
    expect((await put('lock#orders-to-aurora')).decision).toEqual({ outcome: 'Allow' });
    expect((await put('cutover#orders-to-aurora')).decision).toMatchObject({ outcome: 'ImplicitDeny' });
  });

  it('authorizes the role a schedule passes to EventBridge Scheduler as iam:PassRole', async () => {
    const schedulerRole = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::IAM::Role' && id.includes('Scheduler')) ?? '';
    const schedule = (roleArn: string) =>
      authorizer.authorize(requestApproval, {
        service: 'scheduler',
        operation: 'CreateSchedule',
        input: { Name: 'approval-reminder-1', GroupName: 'OrdersMigration-approval-reminders', Target: { RoleArn: roleArn, Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:reminder' } },
      });
    expect((await schedule(authorizer.arnOf(schedulerRole))).decision).toEqual({ outcome: 'Allow' });
    expect(await schedule('arn:aws:iam::123456789012:role/admin')).toMatchObject({ action: 'iam:PassRole', decision: { outcome: 'ImplicitDeny' } });
  });

  it('lets the rollback read the table statistics of this migration’s tagged reverse task, and no other task (issue 16, defect 2)', async () => {
    const statistics = (task: string, tag: string) => authorizer.authorize(cutover, { service: 'dms', operation: 'DescribeTableStatistics', input: { ReplicationTaskArn: task } }, facts({ [task]: { [MIGRATION_TAG]: tag } }));
    expect((await statistics(TASK_ARN, 'Orders to Aurora')).decision).toEqual({ outcome: 'Allow' });
    expect((await statistics(REVERSE_TASK, 'Orders to Aurora')).decision).toEqual({ outcome: 'Allow' });
    expect((await statistics(REVERSE_TASK, 'Another migration')).decision).toMatchObject({ outcome: 'ImplicitDeny' });
  });
});
